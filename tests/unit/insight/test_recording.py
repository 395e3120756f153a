"""What the flow records for insight: a choice of articles sends its question to the editors'
queue (the KB lacks an example), a vote replaces the earlier one on the last answer, a flag
needs a real bot answer, and retention blanks the customers' words on old decisions but keeps
the counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.lifecycle import Role
from insight import recording
from insight.models import BotAnswer, FlagReason, UnansweredQuestion
from tests.unit.handoff.builders import make_agent
from tests.unit.insight.history import History, article, at
from tests.unit.insight.test_report import POLICY
from tierzero import clock


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    yield
    clock.travel(timedelta(0))


def test_choices_votes_flags_and_retention(session: Session) -> None:
    h = History(session, POLICY)
    login = article(session, "login", "login")
    c = h.conversation(h.customer("x"), "2026-11-02 09:00", "login or password?")
    h.bot(c, "2026-11-02 09:00:05", {"kind": "clarify", "text": "Which one?"})
    h.answer(c, "2026-11-02 09:01", login, "login")
    h.vote(c, "2026-11-02 09:02", helpful=False)
    h.vote(c, "2026-11-02 09:03", helpful=True)  # changed their mind: the latest counts
    queued = session.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id)).all()
    assert [(q.query, q.reason) for q in queued] == [
        ("login or password?", "low_confidence"), ("login", "unhelpful"),
    ]  # fmt: skip
    answer = recording.last_answer(session, c.id)
    assert answer is not None and answer.verdict == "helpful" and answer.article_version == 1
    agent = make_agent(session, role=Role.AGENT)
    with pytest.raises(recording.AnswerNotFound):  # the clarify is not an answer
        recording.flag_answer(session, conversation_id=c.id, message_seq=answer.message_seq - 1,
                              agent_id=agent.id, reason=FlagReason.OTHER)  # fmt: skip
    flag = recording.flag_answer(
        session, conversation_id=c.id, message_seq=answer.message_seq, agent_id=agent.id,
        reason=FlagReason.OUTDATED, note=" old ",
    )  # fmt: skip
    assert flag.note == "old" and not flag.resolved
    assert recording.resolve_flag(session, flag.id).resolved
    with pytest.raises(recording.FlagNotFound):
        recording.resolve_flag(session, 987654)
    assert recording.forget_queries(session, before=at("2026-11-02 09:00:30")) == 1
    session.expire_all()
    words = session.scalars(select(BotAnswer.query).order_by(BotAnswer.id)).all()
    assert words == ["", "login"]  # the clarify's words are gone, the decision stays
