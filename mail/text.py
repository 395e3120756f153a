"""Readable text from an email: HTML turned into plain text (scripts, styles and quoted
blocks dropped; everything shown as text, never as HTML), and the customer's own words cut
from what their mail program quoted below them or signed under them."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: The line the desk puts at the top of every mail it sends ("##- Please type your reply above
#: this line -##", in the customer's language); a reply is cut where its quote of it begins.
REPLY_MARKER = re.compile(r"^[\s>]*##-.*-##\s*$")

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
#: Containers mail programs put the quoted earlier message in.
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _Text(HTMLParser):
    def __init__(self, *, quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.quotes = quotes  # keep what the mail program quoted (the whole mail)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # the open elements whose content is dropped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            if tag not in _VOID:
                self._skipping.append(tag)
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        quoted = tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES)
        if tag in _SKIP or (not self.quotes and (quoted or "divRplyFwdMsg" in classes)):
            if tag not in _VOID:
                self._skipping.append(tag)
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:  # close up to the matching element (sloppy HTML too)
                while self._skipping and self._skipping.pop() != tag:
                    pass
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str, *, quotes: bool = False) -> str:
    """The text of an HTML mail; without what it quoted unless ``quotes``."""
    parser = _Text(quotes=quotes)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; anything it still chokes on reads as tag-less
        return tidy(re.sub(r"<[^>]*>", " ", html))
    # block boundaries are line breaks; runs of them (nested blocks) are one
    return tidy(re.sub(r"\n[ \t\u00a0]*(?=\n)", "", "".join(parser.parts)))


def tidy(text: str) -> str:
    """Spaces collapsed within lines, at most one empty line in a row, no edge whitespace."""
    lines = [re.sub(r"[ \t\u00a0\u200b]+", " ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# "On Tue, 1 Dec 2026 at 10:00, Nimbus Support <…> wrote:" in the languages customers write in
_WROTE = re.compile(
    r"(wrote|написал\(?а?\)?|написала|пишет|έγραψε|је написао|је написала|napisao|napisala|"
    r"napisao/la|пише|piše|schrieb|a écrit)\s*:\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*(-{2,}\s*(original message|исходное сообщение|оригинальное сообщение|"
    r"αρχικό μήνυμα|originalna poruka|оригинална порука)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^\s*\*?(from|от|από|od|од)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|отправлено|дата|кому|тема|στάλθηκε|ημερομηνία|προς|θέμα|"
    r"poslato|datum|za|predmet|послато|датум|за|предмет)\s*:", re.IGNORECASE
)  # fmt: skip
_SENT_FROM = re.compile(
    r"^\s*(sent from my|get outlook for|отправлено с|στάλθηκε από|poslato sa|послато са)\b",
    re.IGNORECASE,
)


def _cut_at(lines: list[str]) -> int:
    """Where the customer's own text ends."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if REPLY_MARKER.match(line):
            return i
        if line == "-- " or stripped == "--":  # the signature delimiter (RFC 3676)
            return i
        if _ORIGINAL.match(line) or _SENT_FROM.match(line):
            return i
        if _WROTE.search(stripped) and not stripped.startswith(">") and _quote_follows(lines, i):
            # the attribution line, sometimes wrapped over two lines by the mail program
            joined = i - 1 if i > 0 and lines[i - 1].strip() and len(stripped) < 40 else i
            return joined
        if _HEADER_BLOCK.match(line) and i + 1 < len(lines) and _HEADER_NEXT.match(lines[i + 1]):
            return i
    return len(lines)


def _quote_follows(lines: list[str], i: int) -> bool:
    """An attribution ("… wrote:") introduces a quote; "the installer wrote:" a customer's own
    paste does not."""
    rest = [line for line in lines[i + 1 : i + 4] if line.strip()]
    return not rest or rest[0].lstrip().startswith(">") or bool(REPLY_MARKER.match(rest[0]))


def own_words(text: str) -> str:
    """The customer's reply without what they quoted or signed; the whole text when nothing of
    their own would be left (a message that is all quote is still shown)."""
    lines = text.splitlines()
    kept = [line for line in lines[: _cut_at(lines)] if not line.lstrip().startswith(">")]
    mine = tidy("\n".join(kept))
    return mine or tidy(text)
