"""A generated month of support activity for a fresh database (``tierzero demo seed``), so the
reports and the editors' views have something to show before real customers arrive.

Every day of the period gets conversations shaped like a desk's week (busy business hours,
quiet nights and weekends) in English, Greek, Russian and Serbian (Cyrillic and Latin): the
published articles' example questions with light variation, or questions the KB does not
cover. The bot answers (some answers confirmed, some voted down, most left alone), offers a
person or hands off; demo agents of L1–L3 claim, answer (a few too late for the SLA), escalate,
resolve and reopen; customers rate, leave the queue or give up waiting, and some come back
within a day. One weekday about five days before the end has a three-hour login outage. All of
it goes through the real flow functions (``handoff.flows``, ``handoff.tickets``) at frozen
clock times, so the ticket events, the KB's answer stats and insight's records are what real
traffic would leave; a story that would run past the end stops where it is, as the desk is now.

Marked, and never mixed with real data: every customer has ``attributes["demo"] = True`` (the
identified ones an external id ``demo-…``), agents are ``demo-…@example.test`` and named
"(demo)"; :func:`seed` refuses a database that holds any other conversation, or demo data.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from handoff import agents, conversations, flows, tickets
from handoff.business_hours import add_business_minutes, is_open
from handoff.lifecycle import Role, Tier
from handoff.models import Agent, Conversation, Customer, Ticket
from handoff.policy import Policy
from handoff.texts import say
from kb import repository as kb_repo
from kb import service as kb_service
from kb.models import Article
from kb.text import to_serbian_cyrillic, to_serbian_latin
from tierzero import clock
from tierzero.db import unit_of_work
from tierzero.errors import InvalidInput
from tierzero.hub import NullHub

HUB = NullHub()
T = TypeVar("T")


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


# --- the shape of the month -----------------------------------------------------------------

#: Conversations on an ordinary day, Monday first.
DAY_VOLUME = (46, 42, 40, 40, 36, 16, 11)
#: Relative volume per local hour: quiet nights, a morning and an afternoon peak.
HOUR_SHAPE = (
    0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.6, 4.0, 3.9,
    3.4, 3.3, 3.6, 3.5, 3.1, 2.7, 2.2, 1.8, 1.5, 1.2, 0.9, 0.5,
)  # fmt: skip
#: (language, Serbian script, weight).
LANGUAGES = (("en", None, 45), ("el", None, 18), ("ru", None, 17), ("sr", "Latn", 12),
             ("sr", "Cyrl", 8))  # fmt: skip
PLANS = (("trial", 20), ("standard", 60), ("premium", 20))
ANONYMOUS_SHARE = 0.12
RETURN_WITHIN_DAY = 0.1
RETURN_LATER = 0.08
#: The outage: local hours [start, end) and how many times the usual hourly volume arrives.
SPIKE_HOURS = (10, 13)
SPIKE_FACTOR = 6
SPIKE_DAYS_BEFORE_END = 5

#: (email local part, name, tier): the demo desk.
DEMO_AGENTS = (
    ("demo-l1-mila", "Mila Jovanović", Tier.L1),
    ("demo-l1-nikos", "Nikos Papadakis", Tier.L1),
    ("demo-l1-olga", "Olga Smirnova", Tier.L1),
    ("demo-l1-jack", "Jack Turner", Tier.L1),
    ("demo-l2-vesna", "Vesna Marković", Tier.L2),
    ("demo-l2-dmitri", "Dmitri Orlov", Tier.L2),
    ("demo-l3-eleni", "Eleni Georgiou", Tier.L3),
)


class Story(StrEnum):
    """What the customer and the bot do in one conversation."""

    CONFIRMED = "confirmed"  # answered; "yes, it helped"
    SILENT = "silent"  # answered; no vote
    REJECTED = "rejected"  # answered; "no"; left
    UNHELPFUL = "unhelpful"  # answered; "no"; took the offered person
    ASKED_AFTER = "asked_after"  # answered; then asked for a person
    ASKED = "asked"  # asked for a person at once
    UNANSWERED = "unanswered"  # nothing in the KB; left
    UNANSWERED_HANDOFF = "unanswered_handoff"  # nothing in the KB; took the offered person


ORDINARY = {
    Story.CONFIRMED: 24, Story.SILENT: 32, Story.REJECTED: 7, Story.UNHELPFUL: 7,
    Story.ASKED_AFTER: 6, Story.ASKED: 8, Story.UNANSWERED: 9, Story.UNANSWERED_HANDOFF: 7,
}  # fmt: skip
OUTAGE = {
    Story.CONFIRMED: 4, Story.SILENT: 14, Story.REJECTED: 14, Story.UNHELPFUL: 40,
    Story.ASKED_AFTER: 28,
}  # fmt: skip
NOT_IN_KB = frozenset({Story.UNANSWERED, Story.UNANSWERED_HANDOFF})

# --- what people write (Serbian in Latin; a Cyrillic conversation gets it transliterated) ---

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hello": {
        "en": ("Hi, ", "Hello, ", "Hey, "), "el": ("Γεια σας, ", "Καλησπέρα, "),
        "ru": ("Здравствуйте, ", "Добрый день, "), "sr": ("Zdravo, ", "Dobar dan, "),
    },
    "please": {
        "en": (" please", ", thanks"), "el": (" παρακαλώ", ", ευχαριστώ"),
        "ru": (", пожалуйста", ", спасибо"), "sr": (", molim vas", ", hvala"),
    },
    "person": {
        "en": ("I want to talk to a person", "Can I speak to someone from support?",
               "agent please"),
        "el": ("Θέλω να μιλήσω με έναν άνθρωπο", "Μπορώ να μιλήσω με κάποιον από την υποστήριξη;"),
        "ru": ("Хочу поговорить с оператором", "Соедините с живым человеком, пожалуйста"),
        "sr": ("Želim da razgovaram sa operaterom", "Mogu li da pričam sa nekim iz podrške?"),
    },
    "thanks": {
        "en": ("Thanks!", "Great, thank you", "ok that worked"),
        "el": ("Ευχαριστώ πολύ!", "Τέλεια, ευχαριστώ"),
        "ru": ("Спасибо!", "Отлично, спасибо"), "sr": ("Hvala!", "Super, hvala vam"),
    },
    "urgent": {
        "en": (" — urgent, I can't work", " ASAP please"), "el": (" — επείγον!",),
        "ru": (" — срочно!",), "sr": (" — hitno!",),
    },
    "detail": {
        "en": ("It started this morning.", "I tried that already.",
               "Same email as this chat, account in my name."),
        "el": ("Ξεκίνησε σήμερα το πρωί.", "Το δοκίμασα ήδη."),
        "ru": ("Началось сегодня утром.", "Я это уже пробовал."),
        "sr": ("Počelo je jutros.", "Već sam to probao."),
    },
    "again": {
        "en": ("It's happening again", "Still doesn't work, sorry"),
        "el": ("Συμβαίνει ξανά", "Πάλι δεν λειτουργεί"),
        "ru": ("Опять не работает", "Снова та же проблема"),
        "sr": ("Opet ne radi", "Ponovo isti problem"),
    },
    "looking": {
        "en": ("Hello, I'm looking into this for you now.",),
        "el": ("Γεια σας, το εξετάζω αμέσως.",),
        "ru": ("Здравствуйте, уже смотрю, в чём дело.",),
        "sr": ("Zdravo, odmah proveravam o čemu se radi.",),
    },
    "fixed": {
        "en": ("Done — it should work now. Please try again.",),
        "el": ("Έγινε — δοκιμάστε ξανά τώρα.",),
        "ru": ("Готово — попробуйте, пожалуйста, ещё раз.",),
        "sr": ("Rešeno je — pokušajte ponovo, molim vas.",),
    },
    # questions the KB does not cover (the editors' queue fills with them)
    "not_in_kb": {
        "en": ("Do you sell gift cards?", "Can I pay with bitcoin?",
               "Is there a student discount?", "Are you hiring support staff?",
               "Which TV channels are in the sports pack?", "Do you have a shop in Novi Sad?"),
        "el": ("Πουλάτε δωροκάρτες;", "Μπορώ να πληρώσω με bitcoin;",
               "Υπάρχει φοιτητική έκπτωση;", "Έχετε κατάστημα στη Θεσσαλονίκη;",
               "Ποια κανάλια έχει το αθλητικό πακέτο;"),
        "ru": ("Вы продаёте подарочные карты?", "Можно оплатить биткоинами?",
               "Есть ли скидка для студентов?", "У вас есть офис в Белграде?",
               "Какие каналы входят в спортивный пакет?"),
        "sr": ("Da li prodajete poklon kartice?", "Mogu li da platim bitkoinom?",
               "Da li postoji popust za studente?", "Da li imate prodavnicu u Novom Sadu?",
               "Koji kanali su u sportskom paketu?"),
    },
}  # fmt: skip
ESCALATION_NOTES = (
    "Needs account changes L1 cannot make; customer details verified.",
    "Looks like a provisioning fault on our side, not the customer's setup.",
    "Billing record does not match the invoice; please check the ledger.",
)
FIRST_NAMES = {
    "en": ("Emma", "Liam", "Olivia", "Noah", "Grace", "Oscar"),
    "el": ("Maria", "Giorgos", "Eleni", "Kostas", "Sofia"),
    "ru": ("Anna", "Ivan", "Natalia", "Sergei", "Irina"),
    "sr": ("Jelena", "Marko", "Ana", "Nikola", "Milica"),
}


# --- what the KB offers -------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A published translation: what the bot shows and the questions customers ask with."""

    article_id: int
    key: str
    language: str
    version: int
    title: str
    answer: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class DemoArticle:
    article_id: int
    key: str
    tags: tuple[str, ...]
    translations: dict[str, Shown]

    def shown_in(self, language: str) -> Shown:
        """Its translation in ``language``, else English (the bot's fallback), else any."""
        return (
            self.translations.get(language)
            or self.translations.get("en")
            or next(iter(self.translations.values()))
        )


