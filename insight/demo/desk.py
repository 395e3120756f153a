"""The desk part of a story: the demo agents of L1–L3 (created once, reused), and a handed-off
ticket from the queue to its end — claimed and answered by L1 (a few too late for the SLA),
maybe escalated to L2 and L3, resolved, now and then reopened, rated; or left by a customer
who gives up waiting. Every step goes through ``handoff.tickets`` at the stage's clock."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handoff import agents, conversations, tickets
from handoff.business_hours import is_open
from handoff.lifecycle import Role, Tier
from handoff.models import Agent, Conversation, Ticket
from insight.demo.phrases import DEMO_AGENTS, ESCALATION_NOTES
from insight.demo.schedule import Visit
from insight.demo.stage import HUB, Stage, customer_says, phrase, seconds


def demo_desk(session: Session) -> dict[Tier, list[int]]:
    """The demo agents (reused when they exist), by tier."""
    desk: dict[Tier, list[int]] = {tier: [] for tier in Tier}
    for local, name, tier in DEMO_AGENTS:
        email = f"{local}@example.test"
        agent = agents.get_agent_by_email(session, email) or agents.create_agent(
            session, email=email, name=f"{name} (demo)", password=secrets.token_urlsafe(18),
            role=Role.AGENT, tier=tier, languages=("en", "el", "ru", "sr"), chat_capacity=6,
        )  # fmt: skip
        desk[Tier(agent.tier)].append(agent.id)
    return desk


def _first_response_minutes(stage: Stage, ticket: Ticket, visit: Visit) -> float:
    """Business minutes until an agent answers: minutes in the day, longer for the morning's
    backlog of the night's tickets and in the outage, hours for email-only (trial) plans."""
    rng = stage.rng
    plan = ticket.packet.get("plan")
    if plan in stage.world.policy.plans and not stage.world.policy.plans[plan].live_support:
        return rng.uniform(20, 420) if rng.random() > 0.03 else rng.uniform(1000, 1400)
    if visit.outage:
        return rng.uniform(3, 45)
    if not is_open(stage.world.policy.team, ticket.created_at):
        return rng.uniform(3, 50)  # the night's queue is worked through after opening
    if rng.random() < 0.1:
        return rng.uniform(16, 50)
    return min(rng.expovariate(1 / 4.5) + 0.5, 14)


def _note_breach(stage: Stage, ticket: Ticket) -> None:
    missed = (
        ticket.first_response_due_at is not None
        and ticket.first_response_at is not None
        and ticket.first_response_at > ticket.first_response_due_at
    ) or (
        ticket.resolution_due_at is not None
        and ticket.resolved_at is not None
        and ticket.resolved_at > ticket.resolution_due_at
    )
    if missed:
        stage.world.tally.breached.add(ticket.id)


def _customer_leaves(stage: Stage, ticket: Ticket, moment: datetime) -> bool:
    """Some customers give up waiting (abandoned) or leave the queue themselves (cancelled)."""
    roll = stage.rng.random()
    if roll < 0.06:
        stage.at(moment + seconds(stage.rng, 180, 600))
        tickets.abandon(stage.session, HUB, ticket, reason="customer left while waiting")
        return True
    if roll < 0.09:
        stage.at(moment + seconds(stage.rng, 60, 240))
        tickets.cancel_waiting(stage.session, HUB, conversation_id=ticket.conversation_id)
        return True
    return False


def _take(
    stage: Stage, ticket: Ticket, tier: Tier, answer_at: datetime, after: datetime
) -> Agent | None:
    """An agent of ``tier`` claims the ticket a little before answering; None: nobody free."""
    agent = stage.agent(tier)
    if agent is None:
        return None
    stage.at(max(answer_at - seconds(stage.rng, 30, 180), after + timedelta(seconds=5)))
    tickets.claim(stage.session, HUB, agent=agent, ticket_id=ticket.id)
    return agent


def _reply(stage: Stage, agent: Agent, ticket: Ticket, moment: datetime, key: str) -> datetime:
    stage.at(moment)
    conversation = conversations.get_conversation(stage.session, ticket.conversation_id)
    tickets.reply(stage.session, HUB, agent=agent, ticket_id=ticket.id,
                  text=phrase(stage, key, conversation))  # fmt: skip
    _note_breach(stage, ticket)
    return moment


