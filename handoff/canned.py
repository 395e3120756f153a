"""Canned responses: replies agents send often, per language, with placeholders filled in for
the ticket at hand ({customer_name}, {agent_name}, {ticket_id}). Leads and admins keep them."""

from __future__ import annotations

import string
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.conversations import clean_text
from handoff.errors import MessageRejected
from handoff.language import render
from handoff.models import Agent, CannedResponse, Conversation, Customer, Ticket
from tierzero.db import utcnow
from tierzero.errors import Conflict, NotFound
from tierzero.languages import SUPPORTED_LANGUAGES

PLACEHOLDERS = ("customer_name", "agent_name", "ticket_id")


class CannedNotFound(NotFound):
    pass


class CannedTitleTaken(Conflict):
    pass


def _check(title: str, language: str, text: str) -> tuple[str, str, str]:
    if language not in SUPPORTED_LANGUAGES:
        raise MessageRejected(f"language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    title = clean_text(title, max_chars=200)
    text = clean_text(text, max_chars=10_000)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise MessageRejected(f"the text has a broken placeholder: {exc}") from exc
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise MessageRejected(
            f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}: "
            f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
        )
    return title, language, text


def list_canned(session: Session, *, language: str | None = None) -> Sequence[CannedResponse]:
    query = select(CannedResponse).order_by(CannedResponse.title, CannedResponse.language)
    if language:
        query = query.where(CannedResponse.language == language)
    return session.scalars(query).all()


def get_canned(session: Session, canned_id: int) -> CannedResponse:
    found = session.get(CannedResponse, canned_id)
    if found is None:
        raise CannedNotFound("canned response not found")
    return found


def save_canned(
    session: Session,
    *,
    author: Agent,
    title: str,
    language: str,
    text: str,
    canned_id: int | None = None,
) -> CannedResponse:
    """Create (``canned_id`` None) or replace a canned response."""
    title, language, text = _check(title, language, text)
    canned = (
        CannedResponse(created_by=author.id)
        if canned_id is None
        else get_canned(session, canned_id)
    )
    canned.title, canned.language, canned.text, canned.updated_at = title, language, text, utcnow()
    try:
        with session.begin_nested():
            session.add(canned)
            session.flush()
    except IntegrityError as exc:
        raise CannedTitleTaken(f"a canned response {title!r} in {language} exists") from exc
    return canned


def delete_canned(session: Session, canned_id: int) -> None:
    session.delete(get_canned(session, canned_id))
    session.flush()


def fill(session: Session, canned: CannedResponse, *, ticket: Ticket, agent: Agent) -> str:
    """The text for this ticket: placeholders filled, in the customer's script."""
    customer = session.get(Customer, ticket.customer_id)
    conversation = session.get(Conversation, ticket.conversation_id)
    values = {
        "customer_name": (customer.name if customer and customer.name else "").strip(),
        "agent_name": agent.name,
        "ticket_id": str(ticket.id),
    }
    text = canned.text.format_map(values)
    text = " ".join(text.split(" ")) if values["customer_name"] else text.replace(" ,", ",")
    script = conversation.script if conversation else None
    return render(text, canned.language, script)