def published_articles(session: Session) -> list[DemoArticle]:
    """The articles the bot can answer with: published translations with example questions."""
    grouped: dict[int, tuple[Article, dict[str, Shown]]] = {}
    for row in kb_repo.published(session):
        questions = tuple(q for q in row.version.questions if q.strip())
        if not questions:
            continue
        _, shown = grouped.setdefault(row.article.id, (row.article, {}))
        shown[row.translation.language] = Shown(
            article_id=row.article.id, key=row.article.key, language=row.translation.language,
            version=int(row.translation.published_version or row.translation.version),
            title=row.version.title, answer=row.version.answer, questions=questions,
        )  # fmt: skip
    return [
        DemoArticle(article.id, article.key, tuple(article.tags or ()), shown)
        for article, shown in grouped.values()
    ]


def login_article(articles: Sequence[DemoArticle]) -> DemoArticle:
    """The article an outage of sign-in sends everyone to: login, else password, else any."""
    tests: tuple[Callable[[DemoArticle], bool], ...] = (
        lambda a: "login" in a.key,
        lambda a: "login" in a.tags or "sign-in" in a.tags,
        lambda a: "password" in a.key,
    )
    for wanted in tests:
        found = [a for a in articles if wanted(a)]
        if found:
            return found[0]
    return articles[0]


