"""The editors' queue of unanswered questions: list it, move a question through review
(new → in review → applied / discarded), apply questions to an article as example questions or
draft a new article from them, and forget old questions (they are customers' own words).

Every KB change goes through ``kb.service``, so it is a new version with the usual validation;
a translation that was live with nothing unpublished goes live again at once (example
questions are what the bot matches on, not text customers read), and the index hears of it
after the commit. A translation with unpublished edits keeps them unpublished: publishing it
would push someone's unfinished draft to customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import CursorResult, Delete, delete, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from insight.models import MissReason, ReviewState, UnansweredQuestion
from kb import repository as kb_repo
from kb import service as kb_service
from kb.models import ArticleTranslation
from kb.validation import clean_field
from kb.views import ArticleView
from tierzero.db import utcnow
from tierzero.errors import Conflict, InvalidInput, NotFound
from tierzero.languages import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from handoff.models import Agent
    from kb.search import KbIndex

OPEN_STATES = (ReviewState.NEW, ReviewState.IN_REVIEW)
#: What ``set_state`` may do; "applied" is reached only through ``apply_to_article`` or
#: ``draft_from_questions`` (from either open state), which record where it went.
TRANSITIONS: dict[ReviewState, frozenset[ReviewState]] = {
    ReviewState.NEW: frozenset({ReviewState.IN_REVIEW, ReviewState.DISCARDED}),
    ReviewState.IN_REVIEW: frozenset({ReviewState.NEW, ReviewState.DISCARDED}),
    ReviewState.APPLIED: frozenset(),
    ReviewState.DISCARDED: frozenset(),
}
MAX_PAGE = 200
#: Questions applied or drafted in one go (an editor's selection, a cluster).
MAX_BATCH = 200
NOTE = "example questions from the editors' queue"


class QuestionNotFound(NotFound):
    pass


class InvalidQuestionInput(InvalidInput):
    """An unknown state, reason or language, an empty or too large selection."""


class InvalidReviewTransition(Conflict):
    """The question is not in a state that allows this (e.g. it was applied meanwhile)."""


@dataclass(frozen=True)
class QuestionPage:
    items: Sequence[UnansweredQuestion]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Removal:
    """Questions taken off another article's translation (it would compete for them)."""

    article_id: int
    language: str
    questions: tuple[str, ...]
    version: int
    published: bool


@dataclass(frozen=True)
class Applied:
    article_id: int
    language: str
    #: The translation's version now, and whether it goes live with the commit.
    version: int
    published: bool
    #: The example questions that were new to it (the rest it had already).
    added: tuple[str, ...]
    removed: tuple[Removal, ...]
    questions: tuple[UnansweredQuestion, ...]


@dataclass(frozen=True)
class Drafted:
    article: ArticleView
    questions: tuple[UnansweredQuestion, ...]


@dataclass(frozen=True)
class Purged:
    #: Applied or discarded questions past the retention period.
    reviewed: int
    #: Questions of any state past the hard limit (never reviewed, or stuck in review).
    expired: int


E = TypeVar("E", bound=StrEnum)


