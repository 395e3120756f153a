"""The open questions of a period grouped by what they ask, whatever the language: one group is
one thing the KB should answer, with how often and how recently it was asked, examples per
language, the closest article and whether the KB already has the answer (``example_gap``: the
article exists, it lacks these phrasings as example questions) or not (``missing_content``).

Vectors are the KB's own multilingual e5 embeddings (``KbIndex.embedder``), centred per
language: raw e5 vectors sit closer to other questions in the same language than to the same
question in another one. Subtracting each language's centroid removes most of that. The
centroid is the mean of the period's questions in that language pooled with the built-in
off-topic sentences of the language (weight ``CENTRE_PRIOR``), so a language with one
question, or with questions all on one topic, is not centred onto nothing. Then
average-linkage agglomerative clustering cuts at cosine distance ``DENSE_THRESHOLD``.
Without dense search: character 3-5-gram TF-IDF (same language only), cut at
``SPARSE_THRESHOLD``.

Validation (``bench/data/crosslingual_valid.json``: 431 BANKING77-train / CLINC150-val rows in
English, Serbian, Greek and Russian; truth = the intent, each out-of-scope row its own; B-cubed
F1): raw e5 at its best 0.47 with 14 % of rows' four languages kept together; centred, at
0.60: 0.73 with 70 % together on all 1,724 texts at once, 0.93 on queue-sized samples (15-120
rows, languages thinned 35-90 %); 0.76 on 600 English BANKING77-train rows (best 0.77).

Label. The closest article is the one with the highest mean calibrated confidence (the
index's probability that it is the right article) over up to ``SEARCHED`` of the cluster's
questions; ``example_gap`` when that mean is at least ``GAP_CONFIDENCE`` (0.5: more likely
than not). Validation, leaving each of the 29 demo articles out of the KB in turn, with the
validation paraphrases (``tests/data/kb_paraphrases_valid*.yaml``, 5 languages) as clusters:
all of an article's paraphrases score 0.42-0.99 with it (28 of 29 at 0.5 or more), its
paraphrases the bot did not answer 0.27-0.68 (9 of 17 at 0.5 or more and on the right
article, the best Youden J of any cut: 0.25 vs 0.26 at 0.55), and with the article left out
the closest other article scores 0.11-0.74 (8 of 29 at 0.5 or more: neighbours such as
"login problems" for a missing "password reset"). So the label is a strong hint, not a
verdict: the console shows the closest article and its confidence beside it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from insight.content.questions import OPEN_STATES, question_key
from insight.models import UnansweredQuestion
from kb import text as tx
from kb.models import FALLBACK_LANGUAGE

if TYPE_CHECKING:
    from kb.search import KbIndex
    from kb.search.dense import Embedder

#: Cosine distance at which two groups stop merging (average linkage, centred e5 vectors).
DENSE_THRESHOLD: Final = 0.60
#: The same for the character n-gram fallback (validation: BANKING77-train samples 0.75 B-cubed
#: F1 at 0.65-0.70 vs 0.70 all apart; 0.70 also best for the mixed-language samples).
SPARSE_THRESHOLD: Final = 0.70
#: How many questions' worth of weight the off-topic centroid of a language gets.
CENTRE_PRIOR: Final = 15
#: Mean calibrated confidence of the closest article over the cluster's searched questions
#: from which the KB "has the answer": more likely than not (module docstring, "Label").
GAP_CONFIDENCE: Final = 0.5
#: Questions of a cluster searched in the KB to find its closest article (nearest its centre).
SEARCHED: Final = 5
EXAMPLES_PER_LANGUAGE: Final = 3
#: The newest open questions of a period that are clustered (pairwise distances: n²).
MAX_QUESTIONS: Final = 2000
TREND_DAYS: Final = 7

Label = Literal["example_gap", "missing_content"]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ClosestArticle:
    article_id: int
    title: str
    #: Mean calibrated confidence over the searched questions (0 where it was not a hit).
    confidence: float
    #: Share of the searched questions on which it ranked first.
    top_share: float


@dataclass(frozen=True)
class Cluster:
    question_ids: tuple[int, ...]
    count: int
    #: Asked in the last 7 days of the period and in the 7 before (the trend).
    last_7_days: int
    previous_7_days: int
    #: Per day of the period, oldest first.
    daily: tuple[int, ...]
    languages: dict[str, int]
    #: The questions per language (applying adds each language's to that translation).
    ids_by_language: dict[str, tuple[int, ...]]
    #: A few distinct questions per language, newest first.
    examples: dict[str, tuple[str, ...]]
    first_asked: datetime
    last_asked: datetime
    closest: ClosestArticle | None
    label: Label


def open_questions(
    session: Session, *, start: datetime, end: datetime, limit: int = MAX_QUESTIONS
) -> list[UnansweredQuestion]:
    """Open (new or in review) questions asked in ``[start, end)``, newest first."""
    return list(
        session.scalars(
            select(UnansweredQuestion)
            .where(
                UnansweredQuestion.state.in_([s.value for s in OPEN_STATES]),
                UnansweredQuestion.created_at >= start,
                UnansweredQuestion.created_at < end,
            )
            .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
            .limit(limit)
        ).all()
    )


def language_of(question: UnansweredQuestion) -> str:
    return question.language or tx.detect_language(question.query) or "en"


def _dense_text(text: str, language: str) -> str:
    """As the index embeds it: Serbian in Latin script, so both scripts meet."""
    return tx.to_serbian_latin(text) if language == "sr" else text


def _reference_centroids(embedder: Embedder) -> dict[str, FloatArray]:
    """Per language, the mean e5 vector of the built-in off-topic sentences (the index embeds
    them when it calibrates, so they come from its cache)."""
    from kb.search.calibration import off_topic_examples

    pairs = off_topic_examples()
    vectors = embedder.embed([_dense_text(t, lang) for t, lang in pairs], "query")
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, (_, lang) in enumerate(pairs):
        by_lang[lang].append(i)
    return {lang: vectors[rows].mean(axis=0) for lang, rows in by_lang.items()}


def centred(
    vectors: FloatArray,
    languages: Sequence[str],
    reference: dict[str, FloatArray],
    *,
    prior: int = CENTRE_PRIOR,
) -> FloatArray:
    """Each vector minus its language's pooled centroid, re-normalised (module docstring)."""
    out = np.array(vectors, dtype=np.float32, copy=True)
    langs = np.asarray(languages)
    for lang in set(languages):
        rows = langs == lang
        ref = reference.get(lang)
        if ref is None:
            centre = out[rows].mean(axis=0)
        else:
            centre = (out[rows].sum(axis=0) + prior * ref) / (rows.sum() + prior)
        out[rows] -= centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    result: FloatArray = (out / np.maximum(norms, 1e-9)).astype(np.float32)
    return result


