"""The widget's launcher is what every page of a company's site downloads: it stays tiny, and
the chat (loaded on the first click) stays out of it."""

from __future__ import annotations

import gzip

from tierzero.settings import PROJECT_ROOT

WIDGET = PROJECT_ROOT / "web" / "widget"


def gzipped(name: str) -> int:
    return len(gzip.compress((WIDGET / name).read_bytes(), compresslevel=9))


def test_the_launcher_stays_under_15_kb_gzipped() -> None:
    assert gzipped("widget.js") < 15 * 1024


def test_the_chat_is_not_part_of_the_launcher() -> None:
    launcher = (WIDGET / "widget.js").read_text(encoding="utf-8")
    assert "import(" in launcher and "WebSocket" not in launcher
    assert gzipped("chat.js") > gzipped("widget.js")