# --- the period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One conversation to play: when it starts, in which language, what happens."""

    at: datetime
    language: str
    script: str | None
    story: Story
    outage: bool = False


def _weighted(rng: random.Random, weights: dict[T, int] | Sequence[tuple[T, int]]) -> T:
    pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def period_days(end: datetime, days: int, policy: Policy) -> list[date]:
    """The local days of the team up to ``end``'s (today included)."""
    last = end.astimezone(policy.team.zone).date()
    return [last - timedelta(days=n) for n in range(days - 1, -1, -1)]


def spike_day_of(days: Sequence[date]) -> date | None:
    """About five days before the end (the middle of a short period), moved back to a weekday;
    None for a period under three days."""
    if len(days) < 3:
        return None
    index = len(days) - 1 - min(SPIKE_DAYS_BEFORE_END, len(days) // 2)
    while index > 0 and days[index].weekday() >= 5:
        index -= 1
    return days[index]


def _local(day: date, hour: int, minute: float, policy: Policy) -> datetime:
    moment = datetime.combine(day, time(hour), tzinfo=policy.team.zone)
    return (moment + timedelta(minutes=minute)).astimezone(UTC)


def _language(rng: random.Random) -> tuple[str, str | None]:
    language, script, _ = rng.choices(LANGUAGES, [w for *_, w in LANGUAGES])[0]
    return language, script


def day_visits(rng: random.Random, day: date, policy: Policy, *, spike: bool) -> list[Visit]:
    """The day's conversations in time order; on the spike day a flood of login trouble."""
    count = round(DAY_VOLUME[day.weekday()] * rng.uniform(0.85, 1.15))
    hours = rng.choices(range(24), HOUR_SHAPE, k=count)
    visits = [
        Visit(_local(day, h, rng.uniform(0, 60), policy), *_language(rng), _weighted(rng, ORDINARY))
        for h in hours
    ]
    if spike:
        first, last = SPIKE_HOURS
        usual = DAY_VOLUME[day.weekday()] * sum(HOUR_SHAPE[first:last]) / sum(HOUR_SHAPE)
        flood = max(12, round(SPIKE_FACTOR * usual))
        visits += [
            Visit(_local(day, first, rng.uniform(0, 60 * (last - first)), policy),
                  *_language(rng), _weighted(rng, OUTAGE), outage=True)
            for _ in range(flood)
        ]  # fmt: skip
    return sorted(visits, key=lambda v: v.at)


# --- the play -----------------------------------------------------------------------------


class _PastTheEnd(Exception):
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
            raise _PastTheEnd
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


def _written(text: str, language: str, script: str | None) -> str:
    """Serbian as the customer types it, in the conversation's script."""
    if language != "sr":
        return text
    return to_serbian_cyrillic(text) if script == "Cyrl" else to_serbian_latin(text)


def _phrase(stage: Stage, key: str, conversation: Conversation) -> str:
    language = conversation.language or "en"
    options = PHRASES[key].get(language) or PHRASES[key]["en"]
    return _written(stage.rng.choice(options), language, conversation.script)


def vary(rng: random.Random, question: str, language: str) -> str:
    """A question as people type it: as written, lower case, with a greeting or a please."""
    roll = rng.random()
    if roll < 0.45:
        return question
    if roll < 0.62:
        return question.lower().rstrip("?;.!")
    if roll < 0.82:
        hello = rng.choice(PHRASES["hello"].get(language, PHRASES["hello"]["en"]))
        return hello + question[:1].lower() + question[1:]
    please = rng.choice(PHRASES["please"].get(language, PHRASES["please"]["en"]))
    return question.rstrip("?;.!") + please


def _customer(stage: Stage, visit: Visit) -> tuple[Customer, Seen | None]:
    """A new customer (mostly identified), or one coming back (within a day, or later)."""
    world, rng = stage.world, stage.rng
    roll = rng.random()
    recent = [s for s in world.seen if visit.at - timedelta(hours=24) < s.at < visit.at]
    earlier = recent if roll < RETURN_WITHIN_DAY else world.seen
    if not visit.outage and roll < RETURN_WITHIN_DAY + RETURN_LATER and earlier:
        back = rng.choice(earlier)
        customer = stage.session.get(Customer, back.customer_id)
        if customer is not None:
            return customer, back
    world.customers += 1
    identified = rng.random() >= ANONYMOUS_SHARE
    plans = [(p, w) for p, w in PLANS if p in world.policy.plans]
    plan = _weighted(rng, plans or [(world.policy.anonymous_plan, 1)])
    first = rng.choice(FIRST_NAMES.get(visit.language, FIRST_NAMES["en"]))
    customer = Customer(
        external_id=f"demo-{world.customers:05d}" if identified else None,
        name=f"{first} (demo)" if identified else None,
        plan=plan if identified else world.policy.anonymous_plan,
        language=visit.language,
        attributes={"demo": True},
    )
    stage.session.add(customer)
    stage.session.flush()
    return customer, None


def _topic(stage: Stage, visit: Visit, back: Seen | None, language: str) -> DemoArticle:
    """The article the question is about: the outage's, the one they asked before, or one of
    the KB's in the customer's language (the popular ones more often)."""
    world = stage.world
    if visit.outage:
        return world.login
    if back is not None and back.article_id is not None and stage.rng.random() < 0.8:
        for article in world.articles:
            if article.article_id == back.article_id:
                return article
    fitting = [a for a in world.articles if language in a.translations] or world.articles
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(fitting))]
    return stage.rng.choices(fitting, weights)[0]


