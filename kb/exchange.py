"""Import and export of the knowledge base (YAML, JSON, CSV; ``kb.importers`` parses them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from kb import importers
from kb import repository as repo
from kb.editing import (
    create_article,
    create_translation,
    publish,
    update_article,
    update_translation,
)
from kb.errors import (
    ArticleKeyTaken,
    InvalidArticle,
    TranslationExists,
    VersionConflict,
)
from kb.models import (
    Article,
)
from kb.reading import find_translation
from kb.validation import check_category, check_content, check_key, check_language, check_tags

if TYPE_CHECKING:
    from kb.search import KbIndex


@dataclass
class ImportReport:
    """Per-row outcome; ``errors`` name the row so an editor can fix the file and re-import."""

    created: int = 0  # new translations
    updated: int = 0  # existing translations that got a new version
    unchanged: int = 0
    published: int = 0
    errors: list[importers.RowError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_file(
    session: Session,
    path: Path,
    *,
    author: str,
    author_id: int | None = None,
    publish: bool = True,
    index: KbIndex | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a YAML/JSON/CSV file (format from the suffix); see ``import_text``."""
    fmt = importers.detect_format(path.name)
    return import_text(
        session,
        importers.decode(path.read_bytes()),
        fmt=fmt,
        author=author,
        author_id=author_id,
        publish=publish,
        index=index,
        on_progress=on_progress,
    )


def import_text(
    session: Session,
    text: str,
    *,
    fmt: importers.Format,
    author: str,
    author_id: int | None = None,
    publish: bool = True,
    index: KbIndex | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update one translation per row, each in its own savepoint.

    A bad row (missing title/answer, over a limit, unsafe HTML, duplicate key in the file)
    becomes an error in the report and leaves nothing behind; the other rows are imported.
    Re-importing the same file changes nothing; a changed row becomes a new version.
    """
    parsed = importers.parse(text, fmt)
    report = ImportReport(errors=list(parsed.errors))
    total = len(parsed.rows)
    for done, row in enumerate(parsed.rows, start=1):
        try:
            with session.begin_nested():
                outcome = _import_row(
                    session,
                    row,
                    author=author,
                    author_id=author_id,
                    publish_row=publish,
                    index=index,
                )
        except (InvalidArticle, ArticleKeyTaken, TranslationExists, VersionConflict) as exc:
            report.errors.append(
                importers.RowError(row.location, row.key, row.language, exc.message)
            )
        else:
            if outcome.created:
                report.created += 1
            elif outcome.updated:
                report.updated += 1
            else:
                report.unchanged += 1
            report.published += int(outcome.published)
        if on_progress is not None:
            on_progress(done, total)
    report.errors.sort(key=lambda e: _location_order(e.location))
    return report


def _location_order(location: str) -> tuple[int, str]:
    numbers = re.findall(r"\d+", location)
    return (int(numbers[0]) if numbers else -1, location)


@dataclass(frozen=True)
class _RowOutcome:
    created: bool = False
    updated: bool = False
    published: bool = False


def _import_row(
    session: Session,
    row: importers.ImportRow,
    *,
    author: str,
    author_id: int | None,
    publish_row: bool,
    index: KbIndex | None,
) -> _RowOutcome:
    key = check_key(row.key)
    language = check_language(row.language)
    content = check_content(row.title, row.answer, row.questions)
    category = check_category(row.category)
    tags = check_tags(row.tags)
    note = "imported"
    article = repo.get_article_by_key(session, key)
    if article is None:
        view = create_article(
            session,
            key=key,
            language=language,
            title=content.title,
            answer=content.answer,
            questions=content.questions,
            category=category,
            tags=tags,
            author=author,
            author_id=author_id,
            note=note,
        )
        article = view.article
        created, updated = True, False
    else:
        if article.category != category or list(article.tags) != tags:
            article = update_article(
                session, article.id, category=category, tags=tags, index=index
            ).article
        translation = next((t for t in article.translations if t.language == language), None)
        if translation is None:
            create_translation(
                session,
                article.id,
                language,
                title=content.title,
                answer=content.answer,
                questions=content.questions,
                author=author,
                author_id=author_id,
                note=note,
            )
            created, updated = True, False
        else:
            before = translation.version
            view_t = update_translation(
                session,
                article.id,
                language,
                expected_version=translation.version,
                title=content.title,
                answer=content.answer,
                questions=content.questions,
                author=author,
                author_id=author_id,
                note=note,
            )
            created, updated = False, view_t.translation.version != before
    if not publish_row:
        return _RowOutcome(created, updated, False)
    translation = find_translation(session, article.id, language)
    needs_publish = translation.published_version != translation.version or (
        translation.status == "draft"
    )
    if translation.status == "archived" and not (created or updated):
        needs_publish = False  # an editor archived it; an unchanged re-import leaves it so
    if needs_publish:
        publish(session, article.id, language, author=author, index=index)
    return _RowOutcome(created, updated, needs_publish)


def export(session: Session, fmt: importers.Format, *, include_unpublished: bool = False) -> str:
    """The live KB (published versions) as YAML/JSON/CSV, importable as it is.

    ``include_unpublished`` exports every non-archived translation's newest version instead —
    a backup of work in progress rather than a copy of what customers see.
    """
    if fmt not in importers.FORMATS:
        raise InvalidArticle(f"unknown export format {fmt!r}")
    if include_unpublished:
        translations = [t for t in repo.all_translations(session) if t.status != "archived"]
        current = repo.current_versions(session, translations)
        rows = [(t.article, t, current[t.id]) for t in translations]
    else:
        rows = [(r.article, r.translation, r.version) for r in repo.published(session)]
    by_article: dict[int, tuple[Article, list[importers.ExportTranslation]]] = {}
    for article, t, v in rows:
        by_article.setdefault(article.id, (article, []))[1].append(
            importers.ExportTranslation(t.language, v.title, v.answer, tuple(v.questions))
        )
    articles = [
        importers.ExportArticle(a.key, a.category, tuple(a.tags), tuple(ts))
        for a, ts in sorted(by_article.values(), key=lambda pair: pair[0].key)
    ]
    return importers.serialise(articles, fmt)
