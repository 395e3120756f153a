"""Who gets offered a ticket: pure rules over a snapshot of agents (no database here).

An agent is eligible when online, an agent of the ticket's tier, speaking the ticket's
language, holding its skill (when the ticket has one and the agent lists skills at all: an
agent without skills is a generalist), under capacity for its channel and not
among those who already declined, let an offer expire or released it. Of the eligible, the
least loaded wins; ties go to whoever was offered a ticket longest ago (round robin).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from handoff.lifecycle import Channel, Presence, Role, Tier

_NEVER = datetime.min


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    role: Role
    tier: Tier
    languages: frozenset[str]
    skills: frozenset[str]
    presence: Presence
    chats: int
    emails: int
    chat_capacity: int
    email_capacity: int
    last_offered_at: datetime | None = None

    def has_room(self, channel: Channel) -> bool:
        if channel is Channel.EMAIL:
            return self.emails < self.email_capacity
        return self.chats < self.chat_capacity

    @property
    def load(self) -> float:
        return self.chats / max(self.chat_capacity, 1) + self.emails / max(self.email_capacity, 1)


@dataclass(frozen=True)
class Need:
    """What a ticket asks of its agent."""

    tier: Tier
    channel: Channel
    language: str | None = None
    skill: str | None = None


def matches(candidate: Candidate, need: Need) -> bool:
    """Could this agent take the ticket at all (presence, load and declines aside)?"""
    return (
        candidate.role is Role.AGENT
        and candidate.tier is need.tier
        and (need.language is None or need.language in candidate.languages)
        and (need.skill is None or not candidate.skills or need.skill in candidate.skills)
    )


def eligible(candidate: Candidate, need: Need, excluded: Collection[int] = ()) -> bool:
    return (
        candidate.presence is Presence.ONLINE
        and matches(candidate, need)
        and candidate.has_room(need.channel)
        and candidate.agent_id not in excluded
    )


def _order(candidate: Candidate) -> tuple[float, datetime, int]:
    last = candidate.last_offered_at
    return (candidate.load, last.replace(tzinfo=None) if last else _NEVER, candidate.agent_id)


def choose(
    candidates: Iterable[Candidate], need: Need, excluded: Collection[int] = ()
) -> Candidate | None:
    """The agent to offer the ticket to next, or None when nobody eligible is left."""
    pool = [c for c in candidates if eligible(c, need, excluded)]
    return min(pool, key=_order) if pool else None


def choose_lead(
    candidates: Iterable[Candidate], need: Need, excluded: Collection[int] = ()
) -> Candidate | None:
    """Every eligible agent passed: an online lead under capacity decides (language is not
    required of a lead; one who speaks it is preferred)."""
    pool = [
        c
        for c in candidates
        if c.role is Role.LEAD
        and c.presence is Presence.ONLINE
        and c.has_room(need.channel)
        and c.agent_id not in excluded
    ]
    if not pool:
        return None
    return min(
        pool, key=lambda c: (need.language is not None and need.language not in c.languages,
                             *_order(c)),
    )  # fmt: skip


def anyone_eligible(candidates: Iterable[Candidate], need: Need) -> bool:
    """Is there an agent for this need at all, declines aside (used to tell the customer)?"""
    return any(eligible(c, need) for c in candidates)