def dense_vectors(embedder: Embedder, texts: Sequence[str], languages: Sequence[str]) -> FloatArray:
    """Centred e5 vectors of the questions. Like live customer queries they are kept in memory
    only (``persist=False``; a question asked lately is there already): customers' words must
    not outlive the queue's retention in the disk cache."""
    prepared = [_dense_text(t, lang) for t, lang in zip(texts, languages, strict=True)]
    raw = embedder.embed(prepared, "query", persist=False)
    return centred(raw, languages, _reference_centroids(embedder))


def group(distances: npt.NDArray[np.float64], threshold: float) -> npt.NDArray[np.int64]:
    """Cluster labels from a square distance matrix (average linkage, cut at ``threshold``)."""
    n = distances.shape[0]
    if n < 2:
        return np.zeros(n, np.int64)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return np.asarray(model.fit_predict(distances), np.int64)


def _distances(
    texts: Sequence[str], languages: Sequence[str], index: KbIndex | None
) -> tuple[npt.NDArray[np.float64], FloatArray | None, float]:
    """Pairwise cosine distances, the dense vectors when used, and the cut to apply."""
    from sklearn.metrics.pairwise import cosine_distances

    embedder = index.embedder if index is not None else None
    if embedder is not None:
        vectors = dense_vectors(embedder, texts, languages)
        dist = np.clip(1.0 - vectors.astype(np.float64) @ vectors.T.astype(np.float64), 0, 2)
        return dist, vectors, DENSE_THRESHOLD
    from sklearn.feature_extraction.text import TfidfVectorizer

    sparse = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    x = sparse.fit_transform([tx.to_serbian_latin(t).casefold() for t in texts])
    return np.asarray(cosine_distances(x), np.float64), None, SPARSE_THRESHOLD