def _say(stage: Stage, conversation: Conversation, moment: datetime, text: str) -> datetime:
    stage.at(moment)
    conversations.store_customer_message(
        stage.session, conversation_id=conversation.id, text=text, max_chars=4000,
        client_msg_id=f"demo-{stage.rng.getrandbits(64):016x}",
    )  # fmt: skip
    return moment


def _bot(
    stage: Stage, conversation: Conversation, moment: datetime, custom: dict[str, Any]
) -> datetime:
    stage.at(moment)
    flows.store_bot_replies(
        stage.session, HUB, conversation_id=conversation.id, outputs=[{"custom": custom}]
    )
    return moment


def _buttons(language: str) -> list[dict[str, str]]:
    return [
        {"title": say("yes", language), "payload": "/affirm"},
        {"title": say("no", language), "payload": "/deny"},
    ]


def _answer(
    stage: Stage, conversation: Conversation, moment: datetime, shown: Shown, query: str
) -> datetime:
    """What actions/answer.py sends for a confident KB hit."""
    language = conversation.language or "en"
    confidence = round(stage.rng.uniform(0.55, 0.97), 3)
    return _bot(stage, conversation, moment, {
        "kind": "answer", "text": shown.answer,
        "note": say("fallback_note", language) if shown.language != language else "",
        "article": {"id": shown.article_id, "title": shown.title, "language": shown.language,
                    "version": shown.version, "confidence": confidence},
        "question": say("did_it_help", language), "buttons": _buttons(language),
        flows.RECORD: {"answer": {
            "query": query, "article_id": shown.article_id, "language": shown.language,
            "title": shown.title, "version": shown.version, "confidence": confidence,
        }},
    })  # fmt: skip


