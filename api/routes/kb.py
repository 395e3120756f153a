"""Knowledge-base routes: the editor API and the public article page.

Who may call: everything under ``/v1/kb`` needs an agent with role editor or admin, except
``GET /v1/kb/public/articles/{key}`` and the page ``GET /kb/articles/{key}`` (``page_router``),
which anyone may read: they only ever show published, sanitised text.

Changes that customers can see (publish, archive, rollback, import, category/tags) reach the
live index after the request's transaction commits — the service queues them on the session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from api.deps import EditorDep, KbDep, SessionDep
from api.errors import refusals
from kb import importers
from kb import service as kb_service
from kb.errors import ImportFormatError, ImportTooLarge
from kb.schemas import (
    ArticleCreate,
    ArticleList,
    ArticleRead,
    ArticleStatsRead,
    ArticleUpdate,
    DiffRead,
    ImportReportRead,
    Language,
    PreviewRead,
    PreviewRequest,
    PublicArticleRead,
    RollbackRequest,
    StateChange,
    Status,
    TranslationRead,
    TranslationSave,
    TryHit,
    TryRequest,
    TryResult,
    VersionList,
    VersionRead,
)
from tierzero.db import MAX_DB_INT

router = APIRouter(prefix="/v1/kb", tags=["kb"], responses=refusals(413))
ArticleId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
page_router = APIRouter(tags=["kb"])

#: An editor changing one translation: a rule of the text (400), no such article or translation
#: (404), someone saved meanwhile or the state refuses it (409), the live index not loaded (503).
TRANSLATION_CHANGE = refusals(400, 401, 403, 404, 409, 503)

MEDIA_TYPES: dict[str, str] = {
    "yaml": "application/yaml; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
_TRANSLATION_FILE = {
    "type": "object",
    "required": ["title", "answer"],
    "properties": {
        "title": {"type": "string"},
        "answer": {"type": "string"},
        "questions": {"type": "array", "items": {"type": "string"}},
    },
}
_ARTICLE_FILE = {
    "type": "object",
    "required": ["key", "translations"],
    "properties": {
        "key": {"type": "string"},
        "category": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "translations": {"type": "object", "additionalProperties": _TRANSLATION_FILE},
    },
}
_KB_FILE = {
    "type": "object",
    "required": ["articles"],
    "properties": {"articles": {"type": "array", "items": _ARTICLE_FILE}},
}
#: A KB file as the OpenAPI schema shows it (kb/importers.py reads and writes it): YAML or JSON
#: of the same shape, or CSV text with the header row ``importers.CSV_COLUMNS``.
KB_FILE_CONTENT = {
    "application/yaml": {"schema": _KB_FILE},
    "application/json": {"schema": _KB_FILE},
    "text/csv": {"schema": {"type": "string"}},
}
_FORMAT_BY_MEDIA_TYPE: dict[str, importers.Format] = {
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "application/json": "json",
    "text/csv": "csv",
}


async def _upload(request: Request) -> bytes:
    """The raw request body, refused past the import limit without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > importers.MAX_IMPORT_BYTES:
        raise ImportTooLarge("import file is larger than the limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > importers.MAX_IMPORT_BYTES:
            raise ImportTooLarge("import file is larger than the limit")
        chunks.append(chunk)
    return b"".join(chunks)


UploadDep = Annotated[bytes, Depends(_upload)]


# --- articles --------------------------------------------------------------------------------


@router.get("/articles", responses=refusals(400, 401, 403))
def list_articles(
    editor: EditorDep,
    session: SessionDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    language: Language | None = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    from_tickets: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> ArticleList:
    """Editor/admin: articles having a translation that matches every filter, newest first."""
    page = kb_service.list_articles(
        session,
        status=status_,
        language=language,
        category=category,
        text=q,
        from_tickets=from_tickets,
        limit=limit,
        offset=offset,
    )
    return ArticleList.of(page)


@router.post(
    "/articles", status_code=status.HTTP_201_CREATED, responses=refusals(400, 401, 403, 409)
)
def create_article(body: ArticleCreate, editor: EditorDep, session: SessionDep) -> ArticleRead:
    """Editor/admin: a new article with its first translation, as a draft (version 1)."""
    view = kb_service.create_article(
        session,
        key=body.key,
        language=body.language,
        title=body.title,
        answer=body.answer,
        questions=body.questions,
        category=body.category,
        tags=body.tags,
        author=editor.email,
        author_id=editor.id,
        note=body.note,
    )
    return ArticleRead.of(view)


@router.get("/articles/{article_id}", responses=refusals(401, 403, 404))
def get_article(article_id: ArticleId, editor: EditorDep, session: SessionDep) -> ArticleRead:
    """Editor/admin: the article with every translation's newest version."""
    return ArticleRead.of(kb_service.get_article(session, article_id))


@router.patch("/articles/{article_id}", responses=refusals(400, 401, 403, 404, 503))
def update_article(
    article_id: ArticleId, body: ArticleUpdate, editor: EditorDep, session: SessionDep, kb: KbDep
) -> ArticleRead:
    """Editor/admin: category and tags (shared by all languages; live ones re-index)."""
    view = kb_service.update_article(
        session, article_id, category=body.category, tags=body.tags, index=kb
    )
    return ArticleRead.of(view)


@router.put(
    "/articles/{article_id}/translations/{language}", responses=refusals(400, 401, 403, 404, 409)
)
def save_translation(
    article_id: ArticleId,
    language: Language,
    body: TranslationSave,
    editor: EditorDep,
    session: SessionDep,
) -> TranslationRead:
    """Editor/admin: save a new version (``expected_version`` 0 creates the translation).

    409 ``VersionConflict`` when someone saved since ``expected_version``; nothing is written.
    """
    view = kb_service.save_translation(
        session,
        article_id,
        language,
        expected_version=body.expected_version,
        title=body.title,
        answer=body.answer,
        questions=body.questions,
        author=editor.email,
        author_id=editor.id,
        note=body.note,
    )
    return TranslationRead.of(view)


@router.post("/articles/{article_id}/translations/{language}/publish", responses=TRANSLATION_CHANGE)
def publish(
    article_id: ArticleId,
    language: Language,
    editor: EditorDep,
    session: SessionDep,
    kb: KbDep,
    body: StateChange | None = None,
) -> TranslationRead:
    """Editor/admin: make the newest version live for the bot and the public page."""
    view = kb_service.publish(
        session,
        article_id,
        language,
        author=editor.email,
        expected_version=body.expected_version if body else None,
        index=kb,
    )
    return TranslationRead.of(view)


@router.post("/articles/{article_id}/translations/{language}/archive", responses=TRANSLATION_CHANGE)
def archive(
    article_id: ArticleId,
    language: Language,
    editor: EditorDep,
    session: SessionDep,
    kb: KbDep,
    body: StateChange | None = None,
) -> TranslationRead:
    """Editor/admin: take the translation off the bot and the public page (history stays)."""
    view = kb_service.archive(
        session,
        article_id,
        language,
        author=editor.email,
        expected_version=body.expected_version if body else None,
        index=kb,
    )
    return TranslationRead.of(view)


@router.post(
    "/articles/{article_id}/translations/{language}/rollback", responses=TRANSLATION_CHANGE
)
def rollback(
    article_id: ArticleId,
    language: Language,
    body: RollbackRequest,
    editor: EditorDep,
    session: SessionDep,
    kb: KbDep,
) -> TranslationRead:
    """Editor/admin: publish the content of version N again, as a new version."""
    view = kb_service.rollback(
        session,
        article_id,
        language,
        to_version=body.version,
        author=editor.email,
        author_id=editor.id,
        expected_version=body.expected_version,
        note=body.note,
        index=kb,
    )
    return TranslationRead.of(view)


@router.get(
    "/articles/{article_id}/translations/{language}/versions", responses=refusals(401, 403, 404)
)
def list_versions(
    article_id: ArticleId, language: Language, editor: EditorDep, session: SessionDep
) -> VersionList:
    """Editor/admin: every version, oldest first, with author and diff from the previous one."""
    views = kb_service.list_versions(session, article_id, language)
    return VersionList(
        article_id=article_id, language=language, versions=[VersionRead.of(v) for v in views]
    )


@router.get(
    "/articles/{article_id}/translations/{language}/diff", responses=refusals(401, 403, 404)
)
def diff_versions(
    article_id: ArticleId,
    language: Language,
    editor: EditorDep,
    session: SessionDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_DB_INT)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_DB_INT)],
) -> DiffRead:
    """Editor/admin: unified diff between any two versions."""
    diff = kb_service.diff_versions(
        session, article_id, language, from_version=from_version, to_version=to_version
    )
    return DiffRead(from_version=from_version, to_version=to_version, diff=diff)


