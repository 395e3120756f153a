"""KB editing rules on a real database with the real search index."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff.models import Conversation, Customer
from kb import editing, service
from kb.errors import (
    ArticleKeyTaken,
    ArticleNotFound,
    ArticleVersionNotFound,
    InvalidArticle,
    TranslationExists,
    TranslationNotFound,
    UnsafeContent,
    VersionConflict,
)
from kb.models import (
    MAX_ANSWER_CHARS,
    MAX_QUERY_CHARS,
    MAX_QUESTIONS,
    MAX_TITLE_CHARS,
    AnswerEvent,
)
from kb.render import render_html
from kb.search import KbIndex
from kb.service import Content
from tierzero.db import unit_of_work

EDITOR = "editor@example.com"
OTHER = "other@example.com"

RESET = Content(
    title="Reset your password",
    answer="Open **Settings → Security** and choose *Reset password*.",
    questions=(
        "How do I reset my password?",
        "I forgot my password",
        "Can't log in, need a new password",
        "change password",
    ),
)
REFUND = Content(
    title="Get a refund",
    answer="Refunds go back to the card you paid with within 5 days.",
    questions=(
        "How do I get my money back?",
        "I want a refund",
        "refund for my last invoice",
        "return a payment",
    ),
)
RESET_EL = Content(
    title="Επαναφορά κωδικού πρόσβασης",
    answer="Ανοίξτε **Ρυθμίσεις → Ασφάλεια** και επιλέξτε *Επαναφορά κωδικού*.",
    questions=("Πώς αλλάζω τον κωδικό μου;", "Ξέχασα τον κωδικό πρόσβασης"),
)


def fields(content: Content) -> dict[str, Any]:
    return {"title": content.title, "answer": content.answer, "questions": content.questions}


def make_article(
    session: Session,
    key: str = "password-reset",
    *,
    content: Content = RESET,
    language: str = "en",
    category: str | None = "account",
    tags: tuple[str, ...] = ("password",),
    publish: bool = False,
    index: KbIndex | None = None,
) -> int:
    view = service.create_article(
        session,
        key=key,
        language=language,
        **fields(content),
        category=category,
        tags=tags,
        author=EDITOR,
    )
    article_id = view.article.id
    if publish:
        service.publish(session, article_id, language, author=EDITOR, index=index)
    return article_id


def edit(
    session: Session,
    article_id: int,
    *,
    expected_version: int,
    answer: str,
    author: str = EDITOR,
    language: str = "en",
) -> service.TranslationView:
    return service.update_translation(
        session,
        article_id,
        language,
        expected_version=expected_version,
        title=RESET.title if language == "en" else RESET_EL.title,
        answer=answer,
        questions=RESET.questions,
        author=author,
    )


def found(index: KbIndex, text: str, language: str = "en") -> set[int]:
    return {hit.article_id for hit in index.search(text, language=language, limit=5).hits}


class TestPlainText:
    """Titles, questions, tags, categories and notes are plain text: markup is refused on the way
    in (answers are Markdown and sanitised when rendered)."""

    @pytest.mark.parametrize(
        "field,value",
        [("title", '<img src=x onerror="alert(1)"> Reset'), ("questions", ["how <b>do</b> I"]),
         ("tags", ["<script>x</script>"]), ("category", "acc<!-- x -->ount")],
    )  # fmt: skip
    def test_markup_is_refused_with_the_reason(
        self, session: Session, field: str, value: object
    ) -> None:
        body: dict[str, Any] = {**fields(RESET), "category": "account", "tags": ["password"]}
        body[field] = value
        with pytest.raises(InvalidArticle, match="plain text"):
            service.create_article(session, key="hostile", language="en", author=EDITOR, **body)

    def test_a_note_with_markup_is_refused_and_comparisons_are_fine(self, session: Session) -> None:
        article_id = make_article(session)
        changed = {**fields(RESET), "answer": "A new answer."}
        with pytest.raises(InvalidArticle, match="plain text"):
            service.update_translation(session, article_id, "en", expected_version=1,
                                       **changed, author=EDITOR, note="<i>fix</i>")  # fmt: skip
        saved = service.update_translation(
            session, article_id, "en", expected_version=1, author=EDITOR,
            title="Plans under 5 € (< 10 €) and > 3 €", answer=RESET.answer,
            questions=["is 3 < 5?", "a <- b", "<3 the app"],
        )  # fmt: skip
        assert saved.current.title == "Plans under 5 € (< 10 €) and > 3 €"


class TestCreateArticle:
    def test_new_article_is_a_draft_at_version_1(self, session: Session) -> None:
        article_id = make_article(session)
        view = service.get_article(session, article_id)
        [translation] = view.translations
        assert translation.translation.status == "draft"
        assert translation.translation.version == 1
        assert translation.translation.published_version is None
        assert translation.current.author == EDITOR
        assert translation.current.questions == list(RESET.questions)
        assert view.article.category == "account"

    def test_duplicate_key_is_refused(self, session: Session) -> None:
        make_article(session)
        with pytest.raises(ArticleKeyTaken):
            make_article(session)

    def test_key_must_be_a_slug(self, session: Session) -> None:
        with pytest.raises(InvalidArticle):
            make_article(session, key="Password Reset!")

    def test_unknown_language_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidArticle, match="unsupported language"):
            make_article(session, language="xx")

    def test_second_translation_links_to_the_same_article(self, session: Session) -> None:
        article_id = make_article(session)
        service.create_translation(session, article_id, "el", author=EDITOR, **fields(RESET_EL))
        languages = [
            t.translation.language for t in service.get_article(session, article_id).translations
        ]
        assert languages == ["el", "en"]
        with pytest.raises(TranslationExists):
            service.create_translation(session, article_id, "el", author=EDITOR, **fields(RESET_EL))

    def test_missing_article_is_404(self, session: Session) -> None:
        with pytest.raises(ArticleNotFound):
            service.get_article(session, 999_999)
        article_id = make_article(session)
        with pytest.raises(TranslationNotFound):
            service.publish(session, article_id, "ru", author=EDITOR)


class TestContentRules:
    @pytest.mark.parametrize(
        "answer",
        [
            "Click <script>alert(1)</script> here",
            '<iframe src="https://evil.example"></iframe>',
            '<img src="x" onerror="alert(1)">',
            "[open](javascript:alert(1))",
            '<a href="jav&#x09;ascript:alert(1)">x</a>',
        ],
    )
    def test_unsafe_html_is_refused(self, session: Session, answer: str) -> None:
        with pytest.raises(UnsafeContent):
            make_article(session, content=replace(RESET, answer=answer))

    def test_html_inside_code_is_only_text(self, session: Session) -> None:
        answer = 'Paste `<script src="widget.js"></script>` into your page.'
        article_id = make_article(session, content=replace(RESET, answer=answer))
        html = render_html(service.get_article(session, article_id).translations[0].current.answer)
        assert "<script" not in html
        assert "&lt;script" in html

    def test_render_drops_what_the_allowlist_does_not_know(self) -> None:
        html = render_html('**ok** <span style="x" onclick="y">t</span> [a](https://x.test "t")')
        assert "<strong>ok</strong>" in html
        assert "onclick" not in html and "style" not in html
        assert 'rel="noopener noreferrer nofollow"' in html

    def test_limits(self, session: Session) -> None:
        with pytest.raises(InvalidArticle, match="title is longer"):
            make_article(session, content=replace(RESET, title="t" * (MAX_TITLE_CHARS + 1)))
        with pytest.raises(InvalidArticle, match="answer is longer"):
            make_article(session, content=replace(RESET, answer="a" * (MAX_ANSWER_CHARS + 1)))
        many = [f"question number {i}" for i in range(MAX_QUESTIONS + 1)]
        with pytest.raises(InvalidArticle, match="example questions"):
            make_article(session, content=replace(RESET, questions=tuple(many)))
        with pytest.raises(InvalidArticle, match="title is missing"):
            make_article(session, content=replace(RESET, title="  "))
        with pytest.raises(InvalidArticle, match="answer is missing"):
            make_article(session, content=replace(RESET, answer=""))

    def test_questions_are_trimmed_and_deduplicated(self, session: Session) -> None:
        questions = ["  How do I reset?  ", "how do i reset?", "", "Forgot password"]
        article_id = make_article(session, content=replace(RESET, questions=tuple(questions)))
        current = service.get_article(session, article_id).translations[0].current
        assert current.questions == ["How do I reset?", "Forgot password"]


class TestVersions:
    def test_each_edit_is_a_new_version_with_its_author(self, session: Session) -> None:
        article_id = make_article(session)
        edit(session, article_id, expected_version=1, answer="Second text.", author=OTHER)
        edit(session, article_id, expected_version=2, answer="Third text.")
        versions = service.list_versions(session, article_id, "en")
        assert [v.version.number for v in versions] == [1, 2, 3]
        assert [v.version.author for v in versions] == [EDITOR, OTHER, EDITOR]
        assert versions[0].diff == ""
        assert "-Second text." in versions[2].diff and "+Third text." in versions[2].diff
        assert versions[2].diff.startswith("--- version 2\n+++ version 3")

    def test_saving_identical_content_creates_no_version(self, session: Session) -> None:
        article_id = make_article(session)
        view = edit(session, article_id, expected_version=1, answer=str(RESET.answer))
        assert view.translation.version == 1
        assert len(service.list_versions(session, article_id, "en")) == 1

    def test_diff_between_any_two_versions(self, session: Session) -> None:
        article_id = make_article(session)
        edit(session, article_id, expected_version=1, answer="Second text.")
        diff = service.diff_versions(session, article_id, "en", from_version=1, to_version=2)
        assert "+Second text." in diff
        with pytest.raises(ArticleVersionNotFound):
            service.diff_versions(session, article_id, "en", from_version=1, to_version=9)

    def test_editing_a_published_article_keeps_the_live_version(
        self, session: Session, index: KbIndex
    ) -> None:
        article_id = make_article(session, publish=True, index=index)
        view = edit(session, article_id, expected_version=1, answer="Unreviewed draft text.")
        assert view.translation.status == "published"
        assert view.translation.published_version == 1
        assert view.translation.has_unpublished_changes
        public = service.public_article(session, "password-reset", "en")
        assert public.version == 1 and "Settings" in public.html

    def test_rollback_publishes_a_copy_of_an_old_version(
        self, session: Session, index: KbIndex
    ) -> None:
        article_id = make_article(session, publish=True, index=index)
        edit(session, article_id, expected_version=1, answer="A wrong answer.")
        service.publish(session, article_id, "en", author=EDITOR, index=index)
        view = service.rollback(session, article_id, "en", to_version=1, author=OTHER, index=index)
        session.commit()
        assert view.translation.version == 3
        assert view.translation.published_version == 3
        assert view.current.answer == RESET.answer
        assert view.current.note == "rollback to version 1"
        assert view.current.author == OTHER
        [hit] = [h for h in index.search("reset my password", language="en").hits][:1]
        assert hit.version == 3 and hit.answer == RESET.answer
        with pytest.raises(ArticleVersionNotFound):
            service.rollback(session, article_id, "en", to_version=42, author=EDITOR)


class TestOptimisticConcurrency:
    def test_stale_expected_version_is_409_and_nothing_is_lost(
        self, fresh_factory: sessionmaker[Session]
    ) -> None:
        with fresh_factory() as setup:
            article_id = make_article(setup)
            setup.commit()
        # Both editors open version 1 (each a request of its own) ...
        for _ in range(2):
            with fresh_factory() as reader:
                assert service.get_translation(reader, article_id, "en").translation.version == 1
        # ... the first saves; the second saves on top of version 1 as well.
        with fresh_factory() as first:
            edit(first, article_id, expected_version=1, answer="First editor's text.")
            first.commit()
        with fresh_factory() as second, pytest.raises(VersionConflict) as conflict:
            edit(second, article_id, expected_version=1, answer="Second editor's text.")
        assert conflict.value.current_version == 2
        assert conflict.value.data == {"current_version": 2}
        assert "current version is 2" in conflict.value.message
        with fresh_factory() as check:
            versions = service.list_versions(check, article_id, "en")
            assert [v.version.answer for v in versions] == [RESET.answer, "First editor's text."]

    def test_concurrent_writers_exactly_one_wins(
        self, fresh_factory: sessionmaker[Session]
    ) -> None:
        with fresh_factory() as setup:
            article_id = make_article(setup)
            setup.commit()
        barrier = threading.Barrier(4)
        outcomes: list[str] = []

        def write(n: int) -> None:
            barrier.wait()
            try:
                with fresh_factory() as s:
                    edit(s, article_id, expected_version=1, answer=f"Text from writer {n}.")
                    s.commit()
                outcomes.append("saved")
            except VersionConflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
        with fresh_factory() as check:
            versions = service.list_versions(check, article_id, "en")
            assert [v.version.number for v in versions] == [1, 2]
            assert versions[1].version.answer.startswith("Text from writer ")

    def test_guarded_update_turns_a_lost_race_into_409(
        self, fresh_factory: sessionmaker[Session]
    ) -> None:
        """The UPDATE … WHERE version guard itself: a writer that read before the other saved."""
        with fresh_factory() as setup:
            article_id = make_article(setup)
            setup.commit()
        with fresh_factory() as slow:
            translation = service.get_translation(slow, article_id, "en").translation
            slow.commit()  # keeps the loaded state (expire_on_commit=False): version 1
            with fresh_factory() as fast:
                edit(fast, article_id, expected_version=1, answer="Fast text.")
                fast.commit()
            with pytest.raises(VersionConflict) as conflict:  # noqa: SIM117
                with editing._versioned_write(slow, translation):
                    translation.version = 2
                    translation.title = "Lost update"
            assert conflict.value.current_version == 2
            slow.rollback()
        with fresh_factory() as check:
            assert service.get_translation(check, article_id, "en").translation.title == RESET.title

    def test_creating_an_existing_translation_with_put_is_409(self, session: Session) -> None:
        article_id = make_article(session)
        with pytest.raises(VersionConflict):
            service.save_translation(
                session,
                article_id,
                "en",
                expected_version=0,
                author=EDITOR,
                **fields(RESET),
            )

    def test_publish_with_a_stale_version_is_409(self, session: Session) -> None:
        article_id = make_article(session)
        edit(session, article_id, expected_version=1, answer="Newer text.")
        with pytest.raises(VersionConflict):
            service.publish(session, article_id, "en", author=EDITOR, expected_version=1)


class TestLiveIndex:
    def test_publish_is_searchable_right_after_commit(
        self, session: Session, index: KbIndex
    ) -> None:
        make_article(session, "refund", content=REFUND, publish=True, index=index)
        article_id = make_article(session, publish=True, index=index)
        assert article_id not in found(index, "I forgot my password")  # not committed yet
        session.commit()
        result = index.search("I forgot my password", language="en")
        assert result.best is not None and result.best.article_id == article_id
        assert result.best.url == "/help/en/articles/password-reset"

    def test_archive_takes_it_off_the_index(self, session: Session, index: KbIndex) -> None:
        article_id = make_article(session, publish=True, index=index)
        session.commit()
        assert article_id in found(index, "I forgot my password")
        view = service.archive(session, article_id, "en", author=EDITOR, index=index)
        session.commit()
        assert view.translation.status == "archived"
        assert article_id not in found(index, "I forgot my password")
        with pytest.raises(ArticleNotFound):
            service.public_article(session, "password-reset", "en")

    def test_rolled_back_transaction_leaves_the_index_alone(
        self, factory: sessionmaker[Session], index: KbIndex
    ) -> None:
        with factory() as s:
            make_article(s, publish=True, index=index)
            s.rollback()
        assert len(index) == 0

    def test_rolled_back_savepoint_drops_only_its_own_changes(
        self, session: Session, index: KbIndex
    ) -> None:
        refund_id = make_article(session, "refund", content=REFUND, publish=True, index=index)
        nested = session.begin_nested()
        reset_id = make_article(session, publish=True, index=index)
        nested.rollback()
        session.commit()
        assert refund_id in found(index, "I want a refund")
        assert reset_id not in found(index, "I forgot my password")
        assert len(index) == 1

    def test_live_edit_replaces_the_indexed_text(self, session: Session, index: KbIndex) -> None:
        article_id = make_article(session, publish=True, index=index)
        session.commit()
        edit(session, article_id, expected_version=1, answer="Use the new recovery page.")
        session.commit()
        best = index.search("I forgot my password", language="en").best
        assert best is not None and best.version == 1  # the draft is not live
        service.publish(session, article_id, "en", author=EDITOR, index=index)
        session.commit()
        best = index.search("I forgot my password", language="en").best
        assert best is not None and best.version == 2
        assert best.answer == "Use the new recovery page."

    def test_load_index_holds_only_published_translations(
        self, session: Session, index: KbIndex
    ) -> None:
        article_id = make_article(session, publish=True)
        service.create_translation(session, article_id, "el", author=EDITOR, **fields(RESET_EL))
        make_article(session, "refund", content=REFUND)  # draft only
        assert service.load_index(session, index) == 1
        assert len(index) == 1
        assert service.count_articles(session) == 2


class TestListing:
    def test_filters(self, session: Session) -> None:
        reset_id = make_article(session, publish=True)
        service.create_translation(session, reset_id, "el", author=EDITOR, **fields(RESET_EL))
        refund_id = make_article(session, "refund", content=REFUND, category="billing")

        def ids(**filters: Any) -> list[int]:
            return sorted(a.id for a in service.list_articles(session, **filters).items)

        assert ids() == sorted([reset_id, refund_id])
        assert ids(status="published") == [reset_id]
        assert ids(status="draft") == sorted([reset_id, refund_id])  # reset's el is a draft
        assert ids(language="el") == [reset_id]
        assert ids(category="billing") == [refund_id]
        assert ids(text="MONEY back") == [refund_id]
        assert ids(text="ΞΈΧΑΣΑ") == [reset_id]  # Greek, case-insensitively, on SQLite too
        assert ids(text="100%_") == []
        page = service.list_articles(session, limit=1)
        assert page.total == 2 and len(page.items) == 1

    def test_unknown_status_filter_is_invalid(self, session: Session) -> None:
        with pytest.raises(InvalidArticle):
            service.list_articles(session, status="deleted")


class TestPublicArticle:
    def test_falls_back_to_english_explicitly(self, session: Session) -> None:
        make_article(session, publish=True)
        public = service.public_article(session, "password-reset", "ru")
        assert public.language == "en" and public.requested_language == "ru"
        assert public.fallback
        assert "<strong>Settings → Security</strong>" in public.html

    def test_serves_the_requested_language_when_published(self, session: Session) -> None:
        article_id = make_article(session, publish=True)
        service.create_translation(session, article_id, "el", author=EDITOR, **fields(RESET_EL))
        assert service.public_article(session, "password-reset", "el").language == "en"
        service.publish(session, article_id, "el", author=EDITOR)
        public = service.public_article(session, "password-reset", "el")
        assert public.language == "el" and not public.fallback

    def test_draft_is_not_public(self, session: Session) -> None:
        make_article(session)
        with pytest.raises(ArticleNotFound):
            service.public_article(session, "password-reset", "en")


class TestMetadata:
    def test_category_and_tags_reach_the_index(self, session: Session, index: KbIndex) -> None:
        article_id = make_article(session, publish=True, index=index)
        view = service.update_article(
            session, article_id, category="security", tags=["login", "login", " 2fa "], index=index
        )
        session.commit()
        assert view.article.category == "security"
        assert view.article.tags == ["login", "2fa"]
        [indexed] = service.indexed_articles(session)
        assert indexed.category == "security" and indexed.tags == ("login", "2fa")


def make_conversation(session: Session) -> int:
    customer = Customer()
    session.add(customer)
    session.flush()
    conversation = Conversation(customer_id=customer.id)
    session.add(conversation)
    session.flush()
    return conversation.id


class TestFeedbackStats:
    def test_shown_helpful_and_handoffs_are_counted(self, session: Session) -> None:
        article_id = make_article(session, publish=True)
        c1, c2, c3 = (make_conversation(session) for _ in range(3))
        for conversation_id, language in ((c1, "en"), (c2, "en"), (c3, "el")):
            service.record_answer_shown(
                session,
                article_id=article_id,
                language=language,
                query="forgot password",
                confidence=0.9,
                conversation_id=conversation_id,
            )
        common: dict[str, Any] = {
            "article_id": article_id,
            "query": "forgot password",
            "confidence": 0.9,
        }
        service.record_feedback(session, language="en", helpful=True, conversation_id=c1, **common)
        service.record_feedback(session, language="en", helpful=False, conversation_id=c2, **common)
        # The second customer changes their mind: one vote per conversation, the last counts.
        service.record_feedback(session, language="en", helpful=True, conversation_id=c2, **common)
        service.record_feedback(session, language="el", helpful=False, conversation_id=c3, **common)
        service.record_handoff_after(session, article_id=article_id, conversation_id=c3)
        service.record_handoff_after(session, article_id=article_id, conversation_id=c3)

        stats = service.article_stats(session, article_id)
        assert stats.total.shown == 3
        assert (stats.total.helpful, stats.total.not_helpful) == (2, 1)
        assert stats.total.helpful_rate == pytest.approx(2 / 3)
        assert stats.total.handoffs_after == 1
        assert stats.by_language["el"].handoffs_after == 1
        assert stats.by_language["en"].helpful_rate == 1.0

    def test_no_votes_means_no_rate(self, session: Session) -> None:
        article_id = make_article(session)
        stats = service.article_stats(session, article_id)
        assert stats.total.helpful_rate is None and stats.total.shown == 0

    def test_feedback_for_an_unknown_article_is_404(self, session: Session) -> None:
        with pytest.raises(ArticleNotFound):
            service.record_answer_shown(
                session, article_id=424242, language="en", query="x", confidence=None
            )

    def test_long_queries_are_cut(self, session: Session) -> None:
        article_id = make_article(session)
        service.record_answer_shown(
            session, article_id=article_id, language="en", query="x" * 5000, confidence=0.5
        )
        stored = session.scalar(select(AnswerEvent.query))
        assert stored is not None and len(stored) == MAX_QUERY_CHARS


class TestIndexSync:
    """Changes committed by another process (the CLI, another api worker) reach this index."""

    def test_poll_picks_up_other_writers(
        self, fresh_factory: sessionmaker[Session], index: KbIndex
    ) -> None:
        sync = service.IndexSync(index)
        with fresh_factory() as s:
            assert sync.poll(s) == 0  # first poll: full build of an empty KB
        with fresh_factory() as other:  # "another process": no index of ours involved
            article_id = make_article(other, publish=True)
            make_article(other, "refund", content=REFUND)  # a draft stays out
            other.commit()
        with fresh_factory() as s:
            assert sync.poll(s) == 1
            assert sync.poll(s) == 0  # nothing new
        assert article_id in found(index, "I forgot my password")

        with fresh_factory() as other:
            service.archive(other, article_id, "en", author=OTHER)
            other.commit()
        with fresh_factory() as s:
            assert sync.poll(s) == 1
        assert article_id not in found(index, "I forgot my password")

        with fresh_factory() as other:
            service.publish(other, article_id, "en", author=OTHER)
            service.update_article(other, article_id, category="security", tags=["login"])
            other.commit()
        with fresh_factory() as s:
            sync.poll(s)
        assert article_id in found(index, "I forgot my password")

    def test_a_poll_that_read_before_an_edit_cannot_undo_it(
        self, fresh_factory: sessionmaker[Session], index: KbIndex, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The once-a-second poll reads the old published copy, an editor publishes a new one in
        this process meanwhile: the index ends with the editor's copy, not the poll's."""
        sync = service.IndexSync(index)
        with fresh_factory() as s:
            article_id = make_article(s, publish=True)
            s.commit()
        with fresh_factory() as s:
            sync.poll(s)
            draft = edit(s, article_id, expected_version=1, answer="Use the new **Security** page.")
            s.commit()
        poll_holds_old_copy, go_on = threading.Event(), threading.Event()
        upsert = index.upsert

        def slow_upsert(article: Any) -> None:
            if article.answer == RESET.answer:  # the poll's copy, read before the publish
                poll_holds_old_copy.set()
                assert go_on.wait(10)
            upsert(article)

        monkeypatch.setattr(index, "upsert", slow_upsert)

        def poll() -> None:  # as the api polls: a read-only unit of work
            with unit_of_work(fresh_factory, read_only=True) as s:
                sync.poll(s)

        def publish() -> None:
            with fresh_factory() as s:
                service.publish(
                    s, article_id, "en", author=EDITOR, expected_version=draft.current.number,
                    index=index,
                )  # fmt: skip
                s.commit()

        poller = threading.Thread(target=poll)
        poller.start()
        assert poll_holds_old_copy.wait(10)
        editor = threading.Thread(target=publish)
        editor.start()
        for _ in range(200):  # until the publish is committed (its index update may wait)
            with fresh_factory() as s:
                if (
                    service.get_article(s, article_id).translations[0].translation.published_version
                    == 2
                ):
                    break
            threading.Event().wait(0.02)
        go_on.set()
        poller.join(10)
        editor.join(10)
        [hit] = index.search("I forgot my password", language="en", limit=1).hits
        assert hit.answer == "Use the new **Security** page."


class TestIndexSettings:
    """The api and the CLI build their index from the same settings."""

    def test_out_of_scope_share_comes_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from kb.search import EngineConfig
        from tierzero.settings import Settings

        monkeypatch.setenv("TIERZERO_KB_DENSE", "off")
        assert service.new_index(Settings()).cfg == EngineConfig()  # unset: engine default
        monkeypatch.setenv("TIERZERO_KB_OUT_OF_SCOPE_SHARE", "0.35")
        index = service.new_index(Settings())
        assert index.cfg.out_of_scope_share == 0.35 and not index.dense

    @pytest.mark.parametrize("value", ["1", "-0.1", "lots"])
    def test_impossible_share_is_refused_at_start(
        self, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        from pydantic import ValidationError

        from tierzero.settings import Settings

        monkeypatch.setenv("TIERZERO_KB_OUT_OF_SCOPE_SHARE", value)
        with pytest.raises(ValidationError, match="kb_out_of_scope_share"):
            Settings()
