"""The editors' queue (``insight.content.questions``) on a real database with the real (sparse)
search index: review states, applying questions to an article (and off a competing one),
drafting an article from them, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations import start_conversation
from handoff.models import Agent
from insight.content import questions as queue
from insight.content.questions import (
    InvalidQuestionInput,
    InvalidReviewTransition,
    Purged,
    QuestionNotFound,
)
from insight.models import MissReason, ReviewState, UnansweredQuestion
from kb import service as kb_service
from kb.errors import ArticleKeyTaken, InvalidArticle
from kb.search import KbIndex
from tests.unit.handoff.builders import make_agent
from tierzero.db import utcnow
from tierzero.settings import Settings

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def index() -> KbIndex:
    kb_index = KbIndex(dense=False)
    kb_index.rebuild([])
    return kb_index


@pytest.fixture
def editor(session: Session) -> Agent:
    return make_agent(session, name="Editor")


def ask(
    session: Session,
    text: str,
    *,
    language: str = "en",
    reason: MissReason = MissReason.ABSTAINED,
    state: ReviewState = ReviewState.NEW,
    created_at: datetime | None = None,
) -> UnansweredQuestion:
    conversation = start_conversation(session, language=language)
    at = created_at or utcnow()
    question = UnansweredQuestion(
        conversation_id=conversation.id, query=text, language=language, reason=reason.value,
        state=state.value, created_at=at, updated_at=at,
    )  # fmt: skip
    session.add(question)
    session.flush()
    return question


def live_article(
    session: Session, key: str, title: str, questions: list[str], index: KbIndex
) -> int:
    view = kb_service.create_article(
        session, key=key, title=title, answer=f"All about {title.lower()}.",
        questions=questions, category="billing", author="editor@example.test",
    )  # fmt: skip
    article_id = view.article.id
    kb_service.publish(session, article_id, "en", author="editor@example.test", index=index)
    return article_id


def examples(session: Session, article_id: int, language: str = "en") -> list[str]:
    return list(kb_service.get_translation(session, article_id, language).current.questions)


class TestStates:
    def test_a_question_moves_through_review(self, session: Session, editor: Agent) -> None:
        q = ask(session, "do you ship to Cyprus?")
        queue.set_state(session, q.id, ReviewState.IN_REVIEW, agent_id=editor.id)
        assert (q.state, q.reviewed_by) == ("in_review", editor.id)
        queue.set_state(session, q.id, "new", agent_id=editor.id)  # back to the queue
        queue.set_state(session, q.id, ReviewState.DISCARDED, agent_id=editor.id)
        assert q.state == "discarded"

    def test_a_discarded_question_stays_discarded(self, session: Session, editor: Agent) -> None:
        q = ask(session, "asdf", state=ReviewState.DISCARDED)
        with pytest.raises(InvalidReviewTransition) as caught:
            queue.set_state(session, q.id, ReviewState.NEW, agent_id=editor.id)
        assert caught.value.status_code == 409

    def test_applied_is_only_reached_by_applying(self, session: Session, editor: Agent) -> None:
        q = ask(session, "do you ship to Cyprus?", state=ReviewState.IN_REVIEW)
        with pytest.raises(InvalidReviewTransition, match="apply it to an article"):
            queue.set_state(session, q.id, ReviewState.APPLIED, agent_id=editor.id)

    def test_unknown_state_and_question_are_clear_errors(
        self, session: Session, editor: Agent
    ) -> None:
        q = ask(session, "do you ship to Cyprus?")
        with pytest.raises(InvalidQuestionInput) as bad:
            queue.set_state(session, q.id, "done", agent_id=editor.id)
        assert bad.value.status_code == 400
        with pytest.raises(QuestionNotFound):
            queue.set_state(session, q.id + 999, "in_review", agent_id=editor.id)

    def test_list_filters_and_pages_newest_first(self, session: Session) -> None:
        old = ask(session, "old one", created_at=NOW - timedelta(days=2))
        greek = ask(session, "Πού είναι το τιμολόγιό μου;", language="el", created_at=NOW)
        ask(session, "flagged", reason=MissReason.FLAGGED, state=ReviewState.DISCARDED)
        page = queue.list_questions(session, state="new", limit=1)
        assert (page.total, [q.id for q in page.items]) == (2, [greek.id])
        assert [q.id for q in queue.list_questions(session, state="new", offset=1).items] == [
            old.id
        ]
        assert queue.list_questions(session, language="el").total == 1
        assert queue.list_questions(session, reason="flagged").total == 1
        with pytest.raises(InvalidQuestionInput):
            queue.list_questions(session, reason="bored")


class TestApplyToArticle:
    def test_questions_become_live_examples_and_leave_the_competing_article(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        pause = live_article(
            session, "pause-plan", "Pause your plan", ["pause my subscription"], index
        )
        cancel = live_article(
            session, "cancel-plan", "Cancel your plan",
            ["how do I cancel", "How do I pause my plan?"], index,
        )  # fmt: skip
        asked = [
            ask(session, "how do I  PAUSE my plan?"),
            ask(session, "can I freeze my membership over the summer", state=ReviewState.IN_REVIEW),
        ]
        applied = queue.apply_to_article(
            session, [q.id for q in asked], pause, language="en", agent=editor, index=index
        )
        assert examples(session, pause) == [
            "pause my subscription",
            "how do I PAUSE my plan?",
            "can I freeze my membership over the summer",
        ]
        assert (applied.version, applied.published) == (2, True)
        assert examples(session, cancel) == ["how do I cancel"]  # case and spaces aside
        [removal] = applied.removed
        assert (removal.article_id, removal.questions, removal.published) == (
            cancel, ("How do I pause my plan?",), True
        )  # fmt: skip
        for q in asked:
            assert (q.state, q.applied_article_id, q.reviewed_by) == ("applied", pause, editor.id)
        versions = kb_service.list_versions(session, pause, "en")
        assert versions[-1].version.author_id == editor.id

        session.commit()  # the index hears of both edits after the commit
        best = index.search("can I freeze my membership over the summer", language="en").best
        assert best is not None and best.article_id == pause

    def test_unpublished_edits_are_not_pushed_live(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        article = live_article(session, "pause-plan", "Pause your plan", ["pause it"], index)
        kb_service.update_translation(
            session, article, "en", expected_version=1, title="Pause your plan (draft)",
            answer="Work in progress.", questions=["pause it"], author="other@example.test",
        )  # fmt: skip
        q = ask(session, "hold my plan for a month")
        applied = queue.apply_to_article(
            session, [q.id], article, language="en", agent=editor, index=index
        )
        translation = kb_service.get_translation(session, article, "en").translation
        assert (applied.version, applied.published) == (3, False)
        assert (translation.version, translation.published_version) == (3, 1)
        assert examples(session, article) == ["pause it", "hold my plan for a month"]

    def test_an_applied_question_cannot_be_applied_again(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        article = live_article(session, "pause-plan", "Pause your plan", ["pause it"], index)
        q = ask(session, "hold my plan for a month")
        queue.apply_to_article(session, [q.id], article, language="en", agent=editor, index=index)
        with pytest.raises(InvalidReviewTransition):
            queue.apply_to_article(
                session, [q.id], article, language="en", agent=editor, index=index
            )

    def test_markup_in_a_question_is_refused_by_the_kb_rules(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        article = live_article(session, "pause-plan", "Pause your plan", ["pause it"], index)
        q = ask(session, "pause <img src=x onerror=alert(1)> my plan")
        with pytest.raises(InvalidArticle):
            queue.apply_to_article(
                session, [q.id], article, language="en", agent=editor, index=index
            )


class TestDraftFromQuestions:
    def test_a_draft_article_holds_the_questions(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        asked = [ask(session, "do you sell gift cards?"), ask(session, "gift voucher for my mum")]
        drafted = queue.draft_from_questions(
            session, [q.id for q in asked], key="gift-cards", title="Gift cards",
            answer="We sell gift cards in the shop.", language="en", category="billing",
            agent=editor, index=index,
        )  # fmt: skip
        article = drafted.article.article
        [translation] = drafted.article.translations
        assert (article.key, article.category) == ("gift-cards", "billing")
        assert translation.translation.status == "draft"
        assert list(translation.current.questions) == [q.query for q in asked]
        assert {(q.state, q.applied_article_id) for q in asked} == {("applied", article.id)}
        session.commit()
        assert not index.search("do you sell gift cards?", language="en").hits  # not live

    def test_a_taken_key_is_a_conflict_and_the_questions_stay_open(
        self, session: Session, editor: Agent, index: KbIndex
    ) -> None:
        live_article(session, "gift-cards", "Gift cards", ["gift card"], index)
        q = ask(session, "do you sell gift cards?")
        with pytest.raises(ArticleKeyTaken):
            queue.draft_from_questions(
                session, [q.id], key="gift-cards", title="Gift cards", answer="Yes.",
                language="en", category=None, agent=editor,
            )  # fmt: skip
        assert q.state == "new"


class TestRetention:
    def test_reviewed_questions_go_after_the_period_and_every_one_after_twice_that(
        self, session: Session
    ) -> None:
        def days_ago(n: int) -> datetime:
            return NOW - timedelta(days=n)

        kept = [
            ask(session, "recent applied", state=ReviewState.APPLIED, created_at=days_ago(100)),
            ask(session, "old but open", state=ReviewState.NEW, created_at=days_ago(200)),
        ]
        ask(session, "old applied", state=ReviewState.APPLIED, created_at=days_ago(181))
        ask(session, "old discarded", state=ReviewState.DISCARDED, created_at=days_ago(300))
        ask(session, "forgotten", state=ReviewState.NEW, created_at=days_ago(361))
        ask(session, "stuck", state=ReviewState.IN_REVIEW, created_at=days_ago(400))

        keep_days = Settings.model_fields["unanswered_retention_days"].default
        assert keep_days == 180
        purged = queue.purge(session, now=NOW, keep_days=keep_days)
        assert purged == Purged(reviewed=2, expired=2)
        left = session.scalars(select(UnansweredQuestion.id)).all()
        assert sorted(left) == sorted(q.id for q in kept)