def _member(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidQuestionInput(f"unknown {what} {value!r}: use one of {allowed}") from None


def question_key(text: str) -> str:
    """What makes two example questions the same: case, spacing and Unicode form aside."""
    return " ".join(clean_field(text).split()).casefold()


def list_questions(
    session: Session,
    *,
    state: str | None = None,
    reason: str | None = None,
    language: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QuestionPage:
    """The queue, newest first, filtered by review state, why it is there and language."""
    conditions = []
    if state is not None:
        conditions.append(UnansweredQuestion.state == _member(ReviewState, state, "state").value)
    if reason is not None:
        conditions.append(UnansweredQuestion.reason == _member(MissReason, reason, "reason").value)
    if language is not None:
        code = language.strip().lower()
        if code not in SUPPORTED_LANGUAGES:
            raise InvalidQuestionInput(
                f"unknown language {language!r}: use one of {', '.join(SUPPORTED_LANGUAGES)}"
            )
        conditions.append(UnansweredQuestion.language == code)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    total = session.scalar(select(func.count()).select_from(UnansweredQuestion).where(*conditions))
    items = session.scalars(
        select(UnansweredQuestion)
        .where(*conditions)
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return QuestionPage(items, int(total or 0), limit, offset)


def _locked(session: Session, question_ids: Iterable[int]) -> list[UnansweredQuestion]:
    """The questions, re-read and locked (PostgreSQL) so two editors cannot both move one;
    in the order given, each once."""
    ids = list(dict.fromkeys(int(i) for i in question_ids))
    if not ids:
        raise InvalidQuestionInput("no questions given")
    if len(ids) > MAX_BATCH:
        raise InvalidQuestionInput(f"at most {MAX_BATCH} questions at a time")
    rows = session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(ids))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {q.id: q for q in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise QuestionNotFound(f"question {missing[0]} not found")
    return [found[i] for i in ids]


def set_state(
    session: Session, question_id: int, state: ReviewState | str, *, agent_id: int
) -> UnansweredQuestion:
    """Move one question along its review; 409 when it is not in a state that allows it."""
    target = _member(ReviewState, str(state), "state")
    (question,) = _locked(session, [question_id])
    current = ReviewState(question.state)
    if current == target:
        return question
    if target not in TRANSITIONS[current]:
        hint = (
            " (apply it to an article or draft one from it)"
            if target == ReviewState.APPLIED and current in OPEN_STATES
            else ""
        )
        raise InvalidReviewTransition(
            f"a question {current.value} cannot become {target.value}{hint}"
        )
    question.state = target.value
    question.reviewed_by = agent_id
    question.updated_at = utcnow()
    session.flush()
    return question


def _open(questions: Sequence[UnansweredQuestion]) -> None:
    for question in questions:
        if question.state not in OPEN_STATES:
            raise InvalidReviewTransition(
                f"question {question.id} is {question.state} already; only new or in-review "
                "questions can be applied"
            )


def _mark_applied(questions: Sequence[UnansweredQuestion], article_id: int, agent_id: int) -> None:
    now = utcnow()
    for question in questions:
        question.state = ReviewState.APPLIED.value
        question.applied_article_id = article_id
        question.reviewed_by = agent_id
        question.updated_at = now


def _holders(session: Session, keys: set[str], *, other_than: int) -> Sequence[ArticleTranslation]:
    """Translations of other articles whose text mentions one of ``keys`` (``search_text`` is
    case-folded and holds the questions): the few to read in full."""
    if not keys:
        return []
    return session.scalars(
        select(ArticleTranslation)
        .join(ArticleTranslation.article)
        .options(contains_eager(ArticleTranslation.article))
        .where(
            ArticleTranslation.article_id != other_than,
            or_(
                *(
                    ArticleTranslation.search_text.like(kb_repo.contains_pattern(k), escape="\\")
                    for k in keys
                )
            ),
        )
        .order_by(ArticleTranslation.article_id, ArticleTranslation.language)
    ).all()


def _live_and_current(translation: ArticleTranslation) -> bool:
    return translation.status == "published" and not translation.has_unpublished_changes


def _save_questions(
    session: Session,
    translation: ArticleTranslation,
    questions: Sequence[str],
    *,
    agent: Agent,
    index: KbIndex | None,
    note: str,
) -> tuple[int, bool]:
    """A new version of ``translation`` with ``questions`` (same title and answer), live at
    once when the translation was live and current; returns (version, published)."""
    article_id, language = translation.article_id, translation.language
    go_live = _live_and_current(translation)
    current = kb_service.find_version(session, translation, translation.version)
    view = kb_service.update_translation(
        session,
        article_id,
        language,
        expected_version=translation.version,
        title=current.title,
        answer=current.answer,
        questions=questions,
        author=agent.email,
        author_id=agent.id,
        note=note,
    )
    if go_live:
        view = kb_service.publish(session, article_id, language, author=agent.email, index=index)
    return view.translation.version, _live_and_current(view.translation)


def _remove_elsewhere(
    session: Session, keys: set[str], *, article_id: int, agent: Agent, index: KbIndex | None
) -> list[Removal]:
    holders = _holders(session, keys, other_than=article_id)
    current = kb_repo.current_versions(session, holders)
    removals: list[Removal] = []
    for translation in holders:
        version = current.get(translation.id)
        if version is None:
            continue
        kept = [q for q in version.questions if question_key(q) not in keys]
        gone = tuple(q for q in version.questions if question_key(q) in keys)
        if not gone:
            continue  # the words were in its title or answer, not an example question
        number, published = _save_questions(
            session,
            translation,
            kept,
            agent=agent,
            index=index,
            note=f"example questions moved to article {article_id}",
        )
        removals.append(
            Removal(translation.article_id, translation.language, gone, number, published)
        )
    return removals


def apply_to_article(
    session: Session,
    question_ids: Iterable[int],
    article_id: int,
    *,
    language: str,
    agent: Agent,
    index: KbIndex | None,
) -> Applied:
    """Make the questions example questions of the article's ``language`` translation and take
    them off every other article (two articles with the same example question compete for
    it); the questions are marked applied to the article."""
    questions = _locked(session, question_ids)
    _open(questions)
    translation = kb_service.find_translation(session, article_id, language)
    current = kb_service.find_version(session, translation, translation.version)
    have = {question_key(q) for q in current.questions}
    texts = [" ".join(clean_field(q.query).split()) for q in questions]
    new: dict[str, str] = {}
    for text in texts:
        if text and question_key(text) not in have:
            new.setdefault(question_key(text), text)
    added = tuple(new.values())
    version, published = _save_questions(
        session,
        translation,
        [*current.questions, *added],
        agent=agent,
        index=index,
        note=NOTE,
    )
    keys = {question_key(t) for t in texts if t}
    removed = _remove_elsewhere(session, keys, article_id=article_id, agent=agent, index=index)
    _mark_applied(questions, article_id, agent.id)
    session.flush()
    return Applied(
        article_id=article_id,
        language=translation.language,
        version=version,
        published=published,
        added=added,
        removed=tuple(removed),
        questions=tuple(questions),
    )


def draft_from_questions(
    session: Session,
    question_ids: Iterable[int],
    *,
    key: str,
    title: str,
    answer: str,
    language: str,
    category: str | None,
    agent: Agent,
    index: KbIndex | None = None,
) -> Drafted:
    """A draft article whose example questions are the questions, which are marked applied to
    it. Other articles keep their copies of the questions until this one is reviewed: taking
    them off now would leave customers without any answer until the draft is published.
    ``index`` is not needed for a draft (drafts are not searched); it is accepted so callers
    treat both ways of applying alike."""
    del index
    questions = _locked(session, question_ids)
    _open(questions)
    view = kb_service.create_article(
        session,
        key=key,
        language=language,
        title=title,
        answer=answer,
        questions=[q.query for q in questions],
        category=category,
        author=agent.email,
        author_id=agent.id,
        note=NOTE,
    )
    _mark_applied(questions, view.article.id, agent.id)
    session.flush()
    return Drafted(view, tuple(questions))


def _deleted(session: Session, statement: Delete) -> int:
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)


def purge(
    session: Session, *, now: datetime, keep_days: int, hard_days: int | None = None
) -> Purged:
    """Retention of the customers' words: reviewed (applied/discarded) questions asked more
    than ``keep_days`` ago go, and any question older than ``hard_days`` (2 × ``keep_days``)
    whatever its state, so an unattended queue does not keep them for ever."""
    if keep_days < 1:
        raise InvalidQuestionInput("keep_days must be at least 1")
    hard = hard_days if hard_days is not None else 2 * keep_days
    if hard < keep_days:
        raise InvalidQuestionInput("hard_days must not be shorter than keep_days")
    expired = _deleted(
        session,
        delete(UnansweredQuestion).where(
            UnansweredQuestion.created_at < now - timedelta(days=hard)
        ),
    )
    reviewed = _deleted(
        session,
        delete(UnansweredQuestion).where(
            UnansweredQuestion.state.in_((ReviewState.APPLIED.value, ReviewState.DISCARDED.value)),
            UnansweredQuestion.created_at < now - timedelta(days=keep_days),
        ),
    )
    session.flush()
    return Purged(reviewed=reviewed, expired=expired)
