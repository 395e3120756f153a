"""Reading and writing knowledge-base files: YAML (the demo format), JSON (same shape) and CSV.

This module only turns text into rows and rows into text. A file that cannot be read as a whole
raises ``ImportFormatError``; a single bad article or row becomes a ``RowError`` and the rest of
the file still counts. Writing to the database (and its rules) is ``kb.service.import_text``.

YAML / JSON::

    articles:
      - key: password-reset
        category: account
        tags: [password, login]
        translations:
          en: {title: ..., answer: ..., questions: [...]}

CSV: one row per translation, header ``key,language,title,answer,questions,category,tags``;
questions separated by newlines or ``|``, tags by ``|`` or ``,``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from kb.errors import ImportFormatError, ImportTooLarge

Format = Literal["yaml", "json", "csv"]
FORMATS: tuple[Format, ...] = ("yaml", "json", "csv")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
CSV_COLUMNS = ("key", "language", "title", "answer", "questions", "category", "tags")
_REQUIRED_CSV_COLUMNS = ("key", "language", "title", "answer")


@dataclass(frozen=True)
class ImportRow:
    """One translation of one article as the file states it (not yet validated)."""

    location: str
    key: str
    language: str
    title: str
    answer: str
    questions: tuple[str, ...]
    category: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class RowError:
    location: str
    key: str | None
    language: str | None
    message: str


@dataclass
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class ExportTranslation:
    language: str
    title: str
    answer: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class ExportArticle:
    key: str
    category: str | None
    tags: tuple[str, ...]
    translations: tuple[ExportTranslation, ...]


def detect_format(name: str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".csv":
        return "csv"
    raise ImportFormatError(
        f"cannot tell the format of {Path(name).name!r}: use .yaml, .json or .csv"
    )


def decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"import file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"import file is not UTF-8 (byte {exc.start})") from exc


# --- reading -----------------------------------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
    """Safe YAML without anchors/aliases: a small file cannot expand into gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call,unused-ignore]
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not allowed in KB files", event.start_mark
            )
        return super().compose_node(parent, index)