@router.get("/articles/{article_id}/stats", responses=refusals(401, 403, 404))
def article_stats(
    article_id: ArticleId, editor: EditorDep, session: SessionDep
) -> ArticleStatsRead:
    """Editor/admin: times shown, helpful rate and handoffs right after, per language."""
    return ArticleStatsRead.of(kb_service.article_stats(session, article_id))


# --- import / export / try -------------------------------------------------------------------


@router.post(
    "/import",
    responses=refusals(400, 401, 403, 503),
    # the body is the file itself, read raw (any of the formats, with the import's own limit)
    openapi_extra={"requestBody": {"required": True, "content": KB_FILE_CONTENT}},
)
def import_articles(
    request: Request,
    data: UploadDep,
    editor: EditorDep,
    session: SessionDep,
    kb: KbDep,
    format_: Annotated[importers.Format | None, Query(alias="format")] = None,
    publish: bool = True,
) -> ImportReportRead:
    """Editor/admin: the request body is a YAML, JSON or CSV file (``format`` or Content-Type).

    Bad rows are reported one by one and the good ones imported; a file that cannot be read at
    all is a 400. Importing the same file again changes nothing.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format_ or _FORMAT_BY_MEDIA_TYPE.get(media_type)
    if fmt is None:
        raise ImportFormatError("say the file format: ?format=yaml|json|csv or a Content-Type")
    report = kb_service.import_text(
        session,
        importers.decode(data),
        fmt=fmt,
        author=editor.email,
        author_id=editor.id,
        publish=publish,
        index=kb,
    )
    return ImportReportRead.of(report)


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"description": "The KB file.", "content": KB_FILE_CONTENT},
        **refusals(401, 403),
    },
)
def export_articles(
    editor: EditorDep,
    session: SessionDep,
    format_: Annotated[importers.Format, Query(alias="format")] = "yaml",
    include_unpublished: bool = False,
) -> Response:
    """Editor/admin: the live KB (or, with ``include_unpublished``, the newest drafts) as a file
    that ``POST /import`` takes back unchanged."""
    text = kb_service.export(session, format_, include_unpublished=include_unpublished)
    return Response(
        content=text,
        media_type=MEDIA_TYPES[format_],
        headers={"Content-Disposition": f'attachment; filename="tierzero-kb.{format_}"'},
    )


@router.post("/preview", responses=refusals(400, 401, 403))
def preview(body: PreviewRequest, editor: EditorDep) -> PreviewRead:
    """Editor/admin: the Markdown answer rendered exactly as readers will see it (the help
    centre's renderer: allowlisted tags, http/https/mailto links only)."""
    from kb.render import render_html

    return PreviewRead(html=render_html(body.answer))


@router.post("/try", responses=refusals(401, 403, 503))
def try_question(body: TryRequest, editor: EditorDep, session: SessionDep, kb: KbDep) -> TryResult:
    """Editor/admin: would the bot answer this? The top matches, confidence and the decision."""
    result = kb.search(body.text, language=body.language, limit=3)
    keys = kb_service.keys_for(session, (hit.article_id for hit in result.hits))
    return TryResult(
        query=result.query,
        language=result.language,
        decision=result.decision,
        would_answer=result.decision == "answer",
        hits=[
            TryHit(
                article_id=hit.article_id,
                key=keys.get(hit.article_id),
                language=hit.language,
                requested_language=hit.requested_language,
                title=hit.title,
                url=hit.url,
                version=hit.version,
                confidence=hit.confidence,
                score=hit.score,
            )
            for hit in result.hits
        ],
    )


# --- public ----------------------------------------------------------------------------------

LangQuery = Annotated[str | None, Query(max_length=16)]


@router.get("/public/articles/{key}", responses=refusals(404))
def public_article(key: str, session: SessionDep, lang: LangQuery = None) -> PublicArticleRead:
    """Anyone: a published article as sanitised HTML, in ``lang`` or explicitly in English."""
    return PublicArticleRead.of(kb_service.public_article(session, key, lang))


@page_router.get(
    "/kb/articles/{key}",
    response_class=RedirectResponse,
    status_code=301,
    responses={301: {"description": "Moved to the article's help-centre page."}},
)
def article_page(key: str, lang: LangQuery = None) -> RedirectResponse:
    """Anyone: the old article link; the article lives in the help centre now."""
    from kb.public import article_path

    return RedirectResponse(article_path(key, lang or "en"), status_code=301)