def work_ticket(stage: Stage, conversation: Conversation, ticket: Ticket, visit: Visit) -> None:
    """From the queue to the end: claimed and answered by L1, maybe escalated to L2 and L3,
    resolved, sometimes reopened, rated; or left by the customer while waiting."""
    rng = stage.rng
    handed = ticket.created_at
    if _customer_leaves(stage, ticket, handed):
        return
    answer_at = max(
        stage.business(handed, _first_response_minutes(stage, ticket, visit)),
        handed + timedelta(seconds=40),
    )
    agent = _take(stage, ticket, Tier.L1, answer_at, handed)
    if agent is None:
        return
    t = _reply(stage, agent, ticket, answer_at, "looking")
    t = customer_says(
        stage, conversation, t + seconds(rng, 40, 300), phrase(stage, "detail", conversation)
    )
    escalate = rng.random() < (0.35 if visit.outage else 0.24)
    for tier in (Tier.L2, Tier.L3) if escalate else ():
        t = stage.at(t + seconds(rng, 180, 1500))
        tickets.escalate(stage.session, HUB, agent=agent, ticket_id=ticket.id,
                         note=rng.choice(ESCALATION_NOTES))  # fmt: skip
        stage.world.tally.escalations += 1
        answer_at = stage.business(t, rng.uniform(10, 120) if tier is Tier.L2 else
                                   rng.uniform(60, 720))  # fmt: skip
        taken = _take(stage, ticket, tier, answer_at, t)
        if taken is None:
            return
        agent = taken
        t = _reply(stage, agent, ticket, answer_at, "looking")
        if tier is Tier.L3 or rng.random() > 0.2:
            break
    _resolve(stage, conversation, agent, ticket, t)


def _resolve(
    stage: Stage, conversation: Conversation, agent: Agent, ticket: Ticket, t: datetime
) -> None:
    """The fix, the customer's thanks, resolved; now and then reopened ("it's happening
    again") and solved for good; then rated."""
    rng = stage.rng
    t = _reply(stage, agent, ticket, stage.business(t, rng.uniform(3, 40)), "fixed")
    t = customer_says(
        stage, conversation, t + seconds(rng, 30, 300), phrase(stage, "thanks", conversation)
    )
    t = stage.at(t + seconds(rng, 20, 240))
    tickets.resolve(stage.session, HUB, agent=agent, ticket_id=ticket.id)
    if rng.random() < 0.07:
        t = customer_says(stage, conversation, t + seconds(rng, 1800, 5 * 3600),
                          phrase(stage, "again", conversation))  # fmt: skip
        t = stage.at(stage.business(t, rng.uniform(2, 30)))
        tickets.reopen(stage.session, HUB, agent=agent, ticket_id=ticket.id,
                       reason="the customer wrote that it happens again")  # fmt: skip
        t = stage.at(t + seconds(rng, 10, 60))
        tickets.claim(stage.session, HUB, agent=agent, ticket_id=ticket.id)
        t = _reply(stage, agent, ticket, t + seconds(rng, 120, 1800), "fixed")
        t = stage.at(t + seconds(rng, 60, 900))
        tickets.resolve(stage.session, HUB, agent=agent, ticket_id=ticket.id)
    _note_breach(stage, ticket)
    _rate(stage, conversation, ticket, t)


def _rate(stage: Stage, conversation: Conversation, ticket: Ticket, t: datetime) -> None:
    """Most customers rate; mostly well, worse when they waited past the promise."""
    rng = stage.rng
    if rng.random() > 0.8:
        return
    late = ticket.id in stage.world.tally.breached
    weights = (10, 14, 22, 30, 24) if late else (3, 4, 10, 30, 53)
    score = rng.choices((1, 2, 3, 4, 5), weights)[0]
    stage.at(t + seconds(rng, 20, 600))
    tickets.rate(stage.session, HUB, conversation_id=conversation.id, ticket_id=ticket.id,
                 score=score)  # fmt: skip
    stage.world.tally.ratings += 1
