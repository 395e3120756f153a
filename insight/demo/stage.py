"""The play's shared state and steps: the :class:`World` that lasts across the days (the KB,
the demo desk, the customers seen, the running counts), the :class:`Stage` of one day's
transaction whose frozen clock stops a story at the end of the period, and the steps both the
bot and the desk part take (a customer's message, a phrase in the conversation's language)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handoff import agents, conversations
from handoff.business_hours import add_business_minutes
from handoff.lifecycle import Tier
from handoff.models import Agent, Conversation
from handoff.policy import Policy
from insight.demo.articles import DemoArticle
from insight.demo.phrases import PHRASES, written
from tierzero import clock
from tierzero.hub import NullHub

HUB = NullHub()


class PastTheEnd(Exception):
    """The story reached the end of the period: it stays as it is now."""


@dataclass
class Tally:
    conversations: int = 0
    tickets: int = 0
    escalations: int = 0
    breached: set[int] = field(default_factory=set)
    ratings: int = 0
    spike: int = 0


@dataclass(frozen=True)
class Seen:
    """A customer's earlier conversation: who may come back, and about what."""

    customer_id: int
    language: str
    script: str | None
    article_id: int | None
    at: datetime


@dataclass
class World:
    """What lasts across the days: the KB, the demo desk, the customers, the counts."""

    policy: Policy
    rng: random.Random
    end: datetime
    articles: list[DemoArticle]
    login: DemoArticle
    desk: dict[Tier, list[int]]
    seen: list[Seen] = field(default_factory=list)
    customers: int = 0
    tally: Tally = field(default_factory=Tally)


@dataclass
class Stage:
    """One day's transaction of the world."""

    session: Session
    world: World

    @property
    def rng(self) -> random.Random:
        return self.world.rng

    def at(self, moment: datetime) -> datetime:
        """Set the clock for the next step; past the end the story stops."""
        if moment >= self.world.end:
            raise PastTheEnd
        clock.freeze(moment)
        return moment

    def business(self, start: datetime, minutes: float) -> datetime:
        return add_business_minutes(self.world.policy.team, start, minutes)

    def agent(self, tier: Tier) -> Agent | None:
        """A demo agent of ``tier`` with room for another chat."""
        ids = list(self.world.desk[tier])
        self.rng.shuffle(ids)
        for agent_id in ids:
            agent = agents.get_agent(self.session, agent_id)
            if agents.has_room(self.session, agent, "widget"):
                return agent
        return None


def seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high))


def phrase(stage: Stage, key: str, conversation: Conversation) -> str:
    """One of :data:`PHRASES` ``[key]`` in the conversation's language and script."""
    language = conversation.language or "en"
    options = PHRASES[key].get(language) or PHRASES[key]["en"]
    return written(stage.rng.choice(options), language, conversation.script)


def customer_says(
    stage: Stage, conversation: Conversation, moment: datetime, text: str
) -> datetime:
    """The customer's message at ``moment``."""
    stage.at(moment)
    conversations.store_customer_message(
        stage.session, conversation_id=conversation.id, text=text, max_chars=4000,
        client_msg_id=f"demo-{stage.rng.getrandbits(64):016x}",
    )  # fmt: skip
    return moment
