"""One outcome record per counted conversation (a conversation in which the customer wrote),
derived by the database from the stored messages, bot answers and tickets — kept current
because it is read from them each time, never copied.

Bot outcome classes (``docs/metrics.md`` §4), checked in this order:

1. ``handed_off``: the conversation has a ticket (a good or bad outcome for the desk, never a
   bot resolution);
2. ``unanswered``: the bot never answered from the KB;
3. ``rejected``: the customer said the last answer did not help, or the bot had to offer a
   person or a choice after it (the customer asked for more);
4. ``uncounted``: the customer came back about the same topic within the window (another
   conversation started within W after the answer, with an answer of the same topic or with
   no answer at all);
5. ``pending``: the window after the last answer has not passed yet;
6. ``bot_confirmed``: the customer said the last answer helped;
7. ``bot_assumed``: otherwise (answered, not rejected, left, did not come back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from handoff.lifecycle import Sender
from handoff.models import Conversation, Customer, Message, Ticket
from insight.models import BotAnswer, Decision, Verdict
from insight.periods import Period
from tierzero.db import epoch_seconds

DEFAULT_WINDOW_HOURS = 24


class Outcome(StrEnum):
    HANDED_OFF = "handed_off"
    UNANSWERED = "unanswered"
    REJECTED = "rejected"
    UNCOUNTED = "uncounted"
    PENDING = "pending"
    BOT_CONFIRMED = "bot_confirmed"
    BOT_ASSUMED = "bot_assumed"


BOT_RESOLVED = frozenset({Outcome.BOT_CONFIRMED, Outcome.BOT_ASSUMED})


@dataclass(frozen=True)
class OutcomeRecord:
    conversation_id: int
    customer_id: int
    identified: bool
    channel: str
    language: str | None
    plan: str
    topic: str | None
    started_at: datetime  # the first customer message: the record's attribution instant
    first_bot_reply_at: datetime | None
    last_answer_at: datetime | None
    customer_messages_to_answer: int | None
    handoff_at: datetime | None
    handoff_reason: str | None
    outcome: Outcome


def _firsts() -> Subquery:
    return (
        select(
            Message.conversation_id.label("conversation_id"),
            func.min(Message.created_at).label("first_at"),
        )
        .where(Message.sender == Sender.CUSTOMER.value)
        .group_by(Message.conversation_id)
        .subquery()
    )


def _topic_key(answer: type[BotAnswer]) -> ColumnElement[str]:
    """An answer's topic: its article's category, or the article itself without one."""
    return func.coalesce(answer.topic, literal("article:") + cast(answer.article_id, String))


def outcome_records(
    session: Session, period: Period, *, as_of: datetime, window_hours: int = DEFAULT_WINDOW_HOURS
) -> list[OutcomeRecord]:
    """The records of conversations whose first customer message is in the period."""
    window = float(window_hours * 3600)
    firsts = _firsts()
    f = firsts
    last_seq = (
        select(BotAnswer.conversation_id, func.max(BotAnswer.message_seq).label("seq"))
        .where(BotAnswer.decision == Decision.ANSWER.value)
        .group_by(BotAnswer.conversation_id)
        .subquery()
    )
    a = aliased(BotAnswer, name="a")
    later = aliased(BotAnswer, name="later")
    other = aliased(Conversation, name="other")
    f2 = firsts.alias("f2")
    c2_answer = aliased(BotAnswer, name="c2_answer")
    first_ticket = (
        select(Ticket.conversation_id, func.min(Ticket.id).label("ticket_id"))
        .group_by(Ticket.conversation_id)
        .subquery()
    )
    t = aliased(Ticket, name="t")
    first_bot = (
        select(func.min(Message.created_at))
        .where(Message.conversation_id == Conversation.id, Message.sender == Sender.BOT.value)
        .scalar_subquery()
    )
    to_answer = (
        select(func.count())
        .where(
            Message.conversation_id == Conversation.id,
            Message.sender == Sender.CUSTOMER.value,
            Message.seq < a.message_seq,
        )
        .scalar_subquery()
    )
    rejected = or_(
        a.verdict == Verdict.NOT_HELPFUL.value,
        exists().where(
            later.conversation_id == a.conversation_id,
            later.message_seq > a.message_seq,
            later.decision != Decision.ANSWER.value,
        ),
    )
    answer_at = epoch_seconds(a.created_at)
    returned = exists().where(
        other.customer_id == Conversation.customer_id,
        other.id != Conversation.id,
        f2.c.conversation_id == other.id,
        epoch_seconds(f2.c.first_at) > answer_at,
        epoch_seconds(f2.c.first_at) <= answer_at + window,
        or_(
            not_(
                exists().where(
                    c2_answer.conversation_id == other.id,
                    c2_answer.decision == Decision.ANSWER.value,
                )
            ),
            exists().where(
                c2_answer.conversation_id == other.id,
                c2_answer.decision == Decision.ANSWER.value,
                _topic_key(c2_answer) == _topic_key(a),
            ),
        ),
    )
    outcome = case(
        (t.id.is_not(None), Outcome.HANDED_OFF.value),
        (a.id.is_(None), Outcome.UNANSWERED.value),
        (rejected, Outcome.REJECTED.value),
        (returned, Outcome.UNCOUNTED.value),
        (literal(as_of.timestamp()) < answer_at + window, Outcome.PENDING.value),
        (a.verdict == Verdict.HELPFUL.value, Outcome.BOT_CONFIRMED.value),
        else_=Outcome.BOT_ASSUMED.value,
    )
    stmt = (
        select(
            Conversation.id,
            Conversation.customer_id,
            Customer.external_id.is_not(None),
            Conversation.channel,
            Conversation.language,
            Customer.plan,
            func.coalesce(a.topic, t.topic),
            f.c.first_at,
            first_bot,
            a.created_at,
            to_answer,
            t.created_at,
            t.handoff_reason,
            outcome,
        )
        .join(f, f.c.conversation_id == Conversation.id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(last_seq, last_seq.c.conversation_id == Conversation.id)
        .outerjoin(a, and_(a.conversation_id == Conversation.id, a.message_seq == last_seq.c.seq))
        .outerjoin(first_ticket, first_ticket.c.conversation_id == Conversation.id)
        .outerjoin(t, t.id == first_ticket.c.ticket_id)
        .where(
            f.c.first_at >= period.start,
            f.c.first_at < period.end,
        )
        .order_by(Conversation.id)
    )
    return [
        OutcomeRecord(
            conversation_id=row[0],
            customer_id=row[1],
            identified=bool(row[2]),
            channel=row[3],
            language=row[4],
            plan=row[5],
            topic=row[6],
            started_at=row[7],
            first_bot_reply_at=row[8],
            last_answer_at=row[9],
            customer_messages_to_answer=row[10] if row[9] is not None else None,
            handoff_at=row[11],
            handoff_reason=row[12],
            outcome=Outcome(row[13]),
        )
        for row in session.execute(stmt).all()
    ]
