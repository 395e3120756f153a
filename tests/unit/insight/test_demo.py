"""The generated demo month (insight.demo) on a small KB: four days with the login outage,
written through the real flows — every language and script, tickets, escalations, ratings, a
spike of login questions, a report with figures — and never over real or earlier demo data.

The four days are seeded once for the module, inside one outer transaction that is rolled back
(each day's commit is a savepoint of it)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from handoff import conversations
from handoff.lifecycle import EventKind
from handoff.models import Agent, Conversation, Customer, Message, Ticket, TicketEvent
from handoff.policy import load
from insight import demo, figures
from insight.models import BotAnswer, Decision
from insight.periods import period
from kb import service as kb_service
from tests.unit.handoff.builders import say
from tierzero import clock
from tierzero.settings import PROJECT_ROOT

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")  # Europe/Belgrade, Mon–Fri 08–20 local
#: Thursday 16:00 in Belgrade: the period is Mon 2 – Thu 5 November, the outage on Tuesday.
END = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
SPIKE_DAY = date(2026, 11, 3)
EDITOR = "editor@example.test"

ARTICLES = {
    "login-problems": {
        "en": ["I can't log in to my account", "My account is locked"],
        "el": ["Δεν μπορώ να συνδεθώ στον λογαριασμό μου"],
        "ru": ["Не могу войти в аккаунт"],
        "sr": ["Ne mogu da se prijavim", "Налог ми је закључан"],
    },
    "billing-invoices": {
        "en": ["Where is my invoice?", "download invoice pdf"],
        "el": ["Πού βρίσκω το τιμολόγιό μου;"],
        "ru": ["Где мой счёт?"],
        "sr": ["Gde je moj račun?"],
    },
    "wifi-password": {"en": ["How do I change my wifi password?"]},
}


def _factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _small_kb(session: Session) -> dict[str, int]:
    """Three articles; login and billing in all four languages, wifi in English only."""
    ids = {}
    for key, languages in ARTICLES.items():
        for language, questions in languages.items():
            title, answer = f"{key} ({language})", f"How to fix {key}."
            if key not in ids:
                ids[key] = kb_service.create_article(
                    session, key=key, language=language, title=title, answer=answer,
                    questions=questions, category=key.split("-")[0], author=EDITOR,
                ).article.id  # fmt: skip
            else:
                kb_service.create_translation(
                    session, ids[key], language, title=title, answer=answer,
                    questions=questions, author=EDITOR,
                )  # fmt: skip
            kb_service.publish(session, ids[key], language, author=EDITOR)
    return ids


@pytest.fixture(scope="module")
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()
            clock.travel(timedelta(0))


@pytest.fixture(scope="module")
def seeded(connection: Connection) -> tuple[demo.SeedSummary, dict[str, int]]:
    with _factory(connection)() as session:
        ids = _small_kb(session)
        session.commit()
    return demo.seed(_factory(connection), POLICY, days=4, end=END, seed=3), ids


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with _factory(connection)() as session:
        yield session


def test_every_language_and_script_and_only_marked_customers(
    seeded: tuple[demo.SeedSummary, dict[str, int]], session: Session
) -> None:
    summary, _ = seeded
    assert summary.first_day == date(2026, 11, 2) and summary.last_day == date(2026, 11, 5)
    pairs = Counter(
        (language, script)
        for language, script in session.execute(select(Conversation.language, Conversation.script))
    )
    assert {language for language, _ in pairs} == {"en", "el", "ru", "sr"}
    assert pairs[("sr", "Cyrl")] > 0 and pairs[("sr", "Latn")] > 0
    assert sum(pairs.values()) == summary.conversations
    customers = session.scalars(select(Customer)).all()
    assert all(c.attributes.get("demo") is True for c in customers)
    identified = [c.external_id for c in customers if c.external_id is not None]
    assert identified and all(i.startswith("demo-") for i in identified)
    assert len(identified) < len(customers)  # a few anonymous visitors too
    assert {c.plan for c in customers} == {"trial", "standard", "premium"}
    emails = session.scalars(
        select(Agent.email).join(TicketEvent, TicketEvent.agent_id == Agent.id)
    )
    assert all(e.startswith("demo-") and e.endswith("@example.test") for e in emails)


def test_nothing_happens_after_the_end(
    seeded: tuple[demo.SeedSummary, dict[str, int]], session: Session
) -> None:
    assert session.scalar(select(func.max(Message.created_at))) < END  # type: ignore[operator]
    assert session.scalar(select(func.max(TicketEvent.created_at))) < END  # type: ignore[operator]


def test_the_desk_works_the_tickets(
    seeded: tuple[demo.SeedSummary, dict[str, int]], session: Session
) -> None:
    summary, _ = seeded
    assert session.scalar(select(func.count()).select_from(Ticket)) == summary.tickets > 20
    kinds = Counter(session.scalars(select(TicketEvent.kind)))
    assert kinds[EventKind.ESCALATED.value] == summary.escalations >= 1
    assert kinds[EventKind.RESOLVED.value] > kinds[EventKind.ESCALATED.value]
    assert kinds[EventKind.RATED.value] == summary.ratings >= 1
    assert summary.sla_breaches >= 1
    assert {
        t.tier for t in session.scalars(select(Ticket).where(Ticket.csat_score.is_not(None)))
    } >= {"L1"}


def test_the_outage_floods_the_login_article(
    seeded: tuple[demo.SeedSummary, dict[str, int]], session: Session
) -> None:
    summary, ids = seeded
    assert summary.spike_day == SPIKE_DAY
    zone = POLICY.team.zone
    shown = session.scalars(
        select(BotAnswer.created_at).where(
            BotAnswer.article_id == ids["login-problems"],
            BotAnswer.decision == Decision.ANSWER.value,
        )
    ).all()
    per_day = Counter(
        local.date() for local in (at.astimezone(zone) for at in shown) if 10 <= local.hour < 13
    )
    others = [per_day[d] for d in (date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5))]
    assert per_day[SPIKE_DAY] >= 5 * max(1, sum(others) / len(others))
    assert per_day[SPIKE_DAY] >= 20
    handed_off = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.created_at >= datetime(2026, 11, 3, 9, tzinfo=UTC))
        .where(Ticket.created_at < datetime(2026, 11, 3, 12, tzinfo=UTC))
    )
    assert handed_off >= per_day[SPIKE_DAY] // 3  # type: ignore[operator]


def test_the_report_has_figures(
    seeded: tuple[demo.SeedSummary, dict[str, int]], session: Session
) -> None:
    summary, _ = seeded
    days = period("2026-11-02", "2026-11-06", time_zone="Europe/Belgrade")
    r = figures.report(session, POLICY, days, as_of=END)
    conv, tickets = r["conversations"], r["tickets"]
    assert conv["conversations"] == summary.conversations
    assert 0.2 < conv["containment"] < 0.8
    assert conv["outcomes"]["bot_confirmed"] and conv["outcomes"]["unanswered"]
    assert conv["outcomes"]["rejected"] and conv["outcomes"]["handed_off"]
    assert set(r["breakdowns"]["language"]["conversations"]) == {"en", "el", "ru", "sr"}
    assert tickets["created"] == summary.tickets
    assert tickets["resolved"] > 0 and tickets["resolved_by_tier"]["L1"] > 0
    assert tickets["first_response_business"]["median"] is not None
    assert tickets["csat"]["responses"] == summary.ratings
    assert 3.0 < tickets["csat"]["average"] <= 5.0
    assert tickets["sla"]["first_response"]["breached"] >= 1
    assert [s["bucket"] for s in r["series"]] == ["2026-11-02", "2026-11-03", "2026-11-04",
                                                  "2026-11-05"]  # fmt: skip
    assert max(r["series"], key=lambda s: s["conversations"])["bucket"] == "2026-11-03"


def test_seeding_twice_is_refused(
    seeded: tuple[demo.SeedSummary, dict[str, int]], connection: Connection
) -> None:
    with pytest.raises(demo.DemoRefused, match="already holds a generated demo month"):
        demo.seed(_factory(connection), POLICY, days=2, end=END)


def test_a_database_with_real_conversations_is_refused(connection: Connection) -> None:
    savepoint = connection.begin_nested()
    try:
        with _factory(connection)() as session:
            conversation = conversations.start_conversation(session, language="en")
            say(session, conversation, "a real customer's question")
            session.commit()
        with pytest.raises(demo.DemoRefused, match="real conversations"):
            demo.seed(_factory(connection), POLICY, days=2, end=END)
    finally:
        savepoint.rollback()


def test_the_same_seed_plans_the_same_day() -> None:
    plan = [demo.day_visits(random.Random(5), SPIKE_DAY, POLICY, spike=True) for _ in range(2)]
    assert plan[0] == plan[1]
    weekend = demo.day_visits(random.Random(5), date(2026, 11, 8), POLICY, spike=False)
    assert 5 <= len(weekend) < len(plan[0]) / 3