def _offer_person(
    stage: Stage, conversation: Conversation, moment: datetime, unanswered: str | None
) -> datetime:
    language = conversation.language or "en"
    custom: dict[str, Any] = {"kind": "offer_person", "buttons": _buttons(language)}
    if unanswered is None:  # after a "no"
        custom["text"] = say("offer_person", language)
    else:  # the KB had no confident answer; mostly nothing close at all
        custom["text"] = say("not_sure", language)
        missing = stage.rng.random() < 0.7
        custom[flows.RECORD] = {"unanswered": {"query": unanswered, "missing": missing}}
    return _bot(stage, conversation, moment, custom)


def _press(stage: Stage, conversation: Conversation, moment: datetime, *, yes: bool) -> datetime:
    """The customer presses the bot's "yes" or "no" button (stored as its title)."""
    language = conversation.language or "en"
    text = _written(say("yes" if yes else "no", language), language, conversation.script)
    return _say(stage, conversation, moment, text)


def _vote(stage: Stage, conversation: Conversation, moment: datetime, helpful: bool) -> datetime:
    """The customer answers "did this help?"; the bot is glad or offers a person."""
    _press(stage, conversation, moment, yes=helpful)
    flows.record_feedback(stage.session, conversation_id=conversation.id, helpful=helpful)
    later = moment + timedelta(seconds=2)
    if helpful:
        language = conversation.language or "en"
        return _bot(stage, conversation, later, {"kind": "text", "text": say("glad", language)})
    return _offer_person(stage, conversation, later, None)


def _hand_off(
    stage: Stage, conversation: Conversation, moment: datetime, intent: str | None
) -> Ticket:
    stage.at(moment)
    ticket = flows.hand_off_from_bot(
        stage.session, HUB, conversation_id=conversation.id, intent=intent,
        policy=stage.world.policy,
    ).ticket  # fmt: skip
    stage.world.tally.tickets += 1
    _bot(stage, conversation, moment + timedelta(seconds=1), {
        "kind": "handoff", "ticket_id": ticket.id,
        "text": say("handed_off", conversation.language, ticket=ticket.id),
    })  # fmt: skip
    return ticket


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high))


def play(stage: Stage, visit: Visit) -> None:
    """One conversation from the first message to its end (or to now)."""
    world = stage.world
    customer, back = _customer(stage, visit)
    language = back.language if back else visit.language
    script = back.script if back else visit.script
    article = None if visit.story in NOT_IN_KB else _topic(stage, visit, back, language)
    stage.at(visit.at)
    conversation = conversations.start_conversation(
        stage.session, language=f"{language}-{script}" if script else language, customer=customer
    )
    world.tally.conversations += 1
    world.tally.spike += visit.outage
    about = article.article_id if article is not None else None
    world.seen.append(Seen(customer.id, language, script, about, visit.at))
    with suppress(_PastTheEnd):
        _converse(stage, conversation, visit, article)


def _first_question(
    stage: Stage, conversation: Conversation, visit: Visit, article: DemoArticle | None
) -> str:
    """An example question of the article (in the conversation's language when it has one),
    varied; in the outage some say it is urgent; without an article, one the KB lacks."""
    language = conversation.language or "en"
    if article is None:
        options = PHRASES["not_in_kb"].get(language) or PHRASES["not_in_kb"]["en"]
        return _written(stage.rng.choice(options), language, conversation.script)
    shown = article.shown_in(language)
    text = vary(stage.rng, stage.rng.choice(shown.questions), shown.language)
    if visit.outage and stage.rng.random() < 0.2:
        text += stage.rng.choice(PHRASES["urgent"][shown.language])
    return _written(text, shown.language, conversation.script)


