"""The conversation flow every channel calls (the widget today, email next; the Rasa actions for
their side of a bot turn): store a customer message, run a bot turn, store the bot's replies,
remember answers and feedback, choose a handoff reason and hand off.

Database work runs in worker threads and never spans a call to the bot (Rasa calls back into
the api for its actions, which need the database). Bot turns of one conversation run one at a
time, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from handoff import conversations, tickets
from handoff import repository as repo
from handoff.bot import Bot, BotUnavailable
from handoff.frames import message_frame
from handoff.language import next_language, render
from handoff.lifecycle import ConversationMode, HandoffReason, Priority, Sender
from handoff.models import Conversation, rasa_sender_id
from handoff.person_request import asks_for_person
from handoff.policy import Policy
from handoff.texts import TEXTS, say
from handoff.urgency import is_urgent
from insight import recording
from tierzero.db import unit_of_work
from tierzero.hub import Hub, conversation_topic

if TYPE_CHECKING:
    from kb.search.types import Hit

log = logging.getLogger("tierzero.flow")

#: Marks a bot output an action has stored itself (in the transaction of what it did).
ALREADY_STORED = "stored"
#: What an action's reply asks the flow to record with it (``record_answer`` /
#: ``record_unanswered`` arguments), in the transaction that stores the reply: one write a turn,
#: and nothing is recorded as shown that the customer was never sent.
RECORD = "record"
#: Button payloads a client may send as intents; anything else it sends is plain text.
ALLOWED_INTENT_PAYLOADS = frozenset({"/affirm", "/deny", "/request_human"})
REQUEST_HUMAN = "/request_human"
#: Replies of the KB action, which asks the learned person-request model itself (actions/answer.py)
KB_ACTION_KINDS = frozenset({"answer", "clarify", "offer_person", "handoff"})


def _consume(future: asyncio.Future[object]) -> None:
    """A warm-up that failed is computed again by the search that needs it: nothing to log."""
    if not future.cancelled():
        future.exception()


@dataclass(frozen=True)
class Stored:
    seq: int
    created: bool
    bot_mode: bool
    text: str  # as stored (cleaned); what the bot gets
    intent: str | None
    language: str | None


def bot_text(stored: Stored) -> str:
    """Typed text never reaches Rasa as an intent command ("/restart"); only button payloads
    and the flow's own person-request detection do."""
    return stored.intent or stored.text.lstrip("/").strip() or "?"


