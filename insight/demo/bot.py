"""The bot part of a story: :func:`play` runs one :class:`~insight.demo.schedule.Visit` — a new
or returning customer, the first question (an article's example question, varied, or one the
KB lacks), what ``actions/answer.py`` would send back (an answer, a "did it help?", an offer of a
person), the customer's vote and the hand-off; a handed-off ticket goes on to the desk
(:func:`~insight.demo.desk.work_ticket`). Bot replies are stored through ``handoff.flows``."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from handoff import conversations, flows
from handoff.models import Conversation, Customer, Ticket
from handoff.texts import say
from insight.demo.articles import DemoArticle, Shown
from insight.demo.desk import work_ticket
from insight.demo.phrases import FIRST_NAMES, PHRASES, vary, written
from insight.demo.schedule import (
    ANONYMOUS_SHARE,
    NOT_IN_KB,
    PLANS,
    RETURN_LATER,
    RETURN_WITHIN_DAY,
    Story,
    Visit,
    weighted,
)
from insight.demo.stage import HUB, PastTheEnd, Seen, Stage, customer_says, phrase, seconds


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
    with suppress(PastTheEnd):
        _converse(stage, conversation, visit, article)


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
    plan = weighted(rng, plans or [(world.policy.anonymous_plan, 1)])
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


def _first_question(
    stage: Stage, conversation: Conversation, visit: Visit, article: DemoArticle | None
) -> str:
    """An example question of the article (in the conversation's language when it has one),
    varied; in the outage some say it is urgent; without an article, one the KB lacks."""
    language = conversation.language or "en"
    if article is None:
        options = PHRASES["not_in_kb"].get(language) or PHRASES["not_in_kb"]["en"]
        return written(stage.rng.choice(options), language, conversation.script)
    shown = article.shown_in(language)
    text = vary(stage.rng, stage.rng.choice(shown.questions), shown.language)
    if visit.outage and stage.rng.random() < 0.2:
        text += stage.rng.choice(PHRASES["urgent"][shown.language])
    return written(text, shown.language, conversation.script)


def _converse(
    stage: Stage, conversation: Conversation, visit: Visit, article: DemoArticle | None
) -> None:
    rng, story, t = stage.rng, visit.story, visit.at
    if story is Story.ASKED:
        customer_says(stage, conversation, t, phrase(stage, "person", conversation))
        _to_person(stage, conversation, visit, t + seconds(rng, 1, 3), "request_human")
        return
    question = _first_question(stage, conversation, visit, article)
    customer_says(stage, conversation, t, question)
    t += seconds(rng, 1, 3)
    if article is None:
        _offer_person(stage, conversation, t, question)
        if story is Story.UNANSWERED_HANDOFF:
            t = _press(stage, conversation, t + seconds(rng, 5, 40), yes=True)
            _to_person(stage, conversation, visit, t + seconds(rng, 1, 2), None)
        return
    _answer(stage, conversation, t, article.shown_in(conversation.language or "en"), question)
    t += seconds(rng, 20, 150)
    if story is Story.ASKED_AFTER:
        customer_says(stage, conversation, t, phrase(stage, "person", conversation))
        _to_person(stage, conversation, visit, t + seconds(rng, 1, 3), "request_human")
    elif story is not Story.SILENT:
        t = _vote(stage, conversation, t, helpful=story is Story.CONFIRMED)
        if story is Story.UNHELPFUL:  # "yes" to the offered person
            t = _press(stage, conversation, t + seconds(rng, 5, 40), yes=True)
            _to_person(stage, conversation, visit, t + seconds(rng, 1, 2), None)


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
    text = written(say("yes" if yes else "no", language), language, conversation.script)
    return customer_says(stage, conversation, moment, text)


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


def _to_person(
    stage: Stage, conversation: Conversation, visit: Visit, moment: datetime, intent: str | None
) -> None:
    work_ticket(stage, conversation, _hand_off(stage, conversation, moment, intent), visit)
