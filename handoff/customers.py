"""The customer's whole story (360° view): identity, plan, every conversation and ticket with
its outcome, and what is still open — for the agent working any of their tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.agents import visible_tiers
from handoff.errors import TicketNotFound
from handoff.lifecycle import OPEN_STATUSES, Tier
from handoff.models import Agent, Conversation, Customer, Ticket
from handoff.tickets import require_worker


@dataclass(frozen=True)
class ConversationSummary:
    conversation: Conversation
    messages: int


@dataclass(frozen=True)
class CustomerStory:
    customer: Customer
    conversations: Sequence[ConversationSummary]
    tickets: Sequence[Ticket]
    open_tickets: Sequence[Ticket]


def story(session: Session, agent: Agent, customer_id: int) -> CustomerStory:
    """404 unless the agent may see at least one of the customer's tickets (a customer the agent
    has no business with stays invisible, like a foreign ticket)."""
    require_worker(agent)
    customer = repo.get_customer(session, customer_id)
    tickets = repo.tickets_of_customer(session, customer_id, limit=500) if customer else []
    tiers = set(visible_tiers(agent))
    if customer is None or not any(Tier(t.tier) in tiers for t in tickets):
        raise TicketNotFound("customer not found")
    conversations = repo.conversations_of_customer(session, customer_id)
    return CustomerStory(
        customer=customer,
        conversations=[ConversationSummary(c, c.last_seq) for c in conversations],
        tickets=tickets,
        open_tickets=[t for t in tickets if t.status in OPEN_STATUSES],
    )
