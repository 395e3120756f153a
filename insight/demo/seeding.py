"""Seeding itself: :func:`seed` refuses a database that holds real conversations or an earlier
demo month (:class:`DemoRefused`), imports the demo KB into an empty one, sets up the world in
one transaction and then plays each day of the period in a transaction of its own, at frozen
clock times; it returns the month's counts as a :class:`SeedSummary`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from handoff.models import Conversation, Customer
from handoff.policy import Policy
from insight.demo.articles import DemoArticle, login_article, published_articles
from insight.demo.bot import play
from insight.demo.desk import demo_desk
from insight.demo.schedule import day_visits, local_moment, period_days, spike_day_of
from insight.demo.stage import Stage, World
from kb import service as kb_service
from tierzero import clock
from tierzero.db import unit_of_work
from tierzero.errors import InvalidInput


class DemoRefused(InvalidInput):
    """Generated history would mix with real figures, or be counted twice."""


@dataclass(frozen=True)
class SeedSummary:
    first_day: date
    last_day: date
    conversations: int
    tickets: int
    escalations: int
    #: Tickets that missed a first-response or resolution deadline.
    sla_breaches: int
    ratings: int
    spike_day: date | None
    spike_conversations: int


def refuse_unless_fresh(session: Session) -> None:
    """Generated history never joins real history (checked first: that is the one to tell),
    and is never generated twice."""
    demo = Customer.attributes["demo"].as_boolean()
    real = (
        select(Conversation.id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(or_(demo.is_(None), demo.is_(False)))
        .limit(1)
    )
    if session.scalar(real) is not None:
        raise DemoRefused(
            "the database holds real conversations; generated ones would mix into their "
            "figures (seed a fresh database instead)"
        )
    if session.scalar(select(Customer.id).where(demo.is_(True)).limit(1)) is not None:
        raise DemoRefused(
            "the database already holds a generated demo month; another would count it twice"
        )


def _load_kb(session: Session, kb_demo_path: Path | None) -> list[DemoArticle]:
    if kb_service.count_articles(session) == 0:
        if kb_demo_path is None or not kb_demo_path.exists():
            raise DemoRefused("the knowledge base is empty: import articles first")
        kb_service.import_file(session, kb_demo_path, author="demo")
    articles = published_articles(session)
    if not articles:
        raise DemoRefused("the knowledge base has no published article with example questions")
    return articles


def seed(
    factory: sessionmaker[Session],
    policy: Policy,
    *,
    days: int = 30,
    end: datetime | None = None,
    seed: int = 7,
    kb_demo_path: Path | None = None,
) -> SeedSummary:
    """Fill a fresh database with ``days`` generated days up to ``end`` (default: now), one
    transaction a day; the same ``seed`` gives the same month. Raises :class:`DemoRefused`
    when the database holds real conversations or demo data already."""
    if days < 1:
        raise InvalidInput("days must be at least 1")
    end = (end or clock.utcnow()).astimezone(UTC)
    dates = period_days(end, days, policy)
    spike = spike_day_of(dates)
    rng = random.Random(seed)
    try:
        clock.freeze(local_moment(dates[0], 0, 0, policy) - timedelta(hours=1))
        with unit_of_work(factory) as session:
            refuse_unless_fresh(session)
            articles = _load_kb(session, kb_demo_path)
            rng.shuffle(articles)  # which articles are popular: the seed's choice
            world = World(policy, rng, end, articles, login_article(articles), demo_desk(session))
        for day in dates:
            with unit_of_work(factory) as session:
                stage = Stage(session, world)
                for visit in day_visits(rng, day, policy, spike=day == spike):
                    if visit.at < end:
                        play(stage, visit)
    finally:
        clock.travel(timedelta(0))
    tally = world.tally
    return SeedSummary(
        first_day=dates[0], last_day=dates[-1], conversations=tally.conversations,
        tickets=tally.tickets, escalations=tally.escalations, sla_breaches=len(tally.breached),
        ratings=tally.ratings, spike_day=spike, spike_conversations=tally.spike,
    )  # fmt: skip
