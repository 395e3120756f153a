"""Article Markdown → HTML that is safe to put on a page, and a check that refuses unsafe input.

Two layers on purpose: ``find_unsafe`` tells an editor (or an import) at save time that an
answer carries script-like HTML, so it never enters the knowledge base silently; ``render_html``
sanitises with an allowlist (nh3/ammonia) whatever reaches it anyway, so a rule the check misses
still cannot run script in a customer's browser.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Tags whose mere presence in an answer is refused: they run code, embed other documents or
# restyle/submit the page around the answer.
FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "style",
        "link",
        "meta",
        "base",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "svg",
        "math",
        "template",
    }
)
_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_EVENT_HANDLER = re.compile(r"<[^>]*?[\s/\"']on[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
_SCRIPT_URL = re.compile(r"(?:java|vb|live)script:|data:\s*text/html", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2060\ufeff]+")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_html(markdown: str) -> str:
    """Markdown (inline HTML allowed) → HTML with only allowlisted tags, attributes, schemes."""
    raw = _markdown().render(markdown)
    return nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _has_script_url(text: str) -> bool:
    # Browsers ignore whitespace/control characters inside a scheme and decode entities first,
    # so "java&#115;cript:" and "java\tscript:" count too.
    return bool(_SCRIPT_URL.search(_INVISIBLE.sub("", html.unescape(text))))


def _html_problems(fragment: str) -> list[str]:
    problems: list[str] = []
    for match in _TAG.finditer(fragment):
        tag = match.group(1).lower()
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}> is not allowed in an answer")
    if _EVENT_HANDLER.search(fragment):
        problems.append("event-handler attributes (on…=) are not allowed in an answer")
    if _has_script_url(fragment):
        problems.append("javascript:/data: URLs are not allowed in an answer")
    return problems


def _walk(tokens: list[Token]) -> list[str]:
    problems: list[str] = []
    for token in tokens:
        if token.type in ("code_inline", "code_block", "fence"):
            continue  # shown as literal text, so examples of HTML in code are fine
        if token.type in ("html_block", "html_inline"):
            problems.extend(_html_problems(token.content))
        elif token.type in ("link_open", "image"):
            for attr in ("href", "src"):
                value = token.attrGet(attr)
                if isinstance(value, str) and _has_script_url(value):
                    problems.append("javascript:/data: URLs are not allowed in an answer")
        elif token.type == "text" and _has_script_url(token.content):
            # markdown-it leaves [x](javascript:…) and <javascript:…> as plain text; refuse them
            # rather than publish a broken-looking answer (write it in `code` to mention one).
            problems.append("javascript:/data: URLs are not allowed in an answer")
        if token.children:
            problems.extend(_walk(token.children))
    return problems


def find_unsafe(markdown: str) -> list[str]:
    """Reasons this answer would be refused (empty when it is safe); code spans are exempt."""
    problems = _walk(_markdown().parse(markdown))
    return list(dict.fromkeys(problems))