def receive_customer_message(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    client_msg_id: str,
    text: str,
    max_chars: int,
    intent: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Stored:
    """Store a customer message (idempotent per client_msg_id) and decide what it means.

    In bot mode a request for a person, in any language or script, becomes the
    ``/request_human`` intent, so it wins over any KB answer. In human mode the message is for
    the ticket: a ticket waiting on the customer goes back to its agent. ``payload``: what
    the channel keeps with the message (an email's subject and attachments).
    """
    conversation = conversations.get_conversation(session, conversation_id)
    intent = intent if intent in ALLOWED_INTENT_PAYLOADS else None
    received = conversations.store_customer_message(
        session, conversation_id=conversation_id, client_msg_id=client_msg_id, text=text,
        max_chars=max_chars, payload=payload,
    )  # fmt: skip
    message = received.message
    bot_mode = conversation.mode == ConversationMode.BOT.value
    if received.created:
        if intent is None:
            language, script = next_language(
                message.text, conversation.language, conversation.script
            )
            if language is not None:
                conversation.language = language
            if script != conversation.script:
                conversation.script = script
            if bot_mode and asks_for_person(message.text):
                intent = REQUEST_HUMAN
        if intent:
            message.payload = {**message.payload, "intent": intent}
        if bot_mode:  # the bot owes it a turn (finished with the turn's stored replies)
            repo.add_pending_bot_turn(session, conversation_id, message.seq)
        session.flush()
        hub.publish_after_commit(
            session, conversation_topic(conversation_id), message_frame(message)
        )
        if not bot_mode:
            tickets.customer_wrote(session, hub, conversation_id=conversation_id)
    else:
        stored_intent = message.payload.get("intent")
        intent = stored_intent if isinstance(stored_intent, str) else None
    return Stored(
        seq=message.seq,
        created=received.created,
        bot_mode=bot_mode,
        text=message.text,
        intent=intent,
        language=conversation.language,
    )


def store_bot_replies(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    outputs: list[dict[str, Any]],
    sender: Sender = Sender.BOT,
) -> None:
    """Store what the bot said, in the customer's language and script, and push it."""
    conversation = conversations.get_conversation(session, conversation_id)
    for output in outputs:
        custom = output.get("custom")
        if isinstance(custom, dict) and custom.get(ALREADY_STORED):
            continue  # an action stored it itself, with what it did (the handoff)
        facts = custom.get(RECORD) if isinstance(custom, dict) else None
        topic = None
        if isinstance(custom, dict):
            topic = _record(session, conversation_id, facts)
            key = custom.get("key")
            if isinstance(key, str) and key in TEXTS and not custom.get("text"):
                text = say(key, conversation.language)  # a domain response names its text
            else:
                text = str(custom.get("text") or "")
            payload = {k: v for k, v in custom.items() if k not in ("text", "key", RECORD)}
        else:
            text = str(output.get("text") or "")
            payload = {"buttons": output["buttons"]} if output.get("buttons") else {}
        if not text and not payload:
            continue
        article = payload.get("article")
        shown_in = article.get("language") if isinstance(article, dict) else None
        if shown_in in (None, conversation.language):  # an English fallback stays as written
            text = render(text, conversation.language, conversation.script)
        payload = _render_payload(payload, conversation)
        message = conversations.add_message(
            session, conversation_id=conversation_id, sender=sender, text=text, payload=payload
        )
        recording.record_decision(
            session, conversation_id=conversation_id, message_seq=message.seq,
            kind=payload.get("kind"), language=conversation.language, facts=facts, topic=topic,
        )  # fmt: skip
        hub.publish_after_commit(
            session, conversation_topic(conversation_id), message_frame(message)
        )


def _record(session: Session, conversation_id: int, facts: object) -> str | None:
    """Record what an action's reply asks for; the answered article's category (its topic)."""
    if not isinstance(facts, dict):
        return None
    answer, unanswered = facts.get("answer"), facts.get("unanswered")
    if isinstance(answer, dict):
        return record_answer(
            session, conversation_id=conversation_id, query=str(answer["query"]),
            article_id=int(answer["article_id"]), article_language=str(answer["language"]),
            title=str(answer["title"]), version=int(answer["version"]),
            confidence=float(answer["confidence"]),
        )  # fmt: skip
    elif isinstance(unanswered, dict):
        record_unanswered(
            session, conversation_id=conversation_id, query=str(unanswered["query"]),
            missing=bool(unanswered["missing"]),
        )  # fmt: skip
    return None


def answer_reply(hit: Hit, query: str, language: str | None) -> dict[str, Any]:
    """The KB's answer as every channel sends it (a bot output's ``custom`` payload; the chat's
    Rasa action adds its "did this help?" buttons): the article, a note when the article is in
    another language, and what the flow records with the stored reply."""
    return {
        "kind": "answer",
        "text": hit.answer,
        "note": say("fallback_note", language) if hit.language != language else "",
        "article": {
            "id": hit.article_id,
            "title": hit.title,
            "url": hit.url,
            "language": hit.language,
            "version": hit.version,
            "confidence": round(hit.confidence, 3),
        },
        # recorded by the flow with the stored reply (feedback refers to it)
        RECORD: {
            "answer": {
                "query": query,
                "article_id": hit.article_id,
                "language": hit.language,
                "title": hit.title,
                "version": hit.version,
                "confidence": float(hit.confidence),
            }
        },
    }


def _render_payload(payload: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    language, script = conversation.language, conversation.script
    out = dict(payload)
    for key in ("note", "question"):
        if isinstance(out.get(key), str):
            out[key] = render(out[key], language, script)
    if isinstance(out.get("buttons"), list):
        out["buttons"] = [
            {**b, "title": render(str(b.get("title", "")), language, script)}
            if isinstance(b, dict)
            else b
            for b in out["buttons"]
        ]
    return out


# --- what the Rasa actions do, as plain functions ---------------------------------------------


def record_answer(
    session: Session,
    *,
    conversation_id: int,
    query: str,
    article_id: int,
    article_language: str,
    title: str,
    version: int,
    confidence: float,
) -> str | None:
    """The bot answered with an article: remember it (feedback and handoff refer to it);
    returns the article's category (the answer's topic)."""
    from kb import repository as kb_repo
    from kb import service as kb_service

    conversation = conversations.get_conversation(session, conversation_id)
    category = kb_repo.article_category(session, article_id)
    conversations.remember(
        session,
        conversation,
        last_answer={
            "article_id": article_id,
            "language": article_language,
            "title": title,
            "version": version,
            "category": category,
            "confidence": float(confidence),
            "query": query[:500],
        },
    )
    kb_service.record_answer_shown(
        session, article_id=article_id, language=article_language, query=query[:500],
        confidence=float(confidence), conversation_id=conversation_id,
    )  # fmt: skip
    return category


def record_unanswered(
    session: Session, *, conversation_id: int, query: str, missing: bool = False
) -> None:
    """The bot had no confident answer (``missing``: the KB had nothing close at all); the
    question travels with a handoff and decides its reason."""
    conversation = conversations.get_conversation(session, conversation_id)
    conversations.remember(
        session, conversation, low_confidence=query[:500], missing_knowledge=missing
    )


def record_feedback(session: Session, *, conversation_id: int, helpful: bool) -> None:
    """The customer's "did this help?" about the last answer; a "no" counts as unhelpful."""
    from kb import service as kb_service

    conversation = conversations.get_conversation(session, conversation_id)
    last = conversation.context.get("last_answer")
    if isinstance(last, dict):
        kb_service.record_feedback(
            session, article_id=int(last["article_id"]), language=str(last["language"]),
            query=str(last["query"]), confidence=float(last["confidence"]), helpful=helpful,
            conversation_id=conversation_id,
        )  # fmt: skip
    recording.record_vote(session, conversation_id=conversation_id, helpful=helpful)
    if not helpful:
        conversation.unhelpful_answers += 1
    session.flush()


def handoff_reason(intent: str | None, conversation: Conversation) -> HandoffReason:
    # Rasa names the intent "request_human"; a button payload or the learned person-request
    # model's verdict is "/request_human": both are the customer asking for a person
    if intent is not None and intent.lstrip("/") == "request_human":
        return HandoffReason.ASKED_FOR_PERSON
    if conversation.unhelpful_answers > 0:
        return HandoffReason.UNHELPFUL_ANSWERS
    if conversation.context.get("low_confidence"):
        if conversation.context.get("missing_knowledge"):
            return HandoffReason.MISSING_KNOWLEDGE
        return HandoffReason.LOW_CONFIDENCE
    return HandoffReason.ASKED_FOR_PERSON


def hand_off_from_bot(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    intent: str | None,
    policy: Policy | None = None,
) -> tickets.HandoffResult:
    """The bot hands the conversation to a person (idempotent while a ticket is open)."""
    from kb import service as kb_service

    conversation = conversations.get_conversation(session, conversation_id)
    reason = handoff_reason(intent, conversation)
    last = conversation.context.get("last_answer")
    topic = last.get("category") if isinstance(last, dict) else None
    urgent = any(
        m.sender == Sender.CUSTOMER.value and is_urgent(m.text)
        for m in repo.messages_since(session, conversation_id)[-20:]
    )
    if urgent and reason is not HandoffReason.ASKED_FOR_PERSON:
        reason = HandoffReason.URGENT
    result = tickets.hand_off(
        session, hub, conversation_id=conversation_id, reason=reason,
        topic=topic if isinstance(topic, str) else None,
        priority=Priority.HIGH if urgent else Priority.NORMAL, policy=policy,
    )  # fmt: skip
    if result.created:
        recording.record_handoff(session, conversation_id=conversation_id)
        conversation.unhelpful_answers = 0
        conversations.remember(session, conversation, low_confidence=None, missing_knowledge=False)
        if isinstance(last, dict):
            kb_service.record_handoff_after(
                session, article_id=int(last["article_id"]), conversation_id=conversation_id
            )
    return result


def hand_off_and_tell(
    session: Session,
    hub: Hub,
    *,
    conversation_id: int,
    intent: str | None,
    language: str | None,
    policy: Policy | None,
) -> dict[str, Any]:
    """Hand off and say what happens next: the ticket, the place in the queue, or — when nobody
    can take it now — the truth with when to expect an answer and an email follow-up. The
    message (a bot output's ``custom`` payload) is what the Rasa action sends, and what the
    flow sends itself when Rasa cannot answer."""
    from handoff import availability, waiting
    from tierzero.db import utcnow

    result = hand_off_from_bot(
        session, hub, conversation_id=conversation_id, intent=intent, policy=policy
    )
    ticket_id = result.ticket.id
    position = waiting.position_of(session, result.ticket)
    found = (
        availability.availability(session, policy, result.ticket, utcnow())
        if policy is not None
        else None
    )
    if found is not None and result.created:
        availability.remember(result.ticket, found)
    message: dict[str, Any] = {
        "kind": "handoff",
        "text": say("handed_off", language, ticket=ticket_id),
        "ticket_id": ticket_id,
        "queue": {"position": position.position, "eta_seconds": position.eta_seconds},
    }
    if found is not None and policy is not None and not found.live:
        # the truth: nobody can take it now; when to expect an answer; email follow-up
        message["text"] = say(
            availability.TEXT_KEYS[found.path], language, ticket=ticket_id,
            when=availability.when(policy, found.expected_by),
            opens=availability.when(policy, found.opens_at),
        )  # fmt: skip
        message["follow_up"] = availability.follow_up(found.path, found.expected_by, language)
    return message


def _told_of_handoff(session: Session, conversation_id: int, handoff_seq: int) -> bool:
    """Was the customer told of the handoff made at ``handoff_seq`` (its message comes after)?"""
    return any(
        m.payload.get("kind") == "handoff"
        for m in repo.messages_since(session, conversation_id, handoff_seq)
        if m.sender != Sender.CUSTOMER.value
    )


# --- the asynchronous turn ------------------------------------------------------------------


class SharedTurns(Protocol):
    def hold(self, conversation_id: int) -> AbstractAsyncContextManager[None]: ...


class ConversationFlow:
    """What a channel calls: ``receive`` stores and acknowledges, ``bot_turn`` lets the bot
    answer (in bot mode), one turn at a time per conversation."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        hub: Hub,
        bot: Bot,
        *,
        max_chars: int,
        sender_key: str,
    ) -> None:
        self._factory = session_factory
        self._hub = hub
        self._bot = bot
        self._max_chars = max_chars
        self._sender_key = sender_key  # signs Rasa's sender ids (handoff.models.rasa_sender_id)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()
        #: The policy (plans, hours) a handoff without the bot is told by; set by the app.
        self.policy: Policy | None = None
        #: The learned "does this ask for a person?" model, once loaded. The KB action asks it
        #: before answering; the flow asks it after a turn Rasa gave to small talk or a yes/no.
        self.second_opinion: Callable[[str], bool] | None = None
        #: Computes (and caches) a message's embedding, started as the message arrives: the bot
        #: turn does not wait for it; the KB action (and its person-request second opinion)
        #: picks the vector up, or waits for the encode still running (``kb.search.dense``).
        self.prefetch: Callable[[str], object] | None = None
        #: With several api workers: a lock per conversation they all share (taken after this
        #: worker's own; ``tierzero.cluster.turns``).
        self.shared_turns: SharedTurns | None = None

    @asynccontextmanager
    async def _turn(self, conversation_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] += 1
        try:
            async with lock:
                if self.shared_turns is None:
                    yield
                else:
                    async with self.shared_turns.hold(conversation_id):
                        yield
        finally:
            self._users[conversation_id] -= 1
            if not self._users[conversation_id]:
                del self._users[conversation_id], self._locks[conversation_id]

    def _receive(
        self, conversation_id: int, client_msg_id: str, text: str, intent: str | None
    ) -> Stored:
        with unit_of_work(self._factory) as session:
            return receive_customer_message(
                session, self._hub, conversation_id=conversation_id,
                client_msg_id=client_msg_id, text=text, max_chars=self._max_chars, intent=intent,
            )  # fmt: skip

    def _due(self, conversation_id: int, stored: Stored) -> bool:
        """Does the bot still owe this message its turn? Not when another turn finished it (a
        turn run again after a reconnect), nor once the conversation is with a person (another
        tab's message handed off while this one waited): then the message is settled here."""
        with unit_of_work(self._factory, read_only=True) as session:
            if not repo.is_bot_turn_pending(session, conversation_id, stored.seq):
                return False
            conversation = repo.get_conversation(session, conversation_id)
            if conversation is not None and conversation.mode == ConversationMode.BOT.value:
                return True
        with unit_of_work(self._factory) as session:
            ticket = repo.open_ticket_for_conversation(session, conversation_id)
            if ticket is not None and not _told_of_handoff(
                session, conversation_id, ticket.handoff_seq
            ):
                # the turn that handed off was cut off before its message was stored
                self._tell_handoff(session, conversation_id, stored, stored.intent)
            repo.finish_bot_turn(session, conversation_id, stored.seq)
        return False

    def _tell_handoff(
        self, session: Session, conversation_id: int, stored: Stored, intent: str | None
    ) -> None:
        """Hand off (or find the open ticket) and tell the customer, as the Rasa action would."""
        message = hand_off_and_tell(
            session, self._hub, conversation_id=conversation_id, intent=intent,
            language=stored.language, policy=self.policy,
        )  # fmt: skip
        store_bot_replies(
            session, self._hub, conversation_id=conversation_id,
            outputs=[{"custom": message}], sender=Sender.SYSTEM,
        )  # fmt: skip

    def _store_replies(
        self, conversation_id: int, seq: int, outputs: list[dict[str, Any]], sender: Sender
    ) -> None:
        with unit_of_work(self._factory) as session:
            store_bot_replies(
                session, self._hub, conversation_id=conversation_id, outputs=outputs,
                sender=sender,
            )  # fmt: skip
            repo.finish_bot_turn(session, conversation_id, seq)

    def _hand_off_without_bot(self, conversation_id: int, stored: Stored) -> None:
        """Rasa is slow or down and the customer asked for a person: the flow hands off itself,
        with the same message the Rasa action would have sent."""
        log.warning("assistant unavailable: conversation %s handed off without it", conversation_id)
        with unit_of_work(self._factory) as session:
            self._tell_handoff(session, conversation_id, stored, REQUEST_HUMAN)
            repo.finish_bot_turn(session, conversation_id, stored.seq)

    def _unfinished(self, conversation_id: int) -> list[Stored]:
        with unit_of_work(self._factory, read_only=True) as session:
            conversation = repo.get_conversation(session, conversation_id)
            if conversation is None:
                return []
            turns = []
            for message in repo.pending_bot_turns(session, conversation_id):
                intent = message.payload.get("intent")
                stored = Stored(
                    seq=message.seq, created=False, bot_mode=True, text=message.text,
                    intent=intent if isinstance(intent, str) else None,
                    language=conversation.language,
                )  # fmt: skip
                turns.append(stored)
            return turns

    async def unfinished_turns(self, conversation_id: int) -> list[Stored]:
        """Customer messages whose bot turn a stop of the api cut off (stored and acked, never
        answered), oldest first: the channel runs their turns again when the customer is back.
        A turn still running elsewhere finishes first, and the one run again then does nothing."""
        return await to_thread.run_sync(self._unfinished, conversation_id)

    async def receive(
        self, conversation_id: int, client_msg_id: str, text: str, intent: str | None = None
    ) -> Stored:
        # the message's embedding is computed while it is stored and while Rasa reads it (the
        # KB action needs it next): the encode overlaps the write and Rasa's own work
        if intent is None and self.prefetch is not None:
            warming = asyncio.get_running_loop().run_in_executor(None, self.prefetch, text)
            warming.add_done_callback(_consume)
        return await to_thread.run_sync(self._receive, conversation_id, client_msg_id, text, intent)

    async def _missed_person_request(self, stored: Stored, outputs: list[dict[str, Any]]) -> bool:
        second = self.second_opinion
        if second is None or stored.intent is not None:
            return False
        kinds = {o["custom"].get("kind") for o in outputs if isinstance(o.get("custom"), dict)}
        if kinds & KB_ACTION_KINDS:
            return False  # the KB action asked the model (or handed off) itself
        return bool(await to_thread.run_sync(second, stored.text))

    async def bot_turn(self, conversation_id: int, stored: Stored) -> None:
        sender_id = rasa_sender_id(conversation_id, self._sender_key)
        async with self._turn(conversation_id):
            if not await to_thread.run_sync(self._due, conversation_id, stored):
                return
            try:
                # the language rides with every message (the actions read it there): no
                # separate call to set a slot before a conversation's first turn
                metadata = {"language": stored.language} if stored.language else None
                outputs = await self._bot.send(sender_id, bot_text(stored), metadata=metadata)
                if await self._missed_person_request(stored, outputs):
                    # Rasa took it for small talk or a yes/no, so the KB action never asked the
                    # learned model: that reply is not sent, the customer gets a person
                    stored = replace(stored, intent=REQUEST_HUMAN)
                    outputs = await self._bot.send(sender_id, bot_text(stored), metadata=metadata)
            except BotUnavailable:
                if stored.intent == REQUEST_HUMAN:  # a person never waits for the bot
                    await to_thread.run_sync(self._hand_off_without_bot, conversation_id, stored)
                    return
                button = {"title": say("talk_to_person", stored.language), "payload": REQUEST_HUMAN}
                text = say("unavailable", stored.language)
                outputs = [{"custom": {"kind": "error", "text": text, "buttons": [button]}}]
                await to_thread.run_sync(
                    self._store_replies, conversation_id, stored.seq, outputs, Sender.SYSTEM
                )
                return
            await to_thread.run_sync(
                self._store_replies, conversation_id, stored.seq, outputs, Sender.BOT
            )
