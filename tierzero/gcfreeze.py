"""Process-wide memory settings, applied where a process starts (the api, benchmarks)."""

from __future__ import annotations

import gc

_FROZEN_ONCE = False


def freeze_long_lived_objects() -> None:
    """Process-wide, once the index is built: move every object alive now (the index's
    articles and rows, the loaded models, imported modules) out of the cyclic collector's
    reach. They live as long as the process anyway, and each full collection walked all of
    them with the GIL held: one 110–160 ms pause per run of ``bench/kb_search.py`` at 10k
    articles (6–13 ms frozen). Objects created later are collected as usual.

    Only the first call in a process freezes: frozen objects in a reference cycle (an app and
    its state) are never collected, so a process that starts several apps (tests) must not
    freeze each of them. ``thaw_long_lived_objects`` undoes it when the app stops."""
    global _FROZEN_ONCE
    if _FROZEN_ONCE:
        return
    _FROZEN_ONCE = True
    gc.collect()
    gc.freeze()


def thaw_long_lived_objects() -> None:
    """Hand frozen objects back to the collector (the app that froze them has stopped)."""
    gc.unfreeze()