def parse(text: str, fmt: Format) -> ParsedFile:
    if len(text.encode("utf-8")) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(f"import file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if fmt == "csv":
        return _parse_csv(text)
    if fmt == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    else:
        try:
            document = yaml.load(text, Loader=_NoAliasLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "syntax error"
            raise ImportFormatError(f"not valid YAML: {problem}{where}") from exc
    _require_text(document)
    return _parse_document(document)


def _require_text(document: object) -> None:
    """JSON and YAML escapes can spell half a UTF-16 pair (``"\\ud800"``): no database, page or
    report can hold that (it was a 500), so such a file is unreadable like any other."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ImportFormatError(
                    "not valid text: an escape spells half a character (a lone surrogate)"
                ) from exc
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return None


def _as_list(value: object, separators: str) -> list[str] | None:
    """A list of strings from a YAML/JSON list or one separated string; None if neither."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = [value]
        for sep in separators:
            parts = [piece for part in parts for piece in part.split(sep)]
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list):
        items = [_as_text(v) for v in value]
        if any(item is None for item in items):
            return None
        return [item.strip() for item in items if item and item.strip()]
    return None


def _parse_document(document: object) -> ParsedFile:
    if isinstance(document, list):
        articles: object = document
    elif isinstance(document, Mapping) and "articles" in document:
        articles = document["articles"]
    else:
        raise ImportFormatError("expected a mapping with an 'articles' list at the top")
    if not isinstance(articles, list):
        raise ImportFormatError("'articles' must be a list")
    parsed = ParsedFile()
    seen: dict[str, str] = {}
    for position, entry in enumerate(articles):
        where = f"articles[{position}]"
        if not isinstance(entry, Mapping):
            parsed.errors.append(RowError(where, None, None, "each article must be a mapping"))
            continue
        key = _as_text(entry.get("key"))
        key = key.strip() if key else ""
        if not key:
            parsed.errors.append(RowError(where, None, None, "article has no key"))
            continue
        if key in seen:
            parsed.errors.append(
                RowError(where, key, None, f"duplicate key {key!r} (first at {seen[key]})")
            )
            continue
        seen[key] = where
        unknown = set(entry) - {"key", "category", "tags", "translations"}
        if unknown:
            parsed.errors.append(
                RowError(
                    where, key, None, f"unknown fields: {', '.join(sorted(map(str, unknown)))}"
                )
            )
            continue
        category = _as_text(entry.get("category"))
        tags = _as_list(entry.get("tags"), "|,")
        if tags is None:
            parsed.errors.append(RowError(where, key, None, "tags must be a list of strings"))
            continue
        translations = entry.get("translations")
        if not isinstance(translations, Mapping) or not translations:
            parsed.errors.append(
                RowError(where, key, None, "translations must map languages to content")
            )
            continue
        for language, content in translations.items():
            lang = str(language).strip().lower()
            row_where = f"{where}.translations.{lang}"
            if not isinstance(content, Mapping):
                parsed.errors.append(
                    RowError(row_where, key, lang, "translation must be a mapping")
                )
                continue
            extra = set(content) - {"title", "answer", "questions"}
            if extra:
                parsed.errors.append(
                    RowError(
                        row_where,
                        key,
                        lang,
                        f"unknown fields: {', '.join(sorted(map(str, extra)))}",
                    )
                )
                continue
            questions = _as_list(content.get("questions"), "\n")
            if questions is None:
                parsed.errors.append(
                    RowError(row_where, key, lang, "questions must be a list of strings")
                )
                continue
            parsed.rows.append(
                ImportRow(
                    location=row_where,
                    key=key,
                    language=lang,
                    title=_as_text(content.get("title")) or "",
                    answer=_as_text(content.get("answer")) or "",
                    questions=tuple(questions),
                    category=category,
                    tags=tuple(tags),
                )
            )
    return parsed


def _parse_csv(text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED_CSV_COLUMNS if c not in header]
    if missing:
        raise ImportFormatError(f"CSV header lacks column(s): {', '.join(missing)}")
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise ImportFormatError(f"CSV header has unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    parsed = ParsedFile()
    seen: dict[tuple[str, str], str] = {}
    article_meta: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    try:
        for record in reader:
            where = f"line {reader.line_num}"
            if None in record:  # more cells than header columns
                parsed.errors.append(RowError(where, None, None, "row has more cells than header"))
                continue
            values = {k: (v or "") for k, v in record.items()}
            if not any(v.strip() for v in values.values()):
                continue  # blank line
            key = values.get("key", "").strip()
            lang = values.get("language", "").strip().lower()
            if not key or not lang:
                parsed.errors.append(
                    RowError(where, key or None, lang or None, "row needs a key and a language")
                )
                continue
            if (key, lang) in seen:
                parsed.errors.append(
                    RowError(
                        where,
                        key,
                        lang,
                        f"duplicate key {key!r} for {lang} (first at {seen[key, lang]})",
                    )
                )
                continue
            seen[key, lang] = where
            category = values.get("category", "").strip() or None
            tags = tuple(_as_list(values.get("tags", ""), "|,") or ())
            # Rows of one article share its category/tags: the first row that states them wins.
            known_category, known_tags = article_meta.get(key, (None, ()))
            article_meta[key] = (known_category or category, known_tags or tags)
            parsed.rows.append(
                ImportRow(
                    location=where,
                    key=key,
                    language=lang,
                    title=values.get("title", ""),
                    answer=values.get("answer", ""),
                    questions=tuple(_as_list(values.get("questions", ""), "\n|") or ()),
                    category=category,
                    tags=tags,
                )
            )
    except csv.Error as exc:
        raise ImportFormatError(f"not valid CSV (line {reader.line_num}): {exc}") from exc
    parsed.rows = [
        ImportRow(
            location=row.location,
            key=row.key,
            language=row.language,
            title=row.title,
            answer=row.answer,
            questions=row.questions,
            category=article_meta[row.key][0],
            tags=article_meta[row.key][1],
        )
        for row in parsed.rows
    ]
    return parsed


# --- writing -----------------------------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc,unused-ignore]
    """Multi-line answers as YAML block scalars (``|``), so exports diff and review well."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _as_document(articles: Sequence[ExportArticle]) -> dict[str, Any]:
    return {
        "articles": [
            {
                "key": article.key,
                "category": article.category,
                "tags": list(article.tags),
                "translations": {
                    t.language: {
                        "title": t.title,
                        "answer": t.answer,
                        "questions": list(t.questions),
                    }
                    for t in article.translations
                },
            }
            for article in articles
        ]
    }


def serialise(articles: Sequence[ExportArticle], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(_as_document(articles), ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        dumped: str = yaml.dump(
            _as_document(articles),
            Dumper=_BlockDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
        return dumped
    return _serialise_csv(articles)


def _serialise_csv(articles: Iterable[ExportArticle]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for article in articles:
        for t in article.translations:
            writer.writerow(
                [
                    article.key,
                    t.language,
                    t.title,
                    t.answer,
                    "\n".join(t.questions),
                    article.category or "",
                    "|".join(article.tags),
                ]
            )
    return out.getvalue()