def _converse(
    stage: Stage, conversation: Conversation, visit: Visit, article: DemoArticle | None
) -> None:
    rng, story, t = stage.rng, visit.story, visit.at
    if story is Story.ASKED:
        _say(stage, conversation, t, _phrase(stage, "person", conversation))
        _to_person(stage, conversation, visit, t + _seconds(rng, 1, 3), "request_human")
        return
    question = _first_question(stage, conversation, visit, article)
    _say(stage, conversation, t, question)
    t += _seconds(rng, 1, 3)
    if article is None:
        _offer_person(stage, conversation, t, question)
        if story is Story.UNANSWERED_HANDOFF:
            t = _press(stage, conversation, t + _seconds(rng, 5, 40), yes=True)
            _to_person(stage, conversation, visit, t + _seconds(rng, 1, 2), None)
        return
    _answer(stage, conversation, t, article.shown_in(conversation.language or "en"), question)
    t += _seconds(rng, 20, 150)
    if story is Story.ASKED_AFTER:
        _say(stage, conversation, t, _phrase(stage, "person", conversation))
        _to_person(stage, conversation, visit, t + _seconds(rng, 1, 3), "request_human")
    elif story is not Story.SILENT:
        t = _vote(stage, conversation, t, helpful=story is Story.CONFIRMED)
        if story is Story.UNHELPFUL:  # "yes" to the offered person
            t = _press(stage, conversation, t + _seconds(rng, 5, 40), yes=True)
            _to_person(stage, conversation, visit, t + _seconds(rng, 1, 2), None)


def _to_person(
    stage: Stage, conversation: Conversation, visit: Visit, moment: datetime, intent: str | None
) -> None:
    work_ticket(stage, conversation, _hand_off(stage, conversation, moment, intent), visit)


# --- the desk -----------------------------------------------------------------------------


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
        stage.at(moment + _seconds(stage.rng, 180, 600))
        tickets.abandon(stage.session, HUB, ticket, reason="customer left while waiting")
        return True
    if roll < 0.09:
        stage.at(moment + _seconds(stage.rng, 60, 240))
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
    stage.at(max(answer_at - _seconds(stage.rng, 30, 180), after + timedelta(seconds=5)))
    tickets.claim(stage.session, HUB, agent=agent, ticket_id=ticket.id)
    return agent


def _reply(stage: Stage, agent: Agent, ticket: Ticket, moment: datetime, key: str) -> datetime:
    stage.at(moment)
    conversation = conversations.get_conversation(stage.session, ticket.conversation_id)
    tickets.reply(stage.session, HUB, agent=agent, ticket_id=ticket.id,
                  text=_phrase(stage, key, conversation))  # fmt: skip
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
    t = _say(
        stage, conversation, t + _seconds(rng, 40, 300), _phrase(stage, "detail", conversation)
    )
    escalate = rng.random() < (0.35 if visit.outage else 0.24)
    for tier in (Tier.L2, Tier.L3) if escalate else ():
        t = stage.at(t + _seconds(rng, 180, 1500))
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
    t = _say(
        stage, conversation, t + _seconds(rng, 30, 300), _phrase(stage, "thanks", conversation)
    )
    t = stage.at(t + _seconds(rng, 20, 240))
    tickets.resolve(stage.session, HUB, agent=agent, ticket_id=ticket.id)
    if rng.random() < 0.07:
        t = _say(stage, conversation, t + _seconds(rng, 1800, 5 * 3600),
                 _phrase(stage, "again", conversation))  # fmt: skip
        t = stage.at(stage.business(t, rng.uniform(2, 30)))
        tickets.reopen(stage.session, HUB, agent=agent, ticket_id=ticket.id,
                       reason="the customer wrote that it happens again")  # fmt: skip
        t = stage.at(t + _seconds(rng, 10, 60))
        tickets.claim(stage.session, HUB, agent=agent, ticket_id=ticket.id)
        t = _reply(stage, agent, ticket, t + _seconds(rng, 120, 1800), "fixed")
        t = stage.at(t + _seconds(rng, 60, 900))
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
    stage.at(t + _seconds(rng, 20, 600))
    tickets.rate(stage.session, HUB, conversation_id=conversation.id, ticket_id=ticket.id,
                 score=score)  # fmt: skip
    stage.world.tally.ratings += 1


# --- setting up, refusing, seeding ----------------------------------------------------------


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
        clock.freeze(_local(dates[0], 0, 0, policy) - timedelta(hours=1))
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