def closest_article(index: KbIndex, questions: Sequence[tuple[str, str]]) -> ClosestArticle | None:
    """The article the KB search puts first for these (text, language) questions taken
    together: the highest mean confidence over them."""
    total: defaultdict[int, float] = defaultdict(float)
    first: Counter[int] = Counter()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for text, language in questions:
        result = index.search(text, language=language, limit=3)
        for rank, hit in enumerate(result.hits):
            total[hit.article_id] += hit.confidence
            titles[hit.article_id].setdefault(hit.language, hit.title)
            first[hit.article_id] += rank == 0
    if not total or not questions:
        return None
    best, score = max(total.items(), key=lambda kv: (kv[1], first[kv[0]]))
    n = len(questions)
    shown = titles[best]  # one language for every cluster's title: English when it has one
    title = shown.get(FALLBACK_LANGUAGE) or next(iter(shown.values()))
    return ClosestArticle(best, title, score / n, first[best] / n)


def _representatives(
    members: Sequence[int], texts: Sequence[str], vectors: FloatArray | None
) -> list[int]:
    """Up to ``SEARCHED`` distinct questions, those nearest the cluster's centre first."""
    order = list(members)
    if vectors is not None and len(order) > 1:
        centre = vectors[order].mean(axis=0)
        order.sort(key=lambda i: -float(vectors[i] @ centre))
    seen: set[str] = set()
    picked: list[int] = []
    for i in order:
        key = question_key(texts[i])
        if key not in seen:
            seen.add(key)
            picked.append(i)
        if len(picked) == SEARCHED:
            break
    return picked


def _daily(times: Sequence[datetime], start: datetime, end: datetime) -> tuple[int, ...]:
    days = max(1, -(-int((end - start).total_seconds()) // 86400))
    counts = [0] * days
    for t in times:
        counts[min(days - 1, int((t - start).total_seconds() // 86400))] += 1
    return tuple(counts)


def _ids_by_language(
    questions: Sequence[UnansweredQuestion], langs: Sequence[str]
) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = defaultdict(list)
    for q, lang in zip(questions, langs, strict=True):
        out[lang].append(q.id)
    return {lang: tuple(ids) for lang, ids in out.items()}


def _examples(
    questions: Sequence[UnansweredQuestion], langs: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for q, lang in zip(questions, langs, strict=True):  # newest first
        key = question_key(q.query)
        if key in seen or len(out[lang]) >= EXAMPLES_PER_LANGUAGE:
            continue
        seen.add(key)
        out[lang].append(q.query)
    return {lang: tuple(texts) for lang, texts in sorted(out.items())}


def cluster_questions(
    session: Session,
    *,
    index: KbIndex | None,
    start: datetime,
    end: datetime,
    limit: int = 50,
    threshold: float | None = None,
) -> list[Cluster]:
    """The open questions asked in ``[start, end)`` in groups, largest first (the ``limit``
    largest; only those are searched in the KB)."""
    questions = open_questions(session, start=start, end=end)
    if not questions:
        return []
    texts = [q.query for q in questions]
    langs = [language_of(q) for q in questions]
    dist, vectors, cut = _distances(texts, langs, index)
    labels = group(dist, cut if threshold is None else threshold)
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        members[int(label)].append(i)  # newest first, as loaded
    ranked = sorted(
        members.values(), key=lambda m: (-len(m), -questions[m[0]].created_at.timestamp())
    )
    recent_from = end - timedelta(days=TREND_DAYS)
    previous_from = recent_from - timedelta(days=TREND_DAYS)
    clusters: list[Cluster] = []
    for m in ranked[: max(1, limit)]:
        rows = [questions[i] for i in m]
        times = [q.created_at for q in rows]
        closest = None
        if index is not None and index.ready:
            picks = _representatives(m, texts, vectors)
            closest = closest_article(index, [(texts[i], langs[i]) for i in picks])
        gap = closest is not None and closest.confidence >= GAP_CONFIDENCE
        clusters.append(
            Cluster(
                question_ids=tuple(q.id for q in rows),
                count=len(rows),
                last_7_days=sum(t >= recent_from for t in times),
                previous_7_days=sum(previous_from <= t < recent_from for t in times),
                daily=_daily(times, start, end),
                languages=dict(Counter(langs[i] for i in m).most_common()),
                ids_by_language=_ids_by_language(rows, [langs[i] for i in m]),
                examples=_examples(rows, [langs[i] for i in m]),
                first_asked=min(times),
                last_asked=max(times),
                closest=closest,
                label="example_gap" if gap else "missing_content",
            )
        )
    return clusters
