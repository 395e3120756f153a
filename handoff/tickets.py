"""The desk's rules for tickets: hand off, see, claim, release, transfer, escalate, de-escalate,
resolve, reopen, reply (with the collision guard) and internal notes.

Every status change goes through ``handoff.lifecycle.apply`` (one conditional UPDATE plus its
TicketEvent); live frames are published only after the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff import lifecycle
from handoff import repository as repo
from handoff.agents import has_room, is_supervisor, visible_tiers
from handoff.conversations import add_message, clean_text, get_conversation
from handoff.errors import (
    MessageRejected,
    OverCapacity,
    ReplyCollision,
    TicketAlreadyClaimed,
    TicketConflict,
    TicketNotAssignedToYou,
    TicketNotFound,
)
from handoff.frames import message_frame, note_frame, offer_closed_frame, ticket_frame
from handoff.lifecycle import (
    SUPERVISORS,
    TICKET_WORKERS,
    Action,
    Actor,
    Channel,
    ConversationMode,
    EndReason,
    EventKind,
    HandoffReason,
    OfferStatus,
    Priority,
    Role,
    Sender,
    TicketStatus,
    Tier,
)
from handoff.models import Agent, Conversation, Message, Ticket, TicketEvent
from handoff.policy import Policy
from handoff.sla import deadlines
from handoff.texts import say
from tierzero.db import utcnow
from tierzero.hub import Hub, agent_topic, conversation_topic, queue_topic, ticket_topic

MAX_NOTE_CHARS = 10_000
PACKET_MESSAGES = 200


def actor_of(agent: Agent) -> Actor:
    return Actor.LEAD if Role(agent.role) in SUPERVISORS else Actor.AGENT


def announce(
    session: Session,
    hub: Hub,
    ticket: Ticket,
    event: TicketEvent | None,
    *extra_tiers: str,
    previous_assignee: int | None = None,
) -> None:
    """After commit: the ticket's queue(s), its viewers, its assignee and the agent who just
    lost it (released, transferred, escalated away) see the change."""
    frame = ticket_frame(ticket, event)
    for tier in {ticket.tier, *extra_tiers}:
        hub.publish_after_commit(session, queue_topic(tier), frame)
    hub.publish_after_commit(session, ticket_topic(ticket.id), frame)
    for agent_id in {ticket.assignee_id, previous_assignee}:
        if agent_id is not None:
            hub.publish_after_commit(session, agent_topic(agent_id), frame)


def say_to_customer(
    session: Session,
    hub: Hub,
    conversation: Conversation,
    key: str,
    payload: dict[str, Any] | None = None,
    **values: object,
) -> Message:
    """A system message in the customer's language and script (stored, then pushed)."""
    return tell(session, hub, conversation, say(key, conversation.language, **values),
                {"kind": key, **(payload or {})})  # fmt: skip


def tell(
    session: Session, hub: Hub, conversation: Conversation, text: str, payload: dict[str, Any]
) -> Message:
    """A system message (``text`` in the customer's language, given the script they write in),
    stored, then pushed."""
    from handoff.language import render

    message = add_message(
        session, conversation_id=conversation.id, sender=Sender.SYSTEM,
        text=render(text, conversation.language, conversation.script), payload=payload,
    )  # fmt: skip
    hub.publish_after_commit(session, conversation_topic(conversation.id), message_frame(message))
    return message


# --- handoff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffResult:
    ticket: Ticket
    created: bool


