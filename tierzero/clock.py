"""The one clock every timer reads (deadlines, offers, the scheduler, stored timestamps).

It is the system clock. Tests move it — the clock is the one thing they mock — either in the
process (:func:`travel`) or, for an api started as a separate process, through the file named
by ``TIERZERO_CLOCK_FILE``: it holds the seconds to add to the system clock and is re-read
when it changes. Production leaves that setting unset.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: How often a clock file is checked for a change (the clock is read many times per request).
_RECHECK_SECONDS = 0.05

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None
_file: Path | None = None
_file_seen: tuple[int, int, int] | None = None
_checked_at = 0.0


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen
    if _file is not None:
        _reread()
    return datetime.now(UTC) + _offset


def travel(offset: timedelta) -> None:
    """Move this process's clock ``offset`` away from the system clock (tests); unfreezes."""
    global _offset, _frozen
    with _lock:
        _offset, _frozen = offset, None


def freeze(moment: datetime) -> None:
    """Stop this process's clock at ``moment`` (tests; :func:`travel` starts it again)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    with _lock:
        _frozen = moment.astimezone(UTC)


def travel_to(moment: datetime) -> None:
    """Make it ``moment`` now (it keeps running from there)."""
    travel(moment - datetime.now(UTC))


def follow_file(path: Path | None) -> None:
    """Take the offset from ``path`` (seconds, a number) from now on; None stops following."""
    global _file, _file_seen, _checked_at, _offset
    with _lock:
        _file, _file_seen, _checked_at = path, None, 0.0
        if path is None:
            _offset = timedelta(0)
    if path is not None:
        _reread(force=True)


def write_offset(path: Path, offset: timedelta) -> None:
    """What a test does to move the clock of the processes following ``path``."""
    partial = path.with_suffix(".partial")
    partial.write_text(f"{offset.total_seconds():.6f}\n", encoding="ascii")
    os.replace(partial, path)


def _reread(*, force: bool = False) -> None:
    global _file_seen, _checked_at, _offset
    now = time.monotonic()
    if not force and now - _checked_at < _RECHECK_SECONDS:
        return
    with _lock:
        path = _file
        _checked_at = now
        if path is None:
            return
        try:
            stat = path.stat()
        except FileNotFoundError:
            _offset, _file_seen = timedelta(0), None
            return
        # a new file replaces the old one: a new inode even when the mtime ties
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == _file_seen:
            return
        try:
            seconds = float(path.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return  # a half-written or unreadable file: keep the last offset
        _offset, _file_seen = timedelta(seconds=seconds), seen
