"""Polling an IMAP mailbox instead of (or beside) the listener: unseen messages are fetched
without marking them (BODY.PEEK), handed to the desk, and marked seen only once stored — a
stop in between fetches them again, and their Message-ID makes the second time a no-op."""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

log = logging.getLogger("tierzero.mail")
BATCH = 50


@dataclass(frozen=True)
class Mailbox:
    """``imaps://user:password@host:993/INBOX``, ``imap://…:143/INBOX`` (loopback or a
    trusted network only) or ``imap+starttls://…``."""

    scheme: str
    host: str
    port: int
    username: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps", "imap+starttls") or not parts.hostname:
            raise ValueError("TIERZERO_IMAP_URL must look like imaps://user:password@host/INBOX")
        default = 993 if parts.scheme == "imaps" else 143
        return cls(
            parts.scheme, parts.hostname, parts.port or default, unquote(parts.username or ""),
            unquote(parts.password or ""), unquote(parts.path.strip("/")) or "INBOX",
        )  # fmt: skip

    def _connect(self) -> imaplib.IMAP4:
        client: imaplib.IMAP4
        if self.scheme == "imaps":
            client = imaplib.IMAP4_SSL(self.host, self.port, timeout=30)
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=30)
            if self.scheme == "imap+starttls":
                client.starttls()
        client.login(self.username, self.password)
        return client

    def poll(self, accept: Callable[[bytes], object], *, max_bytes: int) -> int:
        """Hand every unseen message to ``accept``; returns how many were handed over."""
        client = self._connect()
        handed = 0
        try:
            status, _ = client.select(_quoted(self.folder))
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot open folder {self.folder}")
            _, found = client.uid("SEARCH", "UNSEEN")
            uids = [u.decode() for u in (found[0] or b"").split()[:BATCH]] if found else []
            for uid in uids:
                raw = _fetch(client, uid, max_bytes)
                if raw is not None:
                    try:
                        accept(raw)
                    except Exception:  # left unseen for the next poll; the others go on
                        log.exception("mailbox message %s could not be stored", uid)
                        continue
                    handed += 1
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        finally:
            with contextlib.suppress(Exception):
                client.logout()
        return handed


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch(client: imaplib.IMAP4, uid: str, max_bytes: int) -> bytes | None:
    _, sized = client.uid("FETCH", uid, "(RFC822.SIZE)")
    header = sized[0] if sized else None
    text = header.decode() if isinstance(header, bytes) else ""
    size = int(text.split("RFC822.SIZE")[1].strip(" )").split()[0]) if "RFC822.SIZE" in text else 0
    if size > max_bytes:
        log.warning(
            "mailbox message %s is %d bytes (limit %d): left in the mailbox, marked read",
            uid,
            size,
            max_bytes,
        )
        return None
    _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None
