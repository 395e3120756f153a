"""Validation of editorial input: keys, languages, categories, tags, notes, and an article's
title, answer and example questions (plain text, no markup, within the limits)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kb.errors import (
    InvalidArticle,
    UnsafeContent,
)
from kb.models import (
    LANGUAGES,
    MAX_ANSWER_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_KEY_CHARS,
    MAX_NOTE_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
)
from kb.render import find_unsafe

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def clean_field(text: str) -> str:
    """NFC, no control characters but newline/tab: stored text compares equal on re-import."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def check_language(language: str) -> str:
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise InvalidArticle(
            f"unsupported language {language!r}: use one of {', '.join(LANGUAGES)}"
        )
    return code


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_CHARS or not KEY_PATTERN.match(key):
        raise InvalidArticle(
            f"key must be a slug of lowercase letters, digits and dashes, at most {MAX_KEY_CHARS}"
        )
    return key


#: Something a browser would read as a tag or a comment (``<img …>``, ``</b>``, ``<!--``).
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>|<!--")


def plain(text: str, what: str) -> str:
    """Titles, questions, tags, categories and notes are plain text everywhere they are shown
    (widget, console, help centre, exports): markup is refused on the way in, so no consumer
    has to remember to escape it. Answers are Markdown, sanitised by ``kb.render``."""
    found = MARKUP.search(text)
    if found:
        raise InvalidArticle(f"{what} is plain text: remove the markup {found.group(0)[:40]!r}")
    return text


def check_category(category: str | None) -> str | None:
    if category is None:
        return None
    category = plain(" ".join(clean_field(category).split()), "the category")
    if len(category) > MAX_CATEGORY_CHARS:
        raise InvalidArticle(f"category is longer than {MAX_CATEGORY_CHARS} characters")
    return category or None


def check_tags(tags: Iterable[str]) -> list[str]:
    cleaned = [plain(" ".join(clean_field(tag).split()), "a tag") for tag in tags]
    unique = list(dict.fromkeys(tag for tag in cleaned if tag))
    if len(unique) > MAX_TAGS:
        raise InvalidArticle(f"at most {MAX_TAGS} tags")
    if any(len(tag) > MAX_TAG_CHARS for tag in unique):
        raise InvalidArticle(f"a tag is longer than {MAX_TAG_CHARS} characters")
    return unique


@dataclass(frozen=True)
class Content:
    title: str
    answer: str
    questions: tuple[str, ...]


def check_content(title: str, answer: str, questions: Iterable[str]) -> Content:
    """Limits and safety of one translation's content; raises InvalidArticle / UnsafeContent."""
    title = plain(" ".join(clean_field(title).split()), "the title")
    answer = clean_field(answer).strip()
    if not title:
        raise InvalidArticle("title is missing")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidArticle(f"title is longer than {MAX_TITLE_CHARS} characters")
    if not answer:
        raise InvalidArticle("answer is missing")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidArticle(f"answer is longer than {MAX_ANSWER_CHARS} characters")
    problems = find_unsafe(answer)
    if problems:
        raise UnsafeContent("; ".join(problems))
    seen: set[str] = set()
    kept: list[str] = []
    for question in questions:
        text = plain(" ".join(clean_field(question).split()), "an example question")
        if not text or text.casefold() in seen:
            continue
        if len(text) > MAX_QUESTION_CHARS:
            raise InvalidArticle(
                f"an example question is longer than {MAX_QUESTION_CHARS} characters"
            )
        seen.add(text.casefold())
        kept.append(text)
    if len(kept) > MAX_QUESTIONS:
        raise InvalidArticle(f"at most {MAX_QUESTIONS} example questions")
    return Content(title, answer, tuple(kept))


def check_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = plain(" ".join(clean_field(note).split()), "the note")
    return note[:MAX_NOTE_CHARS] or None


def search_text(content: Content) -> str:
    return "\n".join((content.title, *content.questions, content.answer)).casefold()
