"""The customer's whole story (360° view): identity, plan, every conversation and ticket with
its outcome, and what is still open — for the agent working any of their tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.agents import visible_tiers
from handoff.conversations import valid_email
from handoff.errors import MessageRejected, TicketNotFound
from handoff.identity import customer_for
from handoff.lifecycle import OPEN_STATUSES, Tier
from handoff.models import Agent, Conversation, Customer, Ticket
from handoff.policy import Policy
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


def entitlement(policy: Policy, customer: Customer) -> dict[str, object]:
    """What the customer's plan promises: live support or email, and the targets per priority
    (business minutes)."""
    name, plan = policy.plan(customer.plan)
    return {
        "plan": name,
        "description": plan.description,
        "live_support": plan.live_support,
        "claim_within_minutes": plan.claim_within,
        "targets": {p.value: t.model_dump() for p, t in plan.targets.items()},
    }


def update(
    session: Session,
    policy: Policy,
    customer_id: int | None = None,
    *,
    external_id: str | None = None,
    plan: str | None = None,
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> Customer:
    """A lead (or the company's billing sync, by ``external_id``: the customer is created if they
    never chatted yet) sets a customer's plan — new tickets follow it; deadlines already set
    stay — name, email or language."""
    if external_id is not None:
        customer: Customer | None = customer_for(session, external_id)
    else:
        customer = repo.get_customer(session, customer_id) if customer_id is not None else None
    if customer is None:
        raise TicketNotFound("customer not found")
    if plan is not None:
        if plan not in policy.plans:
            raise MessageRejected(
                f"unknown plan {plan!r}; the policy has {', '.join(policy.plans)}"
            )
        customer.plan = plan
    if name is not None:
        customer.name = name.strip()[:200] or None
    if email is not None:
        customer.email = valid_email(email)
        customer.email_verified = True  # the company says so: mail from it joins this history
    if language is not None:
        customer.language = language
    session.flush()
    return customer
