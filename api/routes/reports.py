"""Insight routes: the support report, what the bot's answers cited, agents' flags on answers.

Who may call:
- ``GET /v1/reports/summary`` and ``/v1/reports/summary.html``: leads and admins;
- ``GET /v1/reports/articles/{article_id}/versions``: editors, leads and admins;
- ``POST /v1/agent/tickets/{ticket_id}/flags``: agents, leads and admins who may see the ticket
  (``flags_router``); ``GET /v1/reports/flags``: editors, leads and admins;
  ``POST /v1/reports/flags/{flag_id}/done``: editors and admins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import (
    EditorDep,
    EditorOrLeadDep,
    LeadDep,
    ReadSessionDep,
    SessionDep,
    StateDep,
    TicketWorkerDep,
)
from api.errors import refusals
from handoff import tickets
from insight import citations, recording, reports
from insight import html as html_report
from insight.models import MAX_FLAG_NOTE_CHARS, AnswerFlag, BotAnswer, FlagReason
from tierzero.clock import utcnow
from tierzero.db import MAX_DB_INT

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=refusals(401, 403))
flags_router = APIRouter(prefix="/v1/agent", tags=["reports"], responses=refusals(401, 403))

Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]


def _report(
    session: Any, state: Any, first: str | None, end: str | None, tz: str | None, bucket: str,
    window: int, with_charts: bool,
) -> dict[str, Any]:  # fmt: skip
    return reports.build(
        session, state.policy, now=utcnow(), first=first, end=end, time_zone=tz,
        bucket=bucket, window_hours=window, with_charts=with_charts,
    )  # fmt: skip


@router.get("/summary", responses=refusals(400))
def summary(
    _: LeadDep,
    session: ReadSessionDep,
    state: StateDep,
    first: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to", description="the day after the last (excluded)")] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
    bucket: Annotated[str, Query(pattern="^(day|week)$")] = "day",
    window: Annotated[int, Query(ge=1, le=reports.MAX_WINDOW_HOURS)] = 24,
) -> dict[str, Any]:
    """Leads and admins: every figure of docs/metrics.md for ``[from, to)`` (default: the last
    30 days) in local days of ``tz`` (default: the team's), per day or week, per channel, tier,
    team, agent, language, topic and plan, the desk now, and the charts' data."""
    return _report(session, state, first, end, tz, bucket, window, with_charts=True)


@router.get(
    "/summary.html",
    responses={
        200: {
            "description": "the report as one self-contained HTML file (a download)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **refusals(400),
    },
)
def summary_html(
    _: LeadDep,
    session: ReadSessionDep,
    state: StateDep,
    first: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
    bucket: Annotated[str, Query(pattern="^(day|week)$")] = "day",
) -> Response:
    """Leads and admins: the same report as a self-contained HTML file (a download)."""
    data = _report(session, state, first, end, tz, bucket, 24, with_charts=True)
    name = f"tierzero-report-{data['period']['from']}-{data['period']['to']}.html"
    return HTMLResponse(
        html_report.render(data),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/articles/{article_id}/versions", responses=refusals(404))
def article_versions(
    _: EditorOrLeadDep,
    session: ReadSessionDep,
    article_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    """Editors, leads and admins: the bot's answers from this article in the last ``days``,
    per translation and version (is it the published one?), how many were marked unhelpful
    or flagged, and those conversations."""
    from kb import service as kb_service

    kb_service.require_article(session, article_id)
    found = citations.citations(session, article_id, since=utcnow() - timedelta(days=days))
    return {"article_id": article_id, "days": days, "versions": [vars(v) for v in found]}


class FlagCreate(BaseModel):
    seq: int = Field(ge=1, le=MAX_DB_INT, description="the bot answer's message seq")
    reason: FlagReason
    note: str = Field(default="", max_length=MAX_FLAG_NOTE_CHARS)


@flags_router.post(
    "/tickets/{ticket_id}/flags", status_code=status.HTTP_201_CREATED, responses=refusals(404)
)
def flag_answer(
    agent: TicketWorkerDep,
    session: SessionDep,
    ticket_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
    body: FlagCreate,
) -> dict[str, Any]:
    """Agents, leads and admins who may see the ticket: mark a bot answer in its transcript
    as incorrect, incomplete, outdated, in the wrong language or other; the question goes to
    the editors' queue with the conversation."""
    ticket = tickets.ticket_for(session, agent, ticket_id)
    flag = recording.flag_answer(
        session, conversation_id=ticket.conversation_id, message_seq=body.seq,
        agent_id=agent.id, reason=body.reason, note=body.note,
    )  # fmt: skip
    return {"id": flag.id, "seq": body.seq, "reason": flag.reason, "note": flag.note}


@router.get("/flags")
def list_flags(
    _: EditorOrLeadDep,
    session: ReadSessionDep,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Editors, leads and admins: agents' flags on bot answers, newest first, with the article,
    its version, the question and the conversation."""
    stmt = (
        select(AnswerFlag, BotAnswer)
        .join(BotAnswer, BotAnswer.id == AnswerFlag.bot_answer_id)
        .order_by(AnswerFlag.id.desc())
        .limit(limit)
    )
    if open_only:
        stmt = stmt.where(AnswerFlag.resolved.is_(False))
    return [
        {
            "id": f.id,
            "reason": f.reason,
            "note": f.note,
            "agent_id": f.agent_id,
            "created_at": f.created_at.isoformat(),
            "conversation_id": a.conversation_id,
            "seq": a.message_seq,
            "article_id": a.article_id,
            "article_version": a.article_version,
            "article_language": a.article_language,
            "query": a.query,
        }
        for f, a in session.execute(stmt).all()
    ]


@router.post("/flags/{flag_id}/done", responses=refusals(404))
def flag_done(
    _: EditorDep,
    session: SessionDep,
    flag_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)],
) -> dict[str, Any]:
    """Editors and admins: the flag is handled (the article was fixed, or the answer was
    right); it leaves the open list."""
    flag = recording.resolve_flag(session, flag_id)
    return {"id": flag.id, "resolved": flag.resolved}
