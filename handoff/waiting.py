"""What a waiting customer sees: their place in the queue and an honest estimate of the wait.

The estimate comes from the tier's recent handling times (assignment to resolution) and the
chat slots of the agents online in that tier; with no agent online there is no estimate.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.frames import Frame, queue_position_frame
from handoff.language import render
from handoff.lifecycle import Channel, Presence, Role, TicketStatus
from handoff.models import Conversation, Ticket
from handoff.texts import say

#: Assumed handling time while a tier has no history yet.
DEFAULT_HANDLING_SECONDS = 600.0


@dataclass(frozen=True)
class Position:
    ticket_id: int
    status: str
    position: int | None  # 1 = next
    eta_seconds: int | None


def tier_capacity(session: Session, tier: str) -> tuple[int, int]:
    """(chat slots of online agents of the tier, of which free)."""
    agents = [
        a
        for a in repo.routable_agents(session)
        if a.tier == tier and a.role == Role.AGENT.value and a.presence == Presence.ONLINE.value
    ]
    load = repo.open_load(session, [a.id for a in agents])
    total = sum(a.chat_capacity for a in agents)
    busy = sum(load.get(a.id, {}).get(Channel.WIDGET.value, 0) for a in agents)
    return total, max(total - busy, 0)


def handling_seconds(session: Session, tier: str) -> float:
    sample = repo.recent_handling_seconds(session, tier)
    return statistics.median(sample) if sample else DEFAULT_HANDLING_SECONDS


def position_of(
    session: Session,
    ticket: Ticket,
    *,
    place: int | None = None,
    capacity: tuple[int, int] | None = None,
    handling: float | None = None,
) -> Position:
    """The ticket's place (1 = next) and estimated wait; ``place``/``capacity``/``handling``
    may be given when a whole queue is announced at once."""
    if ticket.status != TicketStatus.QUEUED.value:
        return Position(ticket.id, ticket.status, None, None)
    position = place if place is not None else repo.queued_ahead(session, ticket) + 1
    total, free = capacity if capacity is not None else tier_capacity(session, ticket.tier)
    if total == 0:
        eta = None
    elif position <= free:
        eta = 60  # a free agent gets the offer now; allow for them to accept and read
    else:
        rounds = math.ceil((position - free) / total)
        per_round = handling if handling is not None else handling_seconds(session, ticket.tier)
        eta = int(rounds * per_round)
    return Position(ticket.id, ticket.status, position, eta)


def position_frame(conversation: Conversation, position: Position) -> Frame:
    if position.position is None:
        text = None
    elif position.eta_seconds is None:
        text = say("queue_position_unknown", conversation.language, position=position.position)
    else:
        minutes = max(1, round(position.eta_seconds / 60))
        text = say(
            "queue_position", conversation.language, position=position.position, minutes=minutes
        )
    if text is not None:
        text = render(text, conversation.language, conversation.script)
    leave = render(say("queue_leave", conversation.language), conversation.language,
                   conversation.script)  # fmt: skip
    return queue_position_frame(
        position.ticket_id, position.status, position.position, position.eta_seconds, text, leave
    )


def frames_for_tier(session: Session, tier: str) -> list[tuple[int, Frame]]:
    """(conversation id, queue frame) for every customer waiting in the tier's queue."""
    result = []
    capacity = tier_capacity(session, tier)
    handling = handling_seconds(session, tier)
    for place, ticket in enumerate(repo.queued_tickets(session, tier=tier), start=1):
        conversation = repo.get_conversation(session, ticket.conversation_id)
        if conversation is None:
            continue
        position = position_of(session, ticket, place=place, capacity=capacity, handling=handling)
        result.append((conversation.id, position_frame(conversation, position)))
    return result


def frame_for_conversation(session: Session, conversation_id: int) -> Frame | None:
    """The customer's current queue state, sent when their widget (re)connects."""
    ticket = repo.open_ticket_for_conversation(session, conversation_id)
    conversation = repo.get_conversation(session, conversation_id)
    if conversation is None:
        return None
    if ticket is None:  # not waiting (any more): a reconnecting widget hides its queue panel
        return queue_position_frame(None, "none", None, None, None)
    return position_frame(conversation, position_of(session, ticket))
