"""What the conversation flow records for insight, in the transaction that stores the message:
each bot decision the customer saw (``record_decision``), the customer's vote on an answer
(``record_vote``), a handoff right after an answer (``record_handoff``) and an agent's flag on
an answer (``flag_answer``). Questions the bot could not answer, or answered badly, go to the
editors' queue (``UnansweredQuestion``) with why; one entry per bot decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.lifecycle import Sender
from handoff.models import Message
from insight.models import (
    MAX_FLAG_NOTE_CHARS,
    MAX_QUESTION_CHARS,
    AnswerFlag,
    BotAnswer,
    Decision,
    FlagReason,
    MissReason,
    UnansweredQuestion,
    Verdict,
)
from tierzero.db import utcnow
from tierzero.errors import NotFound


class AnswerNotFound(NotFound):
    pass


def _last_customer_text(session: Session, conversation_id: int, before_seq: int) -> str:
    text = session.scalars(
        select(Message.text)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender == Sender.CUSTOMER.value,
            Message.seq < before_seq,
        )
        .order_by(Message.seq.desc())
        .limit(1)
    ).first()
    return (text or "")[:MAX_QUESTION_CHARS]


def record_decision(
    session: Session,
    *,
    conversation_id: int,
    message_seq: int,
    kind: object,
    language: str | None,
    facts: object,
    topic: str | None = None,
) -> BotAnswer | None:
    """The bot showed the customer a decision (``kind`` of the stored message's payload):
    an answer (``facts["answer"]``: article, version, confidence, query; ``topic``: the
    article's category, which the flow has read already), a choice of articles, or the offer
    of a person (``facts["unanswered"]`` when the KB had no confident answer: that question
    goes to the editors' queue)."""
    if kind not in set(Decision):
        return None
    facts = facts if isinstance(facts, dict) else {}
    answer, unanswered = facts.get("answer"), facts.get("unanswered")
    row = BotAnswer(
        conversation_id=conversation_id,
        message_seq=message_seq,
        decision=str(kind),
        language=language,
        created_at=utcnow(),
    )
    if kind == Decision.ANSWER and isinstance(answer, dict):
        row.query = str(answer.get("query") or "")[:MAX_QUESTION_CHARS]
        row.article_id = int(answer["article_id"])
        row.article_version = int(answer["version"])
        row.article_language = str(answer["language"])
        row.confidence = float(answer["confidence"])
        row.topic = topic[:200] if topic else None
    elif isinstance(unanswered, dict):
        row.query = str(unanswered.get("query") or "")[:MAX_QUESTION_CHARS]
    else:
        row.query = _last_customer_text(session, conversation_id, message_seq)
    session.add(row)
    session.flush()
    if isinstance(unanswered, dict) and row.query.strip():
        reason = MissReason.ABSTAINED if unanswered.get("missing") else MissReason.LOW_CONFIDENCE
        _queue(session, row, reason)
    elif kind == Decision.CLARIFY:
        # the bot could not pick one article: an example question the KB lacks, most likely
        _queue(session, row, MissReason.LOW_CONFIDENCE)
    return row


def forget_queries(session: Session, *, before: datetime) -> int:
    """Retention: the customers' words on bot decisions older than ``before`` are blanked (the
    decision, article, version and vote stay for the reports)."""
    result = session.execute(
        update(BotAnswer)
        .where(BotAnswer.created_at < before, BotAnswer.query != "")
        .values(query="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _queue(session: Session, answer: BotAnswer, reason: MissReason) -> None:
    """One editors' queue entry per bot decision: the first reason found stays."""
    exists = session.scalars(
        select(UnansweredQuestion.id).where(UnansweredQuestion.bot_answer_id == answer.id)
    ).first()
    if exists is not None or not answer.query.strip():
        return
    now = utcnow()
    session.add(
        UnansweredQuestion(
            conversation_id=answer.conversation_id,
            bot_answer_id=answer.id,
            query=answer.query,
            language=answer.language,
            reason=reason.value,
            article_id=answer.article_id,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


def last_decision(session: Session, conversation_id: int) -> BotAnswer | None:
    return session.scalars(
        select(BotAnswer)
        .where(BotAnswer.conversation_id == conversation_id)
        .order_by(BotAnswer.message_seq.desc(), BotAnswer.id.desc())
        .limit(1)
    ).first()


def last_answer(session: Session, conversation_id: int) -> BotAnswer | None:
    return session.scalars(
        select(BotAnswer)
        .where(
            BotAnswer.conversation_id == conversation_id,
            BotAnswer.decision == Decision.ANSWER.value,
        )
        .order_by(BotAnswer.message_seq.desc(), BotAnswer.id.desc())
        .limit(1)
    ).first()


def record_vote(session: Session, *, conversation_id: int, helpful: bool) -> None:
    """The customer's "did this help?" on the conversation's last answer (the latest counts);
    a "no" sends its question to the editors' queue."""
    answer = last_answer(session, conversation_id)
    if answer is None:
        return
    answer.verdict = (Verdict.HELPFUL if helpful else Verdict.NOT_HELPFUL).value
    answer.verdict_at = utcnow()
    session.flush()
    if not helpful:
        _queue(session, answer, MissReason.UNHELPFUL)


def record_handoff(session: Session, *, conversation_id: int) -> None:
    """The conversation went to a person right after an answer (no other decision between):
    that answer's question goes to the editors' queue."""
    decision = last_decision(session, conversation_id)
    if decision is not None and decision.decision == Decision.ANSWER.value:
        _queue(session, decision, MissReason.HANDED_OFF)


def flag_answer(
    session: Session,
    *,
    conversation_id: int,
    message_seq: int,
    agent_id: int,
    reason: FlagReason,
    note: str = "",
) -> AnswerFlag:
    """An agent marks the bot answer shown as message ``message_seq`` of the conversation."""
    answer = session.scalars(
        select(BotAnswer).where(
            BotAnswer.conversation_id == conversation_id,
            BotAnswer.message_seq == message_seq,
            BotAnswer.decision == Decision.ANSWER.value,
        )
    ).first()
    if answer is None:
        raise AnswerNotFound("that message is not a bot answer of this conversation")
    flag = AnswerFlag(
        bot_answer_id=answer.id,
        agent_id=agent_id,
        reason=reason.value,
        note=note.strip()[:MAX_FLAG_NOTE_CHARS],
        created_at=utcnow(),
    )
    session.add(flag)
    session.flush()
    _queue(session, answer, MissReason.FLAGGED)
    return flag


class FlagNotFound(NotFound):
    pass


def resolve_flag(session: Session, flag_id: int) -> AnswerFlag:
    flag = session.get(AnswerFlag, flag_id)
    if flag is None:
        raise FlagNotFound("no such flag")
    flag.resolved = True
    session.flush()
    return flag
