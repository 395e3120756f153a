"""The content loop: what the bot could not answer, for the editors.

Who may call:
- ``/v1/content/questions…`` and ``/v1/content/clusters``: editors and admins (the queue of
  unanswered questions, their review, applying them to an article or a new draft);
- ``GET /v1/content/spikes``: editors, leads and admins (topics flooding in right now).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import EditorDep, EditorOrLeadDep, KbDep, ReadSessionDep, SessionDep, StateDep
from api.errors import refusals
from insight.content import clusters, questions, spikes
from insight.models import UnansweredQuestion
from tierzero.clock import utcnow
from tierzero.db import MAX_DB_INT

router = APIRouter(prefix="/v1/content", tags=["content"], responses=refusals(401, 403))
QuestionId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
Id = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=200)]


def _question(q: UnansweredQuestion) -> dict[str, Any]:
    return {
        "id": q.id, "query": q.query, "language": q.language, "reason": q.reason,
        "state": q.state, "conversation_id": q.conversation_id, "article_id": q.article_id,
        "applied_article_id": q.applied_article_id, "created_at": q.created_at.isoformat(),
    }  # fmt: skip


@router.get("/questions", responses=refusals(400))
def list_questions(
    _: EditorDep,
    session: ReadSessionDep,
    state: Annotated[str | None, Query(max_length=20)] = None,
    reason: Annotated[str | None, Query(max_length=20)] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> dict[str, Any]:
    """Editors and admins: the questions the bot could not answer (or answered badly), newest
    first, with why (abstained, low confidence, unhelpful, handed off, flagged), language,
    review state and the conversation."""
    page = questions.list_questions(
        session, state=state, reason=reason, language=language, limit=limit, offset=offset
    )
    return {"items": [_question(q) for q in page.items], "total": page.total,
            "limit": page.limit, "offset": page.offset}  # fmt: skip


class StateChange(BaseModel):
    state: str = Field(max_length=20, description="new | in_review | applied | discarded")


@router.post("/questions/{question_id}/state", responses=refusals(400, 404, 409))
def change_state(
    question_id: QuestionId, body: StateChange, editor: EditorDep, session: SessionDep
) -> dict[str, Any]:
    """Editors and admins: move a question along its review (new → in review → discarded;
    applying goes through ``/apply`` or ``/draft``)."""
    return _question(questions.set_state(session, question_id, body.state, agent_id=editor.id))


class Apply(BaseModel):
    question_ids: Ids
    article_id: int = Field(ge=1, le=MAX_DB_INT)
    language: str = Field(max_length=8)


@router.post("/questions/apply", responses=refusals(400, 404, 409, 503))
def apply(body: Apply, editor: EditorDep, session: SessionDep, index: KbDep) -> dict[str, Any]:
    """Editors and admins: the questions become example questions of the article's translation
    (a new version; live at once when the translation is published) and are taken off any
    other article that had them."""
    done = questions.apply_to_article(
        session, body.question_ids, body.article_id, language=body.language, agent=editor,
        index=index,
    )  # fmt: skip
    return {
        "article_id": done.article_id, "language": done.language, "version": done.version,
        "published": done.published, "added": list(done.added),
        "removed": [{"article_id": r.article_id, "language": r.language,
                     "questions": list(r.questions)} for r in done.removed],
        "questions": [_question(q) for q in done.questions],
    }  # fmt: skip


class Draft(BaseModel):
    question_ids: Ids
    key: str = Field(max_length=120)
    title: str = Field(max_length=300)
    answer: str = Field(max_length=20_000)
    language: str = Field(max_length=8)
    category: str | None = Field(default=None, max_length=80)


@router.post("/questions/draft", status_code=201, responses=refusals(400, 404, 409))
def draft(body: Draft, editor: EditorDep, session: SessionDep) -> dict[str, Any]:
    """Editors and admins: a draft article whose example questions are these questions (they
    are marked applied to it); publish it in the article editor."""
    done = questions.draft_from_questions(
        session, body.question_ids, key=body.key, title=body.title, answer=body.answer,
        language=body.language, category=body.category, agent=editor,
    )  # fmt: skip
    return {"article_id": done.article.article.id, "key": done.article.article.key,
            "questions": [_question(q) for q in done.questions]}  # fmt: skip


@router.get("/clusters", responses=refusals(503))
def list_clusters(
    _: EditorDep,
    session: ReadSessionDep,
    state: StateDep,
    days: Annotated[int, Query(ge=1, le=180)] = 30,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> list[dict[str, Any]]:
    """Editors and admins: the open questions of the last ``days`` grouped by topic across
    languages, largest first: count, trend, examples per language, the closest article and
    whether the bot should have known it (``example_gap``) or the KB lacks it
    (``missing_content``)."""
    now = utcnow()
    index = state.kb if state.kb_loaded else None
    found = clusters.cluster_questions(
        session, index=index, start=now - timedelta(days=days), end=now, limit=limit
    )
    return [
        {
            "question_ids": list(c.question_ids),
            # applying adds each language's questions to that language's translation
            "question_ids_by_language": {k: list(v) for k, v in c.ids_by_language.items()},
            "count": c.count,
            "last_7_days": c.last_7_days,
            "previous_7_days": c.previous_7_days,
            "daily": list(c.daily),
            "languages": c.languages,
            "examples": {k: list(v) for k, v in c.examples.items()},
            "first_asked": c.first_asked.isoformat(),
            "last_asked": c.last_asked.isoformat(),
            "closest": None
            if c.closest is None
            else {
                "article_id": c.closest.article_id,
                "title": c.closest.title,
                "confidence": round(c.closest.confidence, 3),
                "top_share": round(c.closest.top_share, 3),
            },
            "label": c.label,
        }
        for c in found
    ]


@router.get("/spikes")
def list_spikes(_: EditorOrLeadDep, session: ReadSessionDep) -> list[dict[str, Any]]:
    """Editors, leads and admins: topics whose volume in the last hours is well above their
    usual level for those hours (an outage floods "can't log in")."""
    return [s.as_json() for s in spikes.detect_spikes(session, now=utcnow())]