def bot_attempts(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Every answer the bot tried: article, the version it showed, and its confidence."""
    attempts = []
    for m in messages:
        article = m.payload.get("article") if m.sender == Sender.BOT.value else None
        if isinstance(article, dict):
            attempts.append(
                {
                    "seq": m.seq,
                    "article_id": article.get("id"),
                    "version": article.get("version"),
                    "title": article.get("title"),
                    "language": article.get("language"),
                    "confidence": article.get("confidence"),
                }
            )
    return attempts


def handoff_packet(
    session: Session,
    conversation: Conversation,
    messages: Sequence[Message],
    *,
    reason: HandoffReason,
    topic: str | None,
) -> dict[str, Any]:
    """What travels with the ticket, so nobody asks the customer again."""
    customer = repo.get_customer(session, conversation.customer_id)
    earlier = repo.tickets_of_customer(session, conversation.customer_id)
    return {
        "reason": reason.value,
        "language": conversation.language,
        "script": conversation.script,
        "topic": topic,
        "channel": conversation.channel,
        "page_url": conversation.context.get("page_url"),
        "customer": {
            "id": customer.id if customer else conversation.customer_id,
            "external_id": customer.external_id if customer else None,
            "name": customer.name if customer else None,
            "email": customer.email if customer else None,
            "plan": customer.plan if customer else None,
        },
        "transcript": [
            {
                "seq": m.seq,
                "sender": m.sender,
                "text": m.text,
                "created_at": m.created_at.isoformat(),
            }
            for m in messages[-PACKET_MESSAGES:]
        ],
        "bot_attempts": bot_attempts(messages),
        "unanswered": conversation.context.get("low_confidence"),
        "earlier_tickets": [
            {
                "id": t.id,
                "status": t.status,
                "subject": t.subject,
                "tier": t.tier,
                "end_reason": t.end_reason,
                "created_at": t.created_at.isoformat(),
            }
            for t in earlier
        ],
    }


def hand_off(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    reason: HandoffReason,
    topic: str | None = None,
    priority: Priority = Priority.NORMAL,
    actor: Actor = Actor.BOT,
    policy: Policy | None = None,
) -> HandoffResult:
    """Turn a conversation into a queued L1 ticket; idempotent while a ticket is open (retries
    and concurrent calls get the same ticket); after resolution a new ticket is made."""
    existing = repo.open_ticket_for_conversation(session, conversation_id)
    if existing is not None:
        return HandoffResult(existing, created=False)
    conversation = get_conversation(session, conversation_id)
    messages = repo.messages_since(session, conversation_id)
    since_last = _since_last_ticket(session, conversation_id, messages)
    first_question = next((m.text for m in since_last if m.sender == Sender.CUSTOMER.value), "")
    subject = conversation.context.get("subject")  # an email's own subject line
    if isinstance(subject, str) and subject.strip():
        first_question = subject.strip()
    packet = handoff_packet(session, conversation, messages, reason=reason, topic=topic)
    now = utcnow()
    due = None
    if policy is not None:
        customer = repo.get_customer(session, conversation.customer_id)
        due = deadlines(
            policy, customer.plan if customer else None, priority, now, conversation.channel
        )
        packet["plan"] = due.plan
        packet["live_support"] = due.live_support
    ticket = Ticket(
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        status=TicketStatus.QUEUED.value,
        tier=Tier.L1.value,
        priority=priority.value,
        priority_rank=priority.rank,
        language=conversation.language,
        channel=conversation.channel,
        subject=first_question[:300],
        topic=topic,
        handoff_reason=reason.value,
        handoff_seq=conversation.last_seq,
        bot_attempts=bot_attempts(since_last),
        packet=packet,
        first_response_due_at=due.first_response_due_at if due else None,
        resolution_due_at=due.resolution_due_at if due else None,
        due_at=due.first_response_due_at if due else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:  # a concurrent retry of the same handoff won
        winner = repo.open_ticket_for_conversation(session, conversation_id)
        if winner is None:
            raise
        return HandoffResult(winner, created=False)
    conversation.mode = ConversationMode.HUMAN.value
    event = lifecycle.record(
        session, ticket, EventKind.CREATED, actor=actor, reason=reason.value,
        data={"messages": len(messages), "topic": topic}, to_status=TicketStatus.QUEUED,
    )  # fmt: skip
    announce(session, hub, ticket, event)
    return HandoffResult(ticket, created=True)


def _since_last_ticket(
    session: Session, conversation_id: int, messages: Sequence[Message]
) -> Sequence[Message]:
    previous = repo.latest_ticket_for_conversation(session, conversation_id)
    if previous is None:
        return messages
    return [m for m in messages if m.seq > previous.handoff_seq]


# --- seeing tickets -------------------------------------------------------------------------


def require_worker(agent: Agent) -> None:
    if Role(agent.role) not in TICKET_WORKERS:
        raise TicketNotFound("ticket not found")


def ticket_for(session: Session, agent: Agent, ticket_id: int) -> Ticket:
    """The ticket if this agent may see it; otherwise 404, as if it did not exist."""
    require_worker(agent)
    ticket = repo.get_ticket(session, ticket_id)
    if ticket is None or Tier(ticket.tier) not in visible_tiers(agent):
        raise TicketNotFound("ticket not found")
    return ticket


def _must_work_on(agent: Agent, ticket: Ticket) -> None:
    """Changing a claimed ticket is for its assignee, or a lead/admin."""
    if ticket.assignee_id != agent.id and not is_supervisor(agent):
        raise TicketNotAssignedToYou(
            "this ticket is assigned to another agent"
            if ticket.assignee_id
            else "claim the ticket first"
        )


def _must_work_on_or_lead_queued(agent: Agent, ticket: Ticket) -> None:
    """A queued ticket a lead/admin may move on without claiming it; anything else is for the
    one working on it (or a lead/admin)."""
    if ticket.status != TicketStatus.QUEUED.value or not is_supervisor(agent):
        _must_work_on(agent, ticket)


def _close_offer(
    session: Session, hub: Hub, ticket: Ticket, *, accepted_by: int | None = None
) -> None:
    """The ticket left the queue: its pending offer is accepted (when ``accepted_by`` holds it)
    or withdrawn, and its agent's console is told."""
    offer = repo.pending_offer(session, ticket.id)
    if offer is None:
        return
    status = OfferStatus.ACCEPTED if offer.agent_id == accepted_by else OfferStatus.WITHDRAWN
    if repo.set_offer_status(session, offer.id, expect=OfferStatus.PENDING, status=status,
                             now=utcnow()):  # fmt: skip
        session.refresh(offer)
        hub.publish_after_commit(session, agent_topic(offer.agent_id), offer_closed_frame(offer))


def _seen_version(ticket: Ticket, action: Action | str, expected: int | None) -> int:
    """The version every change is made against: the client's, or the one just read (so a
    concurrent change between the permission checks and the UPDATE makes this one lose)."""
    if expected is not None and expected != ticket.version:
        raise TicketConflict.for_ticket(ticket, action)
    return ticket.version


# --- claims ---------------------------------------------------------------------------------


def _already_claimed(ticket: Ticket, conflict: TicketConflict) -> TicketAlreadyClaimed:
    message = "ticket is already claimed" if ticket.assignee_id else conflict.message
    return TicketAlreadyClaimed(message, conflict.data)


def claim(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Ticket:
    """Take a queued ticket: one conditional UPDATE, so of concurrent claimants exactly one wins
    and the others get 409 with the ticket's fresh state."""
    ticket = ticket_for(session, agent, ticket_id)
    if ticket.status != TicketStatus.QUEUED.value or ticket.assignee_id is not None:
        # already decided (the row was read inside this transaction): no write needed to refuse
        raise _already_claimed(ticket, TicketConflict.for_ticket(ticket, Action.CLAIM))
    if not is_supervisor(agent) and not has_room(session, agent, ticket.channel):
        raise OverCapacity("you are at your capacity; resolve or release a ticket first")
    now = utcnow()
    try:
        event = lifecycle.apply(
            session, ticket, Action.CLAIM, actor=actor_of(agent), agent_id=agent.id,
            reason=reason,
            expected_version=_seen_version(ticket, Action.CLAIM, expected_version),
            where=[Ticket.assignee_id.is_(None)],
            changes={"assignee_id": agent.id, "assigned_at": now, "needs_lead": False},
        )  # fmt: skip
    except TicketConflict as exc:
        raise _already_claimed(ticket, exc) from exc
    _close_offer(session, hub, ticket, accepted_by=agent.id)
    announce(session, hub, ticket, event)
    # the chat's customer learns who took it (the queue panel just disappearing says nothing);
    # a mail's customer hears from the agent's reply
    conversation = get_conversation(session, ticket.conversation_id)
    if conversation.channel != Channel.EMAIL.value:
        say_to_customer(session, hub, conversation, "agent_joined", name=agent.name)
    return ticket


def claim_next(session: Session, hub: Hub, *, agent: Agent) -> Ticket | None:
    """The next ticket of the agent's queue (priority, then age), claimed; None when empty.

    PostgreSQL skips rows other agents are claiming at this moment; SQLite serialises writers.
    """
    require_worker(agent)
    tiers = [t.value for t in visible_tiers(agent)] if is_supervisor(agent) else [agent.tier]
    skip_locked = session.get_bind().dialect.name == "postgresql"
    for _ in range(20):
        ticket_id = repo.next_queued_id(
            session, tiers=tiers, languages=agent.languages, skip_locked=skip_locked
        )
        if ticket_id is None:
            return None
        try:
            with session.begin_nested():
                return claim(session, hub, agent=agent, ticket_id=ticket_id, reason="next")
        except TicketAlreadyClaimed:
            continue
    return None


def release(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Back to the tier's queue; the releasing agent is never offered it again."""
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on(agent, ticket)
    previous = ticket.assignee_id
    event = lifecycle.apply(
        session, ticket, Action.RELEASE, actor=actor_of(agent), agent_id=agent.id,
        reason=reason, expected_version=_seen_version(ticket, Action.RELEASE, expected_version),
        where=[Ticket.assignee_id == previous],
        changes={"assignee_id": None, "assigned_at": None},
        data={"from_agent": previous},
    )  # fmt: skip
    announce(session, hub, ticket, event, previous_assignee=previous)
    return ticket


def transfer(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    to_agent: Agent,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Hand a ticket to a named colleague of its tier (leads: anyone who works tickets)."""
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on(agent, ticket)
    if (
        not to_agent.active
        or Role(to_agent.role) not in TICKET_WORKERS
        or Tier(ticket.tier) not in visible_tiers(to_agent)
    ):
        raise MessageRejected("that agent cannot take tickets of this tier")
    if to_agent.id == ticket.assignee_id:
        raise MessageRejected("the ticket is already assigned to that agent")
    if not has_room(session, to_agent, ticket.channel) and not is_supervisor(agent):
        raise OverCapacity(f"{to_agent.name} is at capacity")
    previous = ticket.assignee_id
    event = lifecycle.apply(
        session, ticket, Action.TRANSFER, actor=actor_of(agent), agent_id=agent.id,
        reason=reason, expected_version=_seen_version(ticket, Action.TRANSFER, expected_version),
        changes={"assignee_id": to_agent.id, "assigned_at": utcnow(), "needs_lead": False},
        data={"from_agent": previous, "to_agent": to_agent.id},
    )  # fmt: skip
    _close_offer(session, hub, ticket)
    announce(session, hub, ticket, event, previous_assignee=previous)
    return ticket


def _required_note(note: str | None, what: str) -> str:
    if not note or not note.strip():
        raise MessageRejected(f"{what} needs a note for the next tier")
    return clean_text(note, max_chars=MAX_NOTE_CHARS)


def change_tier(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    action: Action,
    note: str | None,
    expected_version: int | None,
) -> Ticket:
    """Escalate (up) or de-escalate (down) one tier; a note for the next tier is required."""
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on_or_lead_queued(agent, ticket)
    text = _required_note(
        note, "escalating" if action is Action.ESCALATE else "sending a ticket back"
    )
    return move_tier(
        session, hub, ticket, action, actor=actor_of(agent), agent_id=agent.id, note=text,
        expected_version=_seen_version(ticket, action, expected_version),
    )  # fmt: skip


def move_tier(
    session: Session,
    hub: Hub,
    ticket: Ticket,
    action: Action,
    *,
    actor: Actor,
    note: str,
    agent_id: int | None = None,
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """One tier up (ESCALATE) or down, back into that tier's queue, with the note for it; the
    transcript, notes and events go along. 409 at the top or bottom tier."""
    up = action is Action.ESCALATE
    source = Tier(ticket.tier)
    target = source.above() if up else source.below()
    if target is None:
        raise TicketConflict.for_ticket(ticket, action)
    previous = ticket.assignee_id
    event = lifecycle.apply(
        session, ticket, action, actor=actor, agent_id=agent_id, reason=note,
        expected_version=expected_version,
        changes={"tier": target.value, "assignee_id": None, "assigned_at": None,
                 "needs_lead": False},
        data={"from_tier": source.value, "to_tier": target.value, "from_agent": previous,
              "note": note, **(data or {})},
    )  # fmt: skip
    _close_offer(session, hub, ticket)
    announce(session, hub, ticket, event, source.value, previous_assignee=previous)
    if up:
        conversation = get_conversation(session, ticket.conversation_id)
        say_to_customer(session, hub, conversation, "escalated")
    return ticket


def escalate(
    session: Session, hub: Hub, *, agent: Agent, ticket_id: int, note: str | None,
    expected_version: int | None = None,
) -> Ticket:  # fmt: skip
    """L1 → L2 → L3 with a required note; the transcript, notes and events go along."""
    return change_tier(session, hub, agent=agent, ticket_id=ticket_id, action=Action.ESCALATE,
                       note=note, expected_version=expected_version)  # fmt: skip


def de_escalate(
    session: Session, hub: Hub, *, agent: Agent, ticket_id: int, note: str | None,
    expected_version: int | None = None,
) -> Ticket:  # fmt: skip
    """Back down a tier with guidance (L3 → L2 → L1)."""
    return change_tier(session, hub, agent=agent, ticket_id=ticket_id, action=Action.DE_ESCALATE,
                       note=note, expected_version=expected_version)  # fmt: skip


def resolve(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    note: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Done: the conversation returns to the bot for the customer's next question."""
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on(agent, ticket)
    return _end_and_back_to_bot(
        session, hub, agent, ticket, Action.RESOLVE, EndReason.RESOLVED, note, expected_version,
        changes={"resolved_at": utcnow()},
        say=lambda conversation: ("ticket_resolved",
                                  {"csat": csat_prompt(conversation, ticket.id)}),
    )  # fmt: skip


def _end_and_back_to_bot(
    session: Session,
    hub: Hub,
    agent: Agent,
    ticket: Ticket,
    action: Action,
    end: EndReason,
    note: str | None,
    expected_version: int | None,
    *,
    say: Callable[[Conversation], tuple[str, dict[str, Any]]],
    changes: dict[str, Any] | None = None,
) -> Ticket:
    """An agent ends the handoff (``end``): the ticket leaves the queue and the agent's hands,
    the bot has the conversation again, and the customer is told (``say`` picks the text)."""
    text = clean_text(note, max_chars=MAX_NOTE_CHARS) if note and note.strip() else None
    previous = ticket.assignee_id
    event = lifecycle.apply(
        session, ticket, action, actor=actor_of(agent), agent_id=agent.id, reason=text,
        expected_version=_seen_version(ticket, action, expected_version),
        changes={"end_reason": end.value, "needs_lead": False, "due_at": None,
                 **(changes or {})},
    )  # fmt: skip
    _close_offer(session, hub, ticket)
    conversation = get_conversation(session, ticket.conversation_id)
    conversation.mode = ConversationMode.BOT.value
    conversation.unhelpful_answers = 0
    key, payload = say(conversation)
    say_to_customer(session, hub, conversation, key, ticket=ticket.id, payload=payload)
    announce(session, hub, ticket, event, previous_assignee=previous)
    return ticket


def reopen(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """A resolved ticket back into its tier's queue (409 if the conversation has another open
    ticket meanwhile)."""
    ticket = ticket_for(session, agent, ticket_id)
    return _reopen(
        session, hub, ticket, actor=actor_of(agent), agent_id=agent.id, reason=reason,
        expected_version=_seen_version(ticket, Action.REOPEN, expected_version),
    )  # fmt: skip


def reopen_by_customer(
    session: Session, hub: Hub, *, ticket: Ticket, policy: Policy | None = None
) -> Ticket:
    """The customer wrote again about a resolved request (a reply to its email): it goes back
    into its tier's queue with everything it had, due within the plan's first-response target
    from now (its old deadlines stay as they were for the reports)."""
    due = None
    if policy is not None:
        plan = ticket.packet.get("plan") if isinstance(ticket.packet, dict) else None
        due = deadlines(policy, plan, Priority(ticket.priority), utcnow(),
                        ticket.channel).first_response_due_at  # fmt: skip
    return _reopen(session, hub, ticket, actor=Actor.CUSTOMER, agent_id=None,
                   reason="the customer wrote again", expected_version=None,
                   due_at=due)  # fmt: skip


def _reopen(
    session: Session,
    hub: Hub,
    ticket: Ticket,
    *,
    actor: Actor,
    agent_id: int | None,
    reason: str | None,
    expected_version: int | None,
    due_at: datetime | None = None,
) -> Ticket:
    try:
        with session.begin_nested():
            event = lifecycle.apply(
                session, ticket, Action.REOPEN, actor=actor, agent_id=agent_id, reason=reason,
                expected_version=expected_version,
                changes={"resolved_at": None, "end_reason": None, "assignee_id": None,
                         "assigned_at": None, "due_at": due_at or ticket.resolution_due_at},
            )  # fmt: skip
    except IntegrityError as exc:
        session.refresh(ticket)
        raise TicketConflict(
            "the conversation has another open ticket; work on that one",
            TicketConflict.for_ticket(ticket, Action.REOPEN).data,
        ) from exc
    conversation = get_conversation(session, ticket.conversation_id)
    conversation.mode = ConversationMode.HUMAN.value
    session.flush()
    announce(session, hub, ticket, event)
    return ticket


def wait_on_customer(
    session: Session, hub: Hub, *, agent: Agent, ticket_id: int, expected_version: int | None
) -> Ticket:
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on(agent, ticket)
    event = lifecycle.apply(
        session, ticket, Action.WAIT_ON_CUSTOMER, actor=actor_of(agent), agent_id=agent.id,
        expected_version=_seen_version(ticket, Action.WAIT_ON_CUSTOMER, expected_version),
    )  # fmt: skip
    announce(session, hub, ticket, event)
    return ticket


def customer_wrote(session: Session, hub: Hub, *, conversation_id: int) -> None:
    """A customer message on a ticket waiting for them puts it back with its agent."""
    ticket = repo.open_ticket_for_conversation(session, conversation_id)
    if ticket is None or ticket.status != TicketStatus.WAITING_ON_CUSTOMER.value:
        return
    try:
        with session.begin_nested():
            event = lifecycle.apply(session, ticket, Action.CUSTOMER_REPLIED, actor=Actor.CUSTOMER)
    except TicketConflict:  # an agent changed it at the same moment; nothing to undo
        return
    announce(session, hub, ticket, event)


def cancel_waiting(session: Session, hub: Hub, *, conversation_id: int) -> Ticket:
    """The customer leaves the queue and goes back to the bot (only while nobody took it)."""
    ticket = repo.open_ticket_for_conversation(session, conversation_id)
    if ticket is None:
        raise TicketNotFound("you are not waiting for a person")
    taken = "someone from our team is already with you, so the conversation stays with them"
    if ticket.status != TicketStatus.QUEUED.value:
        raise TicketConflict(taken)  # no ticket internals for the customer
    try:
        with session.begin_nested():
            event = lifecycle.apply(
                session, ticket, Action.CANCEL, actor=Actor.CUSTOMER,
                reason="customer left the queue",
                changes={"end_reason": EndReason.CANCELLED.value, "needs_lead": False,
                         "due_at": None},
            )  # fmt: skip
    except TicketConflict as exc:  # an agent took it at this very moment
        raise TicketConflict(taken) from exc
    _close_offer(session, hub, ticket)
    conversation = get_conversation(session, conversation_id)
    conversation.mode = ConversationMode.BOT.value
    say_to_customer(session, hub, conversation, "handoff_cancelled")
    announce(session, hub, ticket, event)
    return ticket


def follow_up_by_email(session: Session, hub: Hub, *, conversation_id: int, email: str) -> None:
    """The customer left an email address for the answer: kept on the customer, noted on the
    open ticket for the agent, confirmed to the customer."""
    from handoff.conversations import leave_contact

    leave_contact(session, conversation_id=conversation_id, email=email)
    address = email.strip()
    ticket = repo.open_ticket_for_conversation(session, conversation_id)
    if ticket is not None:
        event = lifecycle.record(
            session, ticket, EventKind.CONTACT_LEFT, actor=Actor.CUSTOMER,
            data={"email": address},
        )  # fmt: skip
        announce(session, hub, ticket, event)
    conversation = get_conversation(session, conversation_id)
    say_to_customer(session, hub, conversation, "email_saved", email=address)


def return_to_bot(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    note: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The agent hands the conversation back to the bot (nothing left for a person to do, e.g.
    the customer's question is one the KB answers): the handoff ends as ``returned_to_bot``."""
    ticket = ticket_for(session, agent, ticket_id)
    _must_work_on_or_lead_queued(agent, ticket)
    return _end_and_back_to_bot(
        session, hub, agent, ticket, Action.RETURN_TO_BOT, EndReason.RETURNED_TO_BOT, note,
        expected_version, say=lambda _: ("back_to_bot", {}),
    )  # fmt: skip


def abandon(session: Session, hub: Hub, ticket: Ticket, *, reason: str) -> TicketEvent:
    """The customer left while waiting and left no way to reach them: the handoff ends as
    ``abandoned`` (TicketConflict if someone took the ticket meanwhile)."""
    event = lifecycle.apply(
        session, ticket, Action.ABANDON, actor=Actor.SYSTEM, reason=reason,
        changes={"end_reason": EndReason.ABANDONED.value, "needs_lead": False, "due_at": None},
    )  # fmt: skip
    _close_offer(session, hub, ticket)
    conversation = get_conversation(session, ticket.conversation_id)
    conversation.mode = ConversationMode.BOT.value
    session.flush()
    announce(session, hub, ticket, event)
    return event


# --- the customer's verdict ------------------------------------------------------------------


def csat_prompt(conversation: Conversation, ticket_id: int) -> dict[str, Any]:
    """What the widget needs to ask for a rating, in the customer's language and script."""
    from handoff.language import render

    def text(key: str) -> str:
        return render(say(key, conversation.language), conversation.language, conversation.script)

    return {
        "ticket_id": ticket_id,
        "question": text("csat_question"),
        "comment": text("csat_comment"),
        "scale": [1, 2, 3, 4, 5],
    }


def rate(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    ticket_id: int,
    score: int,
    comment: str | None = None,
) -> Ticket:
    """The customer's rating of a resolved ticket of their conversation; a second rating
    replaces the first (one verdict per resolution), each one kept as an event."""
    ticket = repo.get_ticket(session, ticket_id)
    if ticket is None or ticket.conversation_id != conversation_id:
        raise TicketNotFound("ticket not found")
    if ticket.status not in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value) or (
        ticket.end_reason != EndReason.RESOLVED.value
    ):
        raise TicketConflict("only a resolved request can be rated")
    if not 1 <= score <= 5:
        raise MessageRejected("the rating is a number from 1 to 5")
    cleaned = clean_text(comment, max_chars=2000) if comment and comment.strip() else None
    replaced = ticket.csat_score is not None
    ticket.csat_score, ticket.csat_comment, ticket.csat_at = score, cleaned, utcnow()
    event = lifecycle.record(
        session, ticket, EventKind.RATED, actor=Actor.CUSTOMER,
        data={"score": score, "comment": cleaned, "replaced": replaced},
    )  # fmt: skip
    hub.publish_after_commit(session, ticket_topic(ticket.id), ticket_frame(ticket, event))
    conversation = get_conversation(session, conversation_id)
    say_to_customer(session, hub, conversation, "csat_thanks")
    return ticket


# --- replies and notes ----------------------------------------------------------------------


def _resent_reply(
    session: Session, ticket: Ticket, agent: Agent, client_msg_id: str | None
) -> Message | None:
    """This agent's reply already stored under ``client_msg_id`` (a resend), if any."""
    if client_msg_id is None:
        return None
    sent = repo.find_message_by_client_id(session, ticket.conversation_id, client_msg_id)
    if sent is None:
        return None
    if sent.sender != Sender.AGENT.value or sent.agent_id != agent.id:
        raise TicketConflict("that client_msg_id belongs to another message")
    return sent


def reply(
    session: Session,
    hub: Hub,
    *,
    agent: Agent,
    ticket_id: int,
    text: str,
    last_seen_seq: int | None = None,
    client_msg_id: str | None = None,
) -> Message:
    """The assignee writes to the customer. With ``last_seen_seq`` (the console always sends
    it) a reply is refused with 409 and the new messages when the customer or another agent
    wrote after it, so two people never answer over each other. With ``client_msg_id`` a
    resent reply (the first answer was lost with the connection) is stored once: the stored
    message comes back."""
    ticket = ticket_for(session, agent, ticket_id)
    resent = _resent_reply(session, ticket, agent, client_msg_id)
    if resent is not None:  # stored before the connection dropped (the ticket may have moved on)
        return resent
    if ticket.status not in (TicketStatus.ASSIGNED.value, TicketStatus.WAITING_ON_CUSTOMER.value):
        raise TicketConflict.for_ticket(ticket, "reply to")
    if ticket.assignee_id != agent.id:
        raise TicketNotAssignedToYou("claim the ticket before replying")
    cleaned = clean_text(text, max_chars=MAX_NOTE_CHARS)
    # the ticket row first, then the conversation's (seq): the order resolve and escalate use
    ticket.updated_at = utcnow()
    session.flush()  # holds the ticket's row: a concurrent resend of this reply waits here
    resent = _resent_reply(session, ticket, agent, client_msg_id)
    if resent is not None:
        return resent
    if last_seen_seq is not None:
        newer = [
            m
            for m in repo.messages_since(session, ticket.conversation_id, last_seen_seq)
            if m.sender == Sender.CUSTOMER.value
            or (m.sender == Sender.AGENT.value and m.agent_id != agent.id)
        ]
        if newer:
            from handoff.schemas import MessageRead

            raise ReplyCollision(
                "new messages arrived since you started writing; read them and send again",
                {"messages": [MessageRead.model_validate(m).model_dump(mode="json")
                              for m in newer]},
            )  # fmt: skip
    message = add_message(
        session, conversation_id=ticket.conversation_id, sender=Sender.AGENT, text=cleaned,
        agent_id=agent.id, payload={"agent_name": agent.name}, client_msg_id=client_msg_id,
    )  # fmt: skip
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        ticket.due_at = ticket.resolution_due_at  # the next promise is the resolution
        lifecycle.record(session, ticket, EventKind.FIRST_RESPONSE, actor=actor_of(agent),
                         agent_id=agent.id)  # fmt: skip
    lifecycle.record(
        session, ticket, EventKind.REPLIED, actor=actor_of(agent), agent_id=agent.id,
        data={"seq": message.seq},
    )  # fmt: skip
    ticket.updated_at = message.created_at
    session.flush()
    hub.publish_after_commit(
        session, conversation_topic(ticket.conversation_id), message_frame(message)
    )
    return message


def add_note(session: Session, hub: Hub, *, agent: Agent, ticket_id: int, text: str) -> TicketEvent:
    """An internal note: for agents only, never part of the customer's conversation."""
    ticket = ticket_for(session, agent, ticket_id)
    cleaned = clean_text(text, max_chars=MAX_NOTE_CHARS)
    event = lifecycle.record(
        session, ticket, EventKind.NOTE, actor=actor_of(agent), agent_id=agent.id,
        data={"text": cleaned, "tier": ticket.tier},
    )  # fmt: skip
    hub.publish_after_commit(session, ticket_topic(ticket.id), note_frame(ticket, event))
    return event


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    conversation: Conversation
    transcript: Sequence[Message]
    events: Sequence[TicketEvent]
    earlier: Sequence[Ticket]


def transcript_end(session: Session, ticket: Ticket) -> int | None:
    """Where this ticket's part of the conversation ends: a later ticket's handoff (another
    tier may own that one), or None for the conversation's latest ticket."""
    later = repo.next_ticket_of_conversation(session, ticket)
    return later.handoff_seq if later is not None else None


def detail(session: Session, agent: Agent, ticket_id: int) -> TicketDetail:
    ticket = ticket_for(session, agent, ticket_id)
    return TicketDetail(
        ticket=ticket,
        conversation=get_conversation(session, ticket.conversation_id),
        transcript=repo.messages_since(
            session, ticket.conversation_id, until=transcript_end(session, ticket)
        ),
        events=repo.ticket_events(session, ticket.id),
        earlier=repo.tickets_of_customer(session, ticket.customer_id, exclude=ticket.id),
    )


def events_for(session: Session, agent: Agent, ticket_id: int) -> Sequence[TicketEvent]:
    ticket = ticket_for(session, agent, ticket_id)
    return repo.ticket_events(session, ticket.id)


def queue(
    session: Session,
    agent: Agent,
    *,
    tier: Tier | None = None,
    statuses: Sequence[TicketStatus] | None = None,
    language: str | None = None,
    skill: str | None = None,
    priority: Priority | None = None,
    mine: bool = False,
    needs_lead: bool | None = None,
    sort: str = "deadline",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[Ticket], str | None]:
    """The tickets this agent may see, filtered and sorted, one page after ``cursor``."""
    require_worker(agent)
    tiers = [t.value for t in visible_tiers(agent)]
    if tier is not None:
        if tier.value not in tiers:
            return [], None
        tiers = [tier.value]
    after = None
    if cursor:
        try:
            after = repo.decode_cursor(cursor, sort)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise MessageRejected("invalid cursor; start again without one") from exc
    flt = repo.QueueFilter(
        tiers=tiers,
        statuses=[s.value for s in statuses] if statuses else repo.QueueFilter.statuses,
        language=language,
        skill=skill,
        priority=priority.value if priority else None,
        assignee_id=agent.id if mine else None,
        needs_lead=needs_lead,
    )
    page = repo.list_queue(session, flt, sort=sort, limit=limit + 1, after=after)
    more = len(page) > limit
    page = page[:limit]
    return page, repo.encode_cursor(page[-1], sort) if more and page else None
