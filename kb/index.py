"""The KB search index: sparse word + character TF-IDF over example questions, optional dense
multilingual embeddings, calibrated confidence, abstention and "clarify".

Layout. Every article (all its translations) is one *group* of *slots* (translations), each
slot one or more *rows* (its title and example questions). Rows live in immutable *segments*:
one large segment from the last full build plus small segments added by live edits. An edit
builds a tiny segment and tombstones the article's old group, so the next search sees it at
once; searches read one immutable snapshot reference, so they never see half an edit.

Signals per article: best sparse cosine over its rows (nearest example), sparse cosine to its
centroid, and the same two with dense vectors. Features are hashed (no vocabulary), so words
first seen in a live edit are searchable immediately; IDF is fitted at full build and frozen
for edits.
"""

from __future__ import annotations

import gc
import itertools
import logging
import math
import random
import threading
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb import text as tx
from kb.calibration import Calibrator, off_topic_examples, tune_threshold
from kb.dense import DIM, Embedder, Kind, load_embedder

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

WORD_SPACE: Final = 1 << 20
N_FEATURES: Final = 2 * WORD_SPACE
_MASK: Final = WORD_SPACE - 1


# ---------------------------------------------------------------------------------------------
# Public data types (contract shared with kb/service.py and actions/)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexedArticle:
    """One published translation of one article."""

    article_id: int
    language: str
    title: str
    answer: str
    questions: tuple[str, ...]
    url: str
    version: int
    category: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    article_id: int
    language: str
    requested_language: str | None
    title: str
    answer: str
    url: str
    version: int
    score: float
    confidence: float


Decision = Literal["answer", "clarify", "abstain"]


@dataclass(frozen=True)
class SearchResult:
    query: str
    language: str | None
    hits: tuple[Hit, ...]
    decision: Decision

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class EngineConfig:
    """Hyper-parameters, chosen on validation splits (see docs/decisions.md, "KB engine")."""

    char_lo: int = 2
    char_hi: int = 5
    word_weight: float = 1.0
    char_weight: float = 1.0
    candidates: int = 10
    #: Least share of out-of-scope messages assumed in live traffic when the abstention
    #: threshold is tuned: held-out sets under-represent them (CLINC150 `oos_val` is 3 %, the
    #: built-in off-topic sentences 3-12 % of self-calibration). 0 = the held-out mix as it is.
    #: Validation: see docs/decisions.md ("Threshold and decisions").
    out_of_scope_share: float = 0.1
    #: "clarify" when the runner-up is at least this fraction as likely as the best article.
    clarify_ratio: float = 0.5
    #: Held-out example questions used to calibrate at build time (sampled above this).
    calibration_sample: int = 2000
    #: Above this many rows, dense vectors are one per translation instead of one per row.
    dense_row_limit: int = 30_000
    serbian_latin_dense: bool = True
    #: >0: the first this many characters of the answer are one more row of the article.
    answer_chars: int = 300
    #: Segments up to this many rows are scored exactly; larger ones in two stages (rare query
    #: features pick candidates, then candidates are scored exactly).
    exact_rows: int = 20_000
    #: Stage one reads at most this many postings (rarest query features first).
    postings_budget: int = 60_000
    stage_one_candidates: int = 60
    #: Small edit segments are merged into one when there are more than this many.
    max_segments: int = 8
    #: Supervised layer: a linear SVM over the example questions, for KBs up to this size.
    classifier: bool = True
    classifier_c: float = 1.0
    classifier_dense_weight: float = 3.0
    #: The SVM also sees the English-only MiniLM space (False: e5 only); validation
    #: paraphrases 96 vs 95 of 110 (docs/decisions.md).
    classifier_all_spaces: bool = True
    #: Score with the SVM's per-article intercepts. Off: an intercept only reflects how many
    #: example questions an article has, and makes well-stocked articles attract unrelated
    #: queries (validation: BANKING77 94.32 → 94.52 %, paraphrases 96 → 97 of 110).
    classifier_intercept: bool = False
    classifier_max_articles: int = 1000
    classifier_max_rows: int = 60_000
    #: Weight of each dense signal against each sparse one while confidence is not fitted
    #: (no example questions to calibrate on): dense similarity is the stronger zero-shot
    #: signal (zero-shot validation, see docs/decisions.md).
    dense_prior_weight: float = 6.0
    #: After a live edit the classifier is retrained in the background after this pause.
    retrain_delay_seconds: float = 0.3


# ---------------------------------------------------------------------------------------------
# Featurisation
# ---------------------------------------------------------------------------------------------


class Featurizer:
    """Text → hashed feature ids: word 1-2-grams of lemmas, char n-grams of folded words.

    Everything is cached per whitespace-separated chunk, so featurising a million example
    questions mostly costs dictionary look-ups.
    """

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self._chars: dict[str, tuple[int, ...]] = {}
        self._chunks: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def _char_ids(self, surface: str) -> tuple[int, ...]:
        ids = self._chars.get(surface)
        if ids is None:
            grams = tx.char_ngrams(surface, self.cfg.char_lo, self.cfg.char_hi)
            ids = tuple((hash(g) & _MASK) | WORD_SPACE for g in grams)
            if len(self._chars) > 1_000_000:
                self._chars.clear()
            self._chars[surface] = ids
        return ids

    def _chunk(self, chunk: str, lang: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        key = (lang, chunk)
        hit = self._chunks.get(key)
        if hit is None:
            toks = tx.chunk_tokens(chunk, lang)
            lemmas = tuple(hash(lemma) & _MASK for lemma, _ in toks)
            chars = tuple(c for _, surface in toks for c in self._char_ids(surface))
            hit = (lemmas, chars)
            if len(self._chunks) > 1_000_000:
                self._chunks.clear()
            self._chunks[key] = hit
        return hit

    def ids(self, text: str, lang: str | None) -> list[int]:
        lang = lang if lang in tx.LANGUAGES else "en"
        lemmas: list[int] = []
        chars: list[int] = []
        for chunk in tx.clean(text).split(" "):
            if chunk:
                lem, ch = self._chunk(chunk, lang)
                lemmas.extend(lem)
                chars.extend(ch)
        bigrams = [hash(pair) & _MASK for pair in itertools.pairwise(lemmas)]
        return lemmas + bigrams + chars


def _raw_counts(id_lists: Sequence[Sequence[int]]) -> sp.csr_matrix:
    n = len(id_lists)
    lengths = np.fromiter((len(a) for a in id_lists), np.int64, count=n)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    total = int(indptr[-1])
    cols = np.fromiter(itertools.chain.from_iterable(id_lists), np.int32, count=total)
    x = sp.csr_matrix(
        (np.ones(total, np.float32), cols, indptr),
        shape=(n, N_FEATURES),
    )
    x.sum_duplicates()
    return x


def _weight(x: sp.csr_matrix, idf: FloatArray, cfg: EngineConfig) -> sp.csr_matrix:
    """Sublinear TF × IDF, each block (word, char) L2-normalised and weighted, rows unit length."""
    n = x.shape[0]
    if x.nnz == 0:
        return x
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    is_char = x.indices >= WORD_SPACE
    row_of = np.repeat(np.arange(n), np.diff(x.indptr))
    sq = x.data.astype(np.float64) ** 2
    wn = np.bincount(row_of, weights=np.where(is_char, 0.0, sq), minlength=n)
    cn = np.bincount(row_of, weights=np.where(is_char, sq, 0.0), minlength=n)
    ww, cw = cfg.word_weight, cfg.char_weight
    total = np.sqrt(ww**2 * (wn > 0) + cw**2 * (cn > 0))
    total[total == 0] = 1.0
    sw = np.divide(ww, np.sqrt(wn), out=np.zeros(n), where=wn > 0) / total
    sc = np.divide(cw, np.sqrt(cn), out=np.zeros(n), where=cn > 0) / total
    x.data = (x.data * np.where(is_char, sc[row_of], sw[row_of])).astype(np.float32)
    return x


_CHUNK: Final = 100_000  # texts vectorised at a time (bounds peak memory of a large build)


def _idf_from_df(df: npt.NDArray[np.float64], n_docs: int) -> FloatArray:
    n = max(n_docs, 1)
    idf: FloatArray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf


# ---------------------------------------------------------------------------------------------
# Segments and snapshots
# ---------------------------------------------------------------------------------------------


@dataclass
class _Segment:
    """An immutable block of whole articles (groups), their translations (slots) and rows."""

    group_ids: IntArray  # article id per group
    group_slot_start: IntArray  # n_groups + 1
    slot_lang: list[str]
    slot_group: IntArray
    slot_row_start: IntArray  # n_slots + 1
    row_slot: IntArray
    xt: sp.csr_matrix | None  # features × rows: inverted index (exact path, small segments)
    x: sp.csr_matrix | None  # rows × features (two-stage path, large segments)
    st: sp.csr_matrix | None  # features × slots: inverted index of slot sums (two-stage path)
    s_norm: FloatArray  # per slot
    s_sqnorm: FloatArray
    #: Dense vectors are one or two "spaces" of DIM columns side by side (e5, then MiniLM for
    #: English text, zeros otherwise); each space is scored on its own.
    dense_rows: FloatArray | None  # rows × spaces·DIM (None: no dense, or one per slot)
    dense_sum: FloatArray | None  # slots × spaces·DIM unnormalised sums (or passage vectors)
    dense_norm: FloatArray | None  # slots × spaces
    dense_sqnorm: FloatArray | None  # slots × spaces

    @property
    def n_rows(self) -> int:
        return int(self.row_slot.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_ids.shape[0])


@dataclass(frozen=True)
class _SparsePart:
    """The part of one segment's scoring that needs only the sparse query vector, so it can be
    computed while the query is being embedded. Exact path: every row's score; two-stage
    path: the groups the rarest query features pick, their rows (ascending) and row scores."""

    row_scores: npt.NDArray[np.float64] | None = None
    picks: IntArray | None = None
    rows: IntArray | None = None
    scores: npt.NDArray[np.float64] | None = None


@dataclass(frozen=True)
class _Classifier:
    """Linear SVM over the same sparse (+ dense) row vectors; one class per article."""

    article_ids: IntArray  # sorted
    col_map: npt.NDArray[np.int32]  # hashed feature -> compact column, -1 when unseen
    w_sparse: FloatArray  # compact columns × classes
    w_dense: FloatArray | None  # DIM × classes
    bias: FloatArray
    edit_generation: int

    def decision(self, q: sp.csr_matrix, qd: FloatArray | None) -> npt.NDArray[np.float64]:
        out = self.bias.astype(np.float64)
        cols = self.col_map[q.indices]
        ok = cols >= 0
        if ok.any():
            out = out + q.data[ok].astype(np.float64) @ self.w_sparse[cols[ok]]
        if self.w_dense is not None and qd is not None:
            out = out + qd[: self.w_dense.shape[0]].astype(np.float64) @ self.w_dense
        return out


@dataclass(frozen=True)
class _Snapshot:
    segments: tuple[_Segment, ...]
    alive: tuple[npt.NDArray[np.bool_], ...]
    where: dict[int, tuple[int, int]]  # article id -> (segment, group)
    articles: dict[int, dict[str, IndexedArticle]]
    idf: FloatArray
    dense: bool
    generation: int  # full builds
    edit_generation: int = 0  # live edits since process start
    dense_per_row: bool = True
    dense_spaces: int = 1
    classifier: _Classifier | None = None
    #: with the classifier signal / without it (while the classifier is being retrained)
    calibrators: tuple[Calibrator, Calibrator] = (Calibrator(2), Calibrator(2))
    thresholds: tuple[float, float] = (0.5, 0.5)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_base_signals(self) -> int:
        return 2 + 2 * self.dense_spaces if self.dense else 2

    @property
    def classifier_live(self) -> bool:
        clf = self.classifier
        return clf is not None and clf.edit_generation == self.edit_generation

    @property
    def threshold(self) -> float:
        return self.thresholds[0] if self.classifier_live else self.thresholds[1]

    @property
    def calibrator(self) -> Calibrator:
        return self.calibrators[0] if self.classifier_live else self.calibrators[1]


#: How many articles a "clarify" reply offers at most.
OFFERED: Final = 3


def _offer_mass(conf: npt.NDArray[np.float64]) -> float:
    """Probability that the right article is among the ones a clarify reply would offer."""
    if conf.size == 0:
        return 0.0
    return float(np.sort(conf)[-OFFERED:].sum())


def _ranges(starts: npt.NDArray[Any], ends: npt.NDArray[Any]) -> IntArray:
    """Concatenation of arange(s, e) for every pair, without a Python loop."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    before = np.cumsum(lens) - lens
    out: IntArray = np.arange(total, dtype=np.int64) + np.repeat(
        starts.astype(np.int64) - before, lens
    )
    return out


_SCRATCH = threading.local()


def _query_lookup(q: sp.csr_matrix) -> FloatArray:
    """A per-thread dense feature → weight array holding ``q`` (cleared by ``_clear_lookup``),
    so gathers are O(postings) instead of a search per element."""
    arr: FloatArray | None = getattr(_SCRATCH, "lookup", None)
    if arr is None:
        arr = np.zeros(N_FEATURES, np.float32)
        _SCRATCH.lookup = arr
    arr[q.indices] = q.data
    return arr


def _clear_lookup(arr: FloatArray, q: sp.csr_matrix) -> None:
    arr[q.indices] = 0.0


def _dot_rows(m: sp.csr_matrix, rows: IntArray, q: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """Dot products of some rows of ``m`` with the one-row query ``q``, touching only those
    rows: no transposes, no copies of ``m``."""
    if q.nnz == 0 or rows.shape[0] == 0:
        return np.zeros(rows.shape[0], np.float64)
    lo, hi = m.indptr[rows], m.indptr[rows + 1]
    pos = _ranges(lo, hi)
    lookup = _query_lookup(q)
    try:
        contrib = m.data[pos] * lookup[m.indices[pos]]
    finally:
        _clear_lookup(lookup, q)
    owner = np.repeat(np.arange(rows.shape[0]), hi - lo)
    out: npt.NDArray[np.float64] = np.bincount(
        owner, weights=contrib, minlength=rows.shape[0]
    ).astype(np.float64)
    return out


def _reuse_dots(
    m: sp.csr_matrix, rows: IntArray, q: sp.csr_matrix, pre: _SparsePart | None
) -> npt.NDArray[np.float64]:
    """``_dot_rows(m, rows, q)``, taking the rows that ``pre`` already scored from it (both
    row lists ascending) and computing only the others."""
    if pre is None or pre.rows is None or pre.scores is None or pre.rows.shape[0] == 0:
        return _dot_rows(m, rows, q)
    pos = np.clip(np.searchsorted(pre.rows, rows), 0, pre.rows.shape[0] - 1)
    known = pre.rows[pos] == rows
    out = np.where(known, pre.scores[pos], 0.0)
    todo = np.flatnonzero(~known)
    if todo.shape[0]:
        out[todo] = _dot_rows(m, rows[todo], q)
    return out


def _rows_of(article: IndexedArticle, answer_chars: int = 0) -> list[str]:
    """Rows of one translation: its title, optionally the start of its answer, then its example
    questions (the first ``_fixed_rows`` rows are never held out for calibration)."""
    head = [article.title or "-"]
    if answer_chars > 0 and article.answer.strip():
        head.append(article.answer[:answer_chars])
    return head + [q for q in article.questions if q and q.strip()]


def _fixed_rows(article: IndexedArticle, answer_chars: int = 0) -> int:
    return 2 if answer_chars > 0 and article.answer.strip() else 1


def _dense_inputs(
    article: IndexedArticle, rows: Sequence[str], answer_chars: int = 0
) -> list[tuple[str, str, Kind]]:
    """What the embedding model reads for each of the article's ``rows`` (``_rows_of``):
    questions and the title are embedded as queries (question ↔ question is symmetric), the
    answer row as a passage that starts with its title, which is how e5 was trained to match a
    question to an answer."""
    out: list[tuple[str, str, Kind]] = [(r, article.language, "query") for r in rows]
    if _fixed_rows(article, answer_chars) == 2:
        out[1] = (f"{article.title}\n{article.answer}", article.language, "passage")
    return out


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------


_FROZEN_ONCE = False


def freeze_long_lived_objects() -> None:
    """Process-wide, once the index is built: move every object alive now (the index's
    articles and rows, the loaded models, imported modules) out of the cyclic collector's
    reach. They live as long as the process anyway, and each full collection walked all of
    them with the GIL held: one 110–160 ms pause per run of ``bench/kb_search.py`` at 10k
    articles (6–13 ms frozen). Objects created later are collected as usual.

    Only the first call in a process freezes: frozen objects in a reference cycle (an app and
    its state) are never collected, so a process that starts several apps (tests) must not
    freeze each of them. ``thaw_long_lived_objects`` undoes it when the app stops."""
    global _FROZEN_ONCE
    if _FROZEN_ONCE:
        return
    _FROZEN_ONCE = True
    gc.collect()
    gc.freeze()


def thaw_long_lived_objects() -> None:
    """Hand frozen objects back to the collector (the app that froze them has stopped)."""
    gc.unfreeze()


class KbIndex:
    """Thread-safe in-memory KB search index (see module docstring)."""

    def __init__(
        self,
        *,
        dense: bool = False,
        dense_english: bool = True,
        cache_dir: Path | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.cfg = config or EngineConfig()
        self._featurizer = Featurizer(self.cfg)
        self._embedder: Embedder | None = (
            load_embedder(cache_dir, english=dense_english) if dense else None
        )
        self._write_lock = threading.RLock()
        #: Held by whoever reads published articles from the database and applies them here
        #: (``kb.service.apply_to_index`` after a commit, ``IndexSync.poll``), so a poll that
        #: read before an edit's commit cannot apply its older copy after the edit's own.
        self.sync_lock = threading.RLock()
        self._snap: _Snapshot | None = None
        self._retrain_lock = threading.Lock()
        self._retrain_thread: threading.Thread | None = None
        #: Sparse scoring of a live English query runs here while e5 and MiniLM encode it (see
        #: ``_search``): both models hold one core each, and MiniLM finishes first.
        self._sparse_pool: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(1, thread_name_prefix="kb-sparse")
            if self._embedder is not None and self._embedder.english
            else None
        )

    # -- properties --------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._snap is not None

    @property
    def dense(self) -> bool:
        """True when dense embeddings are actually in use (requested and available)."""
        return self._embedder is not None

    @property
    def threshold(self) -> float:
        return self._snap.threshold if self._snap else 0.5

    @property
    def stats(self) -> dict[str, Any]:
        snap = self._snap
        if snap is None:
            return {}
        return {
            **snap.stats,
            "classifier_live": snap.classifier_live,
            "segments": len(snap.segments),
        }

    def __len__(self) -> int:
        snap = self._snap
        if snap is None:
            return 0
        return sum(len(t) for t in snap.articles.values())

    # -- building ----------------------------------------------------------------------------

    def _vectors(
        self, texts: Sequence[tuple[str, str]], idf: FloatArray | None
    ) -> tuple[sp.csr_matrix, FloatArray]:
        chunks = [
            _raw_counts([self._featurizer.ids(t, lang) for t, lang in texts[i : i + _CHUNK]])
            for i in range(0, len(texts), _CHUNK)
        ]
        if idf is None:
            df = np.zeros(N_FEATURES, np.float64)
            for raw in chunks:
                df += np.bincount(raw.indices, minlength=N_FEATURES)
            idf = _idf_from_df(df, len(texts))
        weighted = [_weight(raw, idf, self.cfg) for raw in chunks]
        if not weighted:
            return sp.csr_matrix((0, N_FEATURES), dtype=np.float32), idf
        x = weighted[0] if len(weighted) == 1 else sp.vstack(weighted, format="csr")
        return x, idf

    def _build_segment(
        self,
        groups: Sequence[tuple[int, Sequence[IndexedArticle]]],
        idf: FloatArray | None,
        *,
        dense_per_row: bool = True,
        main: bool = False,
    ) -> tuple[_Segment, FloatArray, sp.csr_matrix, list[tuple[str, str]]]:
        """Vectorise whole articles into one segment; also returns the row matrix and texts.

        ``main``: the segment of a full build gets inverted indexes (rows when small, slot
        centroids when large); edit segments are small and scored row by row.
        """
        group_ids, group_slot_start = [], [0]
        slot_lang: list[str] = []
        slot_group: list[int] = []
        slot_row_start = [0]
        texts: list[tuple[str, str]] = []
        dense_in: list[tuple[str, str, Kind]] = []
        passages: list[tuple[str, str | None, Kind]] = []
        for g, (aid, translations) in enumerate(groups):
            group_ids.append(aid)
            for art in translations:
                rows = _rows_of(art, self.cfg.answer_chars)
                texts.extend((r, art.language) for r in rows)
                dense_in.extend(_dense_inputs(art, rows, self.cfg.answer_chars))
                passages.append(
                    (" ".join([art.title, *art.questions[:5]]), art.language, "passage")
                )
                slot_lang.append(art.language)
                slot_group.append(g)
                slot_row_start.append(slot_row_start[-1] + len(rows))
            group_slot_start.append(len(slot_lang))
        x, idf_fitted = self._vectors(texts, idf)
        large = len(texts) > self.cfg.exact_rows
        row_slot = np.repeat(np.arange(len(slot_lang)), np.diff(slot_row_start))
        n_slots = len(slot_lang)
        agg = sp.csr_matrix(
            (np.ones(len(row_slot), np.float32), row_slot, np.arange(len(row_slot) + 1)),
            shape=(len(row_slot), n_slots),
        )
        # slots × features, unnormalised centroids; built from the rows' non-zeros directly
        # (no transpose, so a one-article edit segment never touches the feature dimension)
        owner = np.repeat(row_slot, np.diff(x.indptr))
        s = sp.csr_matrix((x.data, (owner, x.indices)), shape=(n_slots, N_FEATURES))
        s.sum_duplicates()
        s_sq = np.asarray(s.multiply(s).sum(axis=1)).ravel().astype(np.float32)
        st = s.T.tocsr() if main and large else None
        del s
        dense_rows = dense_sum = dense_norm = dense_sq = None
        if self._embedder is not None:
            if dense_per_row:
                dense_rows = self._embed_rows(dense_in)
                dense_sum = (agg.T @ dense_rows).astype(np.float32)
            else:
                dense_sum = self._embed_rows(passages)
            spaces = dense_sum.shape[1] // DIM
            dense_sq = (dense_sum**2).reshape(-1, spaces, DIM).sum(axis=2).astype(np.float32)
            dense_norm = np.sqrt(np.maximum(dense_sq, 1e-12)).astype(np.float32)
        seg = _Segment(
            group_ids=np.asarray(group_ids, np.int64),
            group_slot_start=np.asarray(group_slot_start, np.int64),
            slot_lang=slot_lang,
            slot_group=np.asarray(slot_group, np.int64),
            slot_row_start=np.asarray(slot_row_start, np.int64),
            row_slot=row_slot.astype(np.int64),
            xt=x.T.tocsr() if main and not large else None,
            x=x if large or not main else None,
            st=st,
            s_norm=np.sqrt(np.maximum(s_sq, 1e-12)).astype(np.float32),
            s_sqnorm=s_sq,
            dense_rows=dense_rows,
            dense_sum=dense_sum,
            dense_norm=dense_norm,
            dense_sqnorm=dense_sq,
        )
        return seg, idf_fitted, x, texts

    def rebuild(
        self,
        articles: Iterable[IndexedArticle],
        *,
        calibration: Sequence[tuple[str, int | None]] | None = None,
        keep_calibration: bool = False,
    ) -> None:
        """Full build: fit IDF, vectorise every row, train the classifier, calibrate confidence
        and the threshold.

        ``calibration`` (optional): labelled held-out queries (text, article id or None for out
        of scope). Without it the index calibrates on its own example questions (leave-one-out
        for the nearest-example signals, 3-fold for the classifier) plus built-in off-topic
        sentences. ``keep_calibration``: reuse the previous build's calibration (refitting on
        train + validation after tuning on the validation split).
        """
        t0 = time.perf_counter()
        by_id: dict[int, dict[str, IndexedArticle]] = {}
        for art in articles:
            by_id.setdefault(int(art.article_id), {})[art.language] = art
        groups = [(aid, list(tr.values())) for aid, tr in by_id.items()]
        n_rows = sum(len(_rows_of(a, self.cfg.answer_chars)) for _, tr in groups for a in tr)
        per_row = n_rows <= self.cfg.dense_row_limit
        with self._write_lock:
            prev = self._snap
            edit_gen = prev.edit_generation + 1 if prev else 0
            spaces = self._embedder.spaces if self._embedder is not None else 1
            n_sig = 2 + 2 * spaces if self.dense else 2
            snap = _Snapshot(
                segments=(),
                alive=(),
                where={},
                articles=by_id,
                idf=np.full(N_FEATURES, 1.0, np.float32),
                dense=self.dense,
                generation=(prev.generation + 1) if prev else 1,
                edit_generation=edit_gen,
                dense_per_row=per_row,
                dense_spaces=spaces,
                calibrators=(
                    Calibrator(n_sig + 1, self._prior(n_sig + 1)),
                    Calibrator(n_sig, self._prior(n_sig)),
                ),
            )
            x = None
            texts: list[tuple[str, str]] = []
            if groups:
                seg, idf, x, texts = self._build_segment(
                    groups, None, dense_per_row=per_row, main=True
                )
                snap = replace(
                    snap,
                    segments=(seg,),
                    alive=(np.ones(seg.n_groups, bool),),
                    where={aid: (0, g) for g, (aid, _) in enumerate(groups)},
                    idf=idf,
                )
            build_s = time.perf_counter() - t0
            clf = None
            if x is not None and self._classifier_eligible(snap):
                seg = snap.segments[0]
                labels = seg.group_ids[seg.slot_group[seg.row_slot]]
                clf = self._fit_classifier(x, seg.dense_rows, labels, edit_gen)
            snap = replace(snap, classifier=clf)
            clf_s = time.perf_counter() - t0 - build_s
            if keep_calibration and prev is not None and prev.dense == snap.dense:
                snap = replace(
                    snap,
                    calibrators=prev.calibrators,
                    thresholds=prev.thresholds,
                    stats=dict(prev.stats),
                )
            else:
                snap = self._calibrated(snap, calibration, x=x, texts=texts)
            snap.stats.update(
                {
                    "build_seconds": build_s,
                    "classifier_seconds": clf_s,
                    "total_seconds": time.perf_counter() - t0,
                    "rows": n_rows,
                    "articles": len(groups),
                    "classifier": clf is not None,
                }
            )
            self._snap = snap
        if self._embedder is not None:  # a full build is worth keeping: on disk before return
            self._embedder.flush()

    def _prior(self, n_signals: int) -> tuple[float, ...]:
        """Unfitted fusion weights: [sparse max, sparse centroid, (dense max, dense centroid)
        per dense space, classifier]."""
        w = [1.0] * n_signals
        if self._embedder is not None:
            n_dense = 2 * self._embedder.spaces
            w[2 : 2 + n_dense] = [self.cfg.dense_prior_weight] * n_dense
        return tuple(w[:n_signals])

    def calibrate(self, examples: Sequence[tuple[str, int | None]]) -> None:
        """Re-fit confidence and threshold on labelled held-out queries (a validation split)."""
        with self._write_lock:
            snap = self._snap
            if snap is None:
                return
            self._snap = self._calibrated(snap, examples)

    # -- classifier --------------------------------------------------------------------------

    def _classifier_eligible(self, snap: _Snapshot) -> bool:
        n_classes = len(snap.articles)
        n_rows = sum(
            len(_rows_of(a, self.cfg.answer_chars))
            for tr in snap.articles.values()
            for a in tr.values()
        )
        return (
            self.cfg.classifier
            and 2 <= n_classes <= self.cfg.classifier_max_articles
            and n_rows <= self.cfg.classifier_max_rows
            and n_rows > n_classes  # something to learn beyond one title per article
        )

    def _fit_classifier(
        self,
        x: sp.csr_matrix,
        dense_rows: FloatArray | None,
        labels: IntArray,
        edit_generation: int,
    ) -> _Classifier | None:
        from sklearn.svm import LinearSVC

        classes = np.unique(labels)
        if classes.shape[0] < 2 or x.shape[0] == 0:
            return None
        cols = np.unique(x.indices)
        col_map = np.full(N_FEATURES, -1, np.int32)
        col_map[cols] = np.arange(cols.shape[0], dtype=np.int32)
        xc = sp.csr_matrix(
            (x.data, col_map[x.indices], x.indptr), shape=(x.shape[0], cols.shape[0])
        )
        dw = self.cfg.classifier_dense_weight
        if dense_rows is not None and not self.cfg.classifier_all_spaces:
            # e5 space only: it speaks every language, so the classifier treats them alike
            dense_rows = dense_rows[:, :DIM]
        if dense_rows is not None and dw > 0:
            xc = sp.hstack([xc, sp.csr_matrix(dense_rows * dw)], format="csr")
        model = LinearSVC(C=self.cfg.classifier_c, random_state=0)  # reproducible builds
        with warnings.catch_warnings():
            # one row per article (titles only) is a valid KB, not a regression problem;
            # a not fully converged SVM still ranks well (scored on validation)
            warnings.simplefilter("ignore", UserWarning)
            model.fit(xc, labels)
        coef = np.asarray(model.coef_, np.float64)
        bias = np.asarray(model.intercept_, np.float64)
        if not self.cfg.classifier_intercept:
            bias = np.zeros_like(bias)
        if classes.shape[0] == 2:  # sklearn keeps one row for a binary problem
            coef = np.vstack([-coef[0], coef[0]])
            bias = np.array([-bias[0], bias[0]])
        n_cols = cols.shape[0]
        w_dense = None
        if dense_rows is not None and dw > 0:
            w_dense = np.ascontiguousarray((coef[:, n_cols:] * dw).T, np.float32)
        return _Classifier(
            article_ids=np.asarray(model.classes_, np.int64),
            col_map=col_map,
            w_sparse=np.ascontiguousarray(coef[:, :n_cols].T, np.float32),
            w_dense=w_dense,
            bias=bias.astype(np.float32),
            edit_generation=edit_generation,
        )

    def _classifier_from_articles(self, snap: _Snapshot) -> _Classifier | None:
        """Retrain on the snapshot's current articles (after live edits)."""
        texts: list[tuple[str, str]] = []
        dense_in: list[tuple[str, str, Kind]] = []
        labels: list[int] = []
        for aid, translations in snap.articles.items():
            for art in translations.values():
                rows = _rows_of(art, self.cfg.answer_chars)
                texts.extend((r, art.language) for r in rows)
                dense_in.extend(_dense_inputs(art, rows, self.cfg.answer_chars))
                labels.extend([aid] * len(rows))
        if not texts:
            return None
        x, _ = self._vectors(texts, snap.idf)
        dense_rows = None
        if self._embedder is not None and snap.dense_per_row:
            dense_rows = self._embed_rows(dense_in)
        return self._fit_classifier(
            x, dense_rows, np.asarray(labels, np.int64), snap.edit_generation
        )

    def _schedule_retrain(self) -> None:
        with self._retrain_lock:
            if self._retrain_thread is not None and self._retrain_thread.is_alive():
                return
            thread = threading.Thread(target=self._retrain_loop, name="kb-retrain", daemon=True)
            self._retrain_thread = thread
            thread.start()

    def _retrain_loop(self) -> None:
        """Debounced background retraining; until it lands, search runs without the classifier
        signal (and with the calibration fitted for that case), so edits are live at once."""
        for _ in range(20):  # bounded: a steady stream of edits cannot keep this thread forever
            time.sleep(self.cfg.retrain_delay_seconds)
            snap = self._snap
            if snap is None or snap.classifier_live or not self._classifier_eligible(snap):
                return
            try:
                clf = self._classifier_from_articles(snap)
            except Exception:
                logger.exception("classifier retraining failed; staying on nearest examples")
                return
            with self._write_lock:
                cur = self._snap
                if (
                    cur is not None
                    and clf is not None
                    and cur.edit_generation == clf.edit_generation
                ):
                    self._snap = replace(cur, classifier=clf)
                    return

    def wait_for_background(self, timeout: float = 30.0) -> bool:
        """Block until background retraining is done (tests, benchmarks); True when idle."""
        thread = self._retrain_thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- live edits --------------------------------------------------------------------------

    def upsert(self, article: IndexedArticle) -> None:
        """Add or replace one translation; the next search sees it."""
        with self._write_lock:
            snap = self._require()
            arts = dict(snap.articles)
            translations = dict(arts.get(int(article.article_id), {}))
            translations[article.language] = article
            arts[int(article.article_id)] = translations
            self._snap = self._replace_group(snap, int(article.article_id), arts)
        self._after_edit()

    def remove(self, article_id: int, language: str | None = None) -> None:
        """Remove one translation, or the whole article when ``language`` is None."""
        with self._write_lock:
            snap = self._require()
            aid = int(article_id)
            if aid not in snap.articles:
                return
            arts = dict(snap.articles)
            if language is None:
                del arts[aid]
            else:
                translations = dict(arts[aid])
                translations.pop(language, None)
                if translations:
                    arts[aid] = translations
                else:
                    del arts[aid]
            self._snap = self._replace_group(snap, aid, arts)
        self._after_edit()

    def _after_edit(self) -> None:
        snap = self._snap
        if snap is not None and snap.classifier is not None and not snap.classifier_live:
            self._schedule_retrain()

    def _require(self) -> _Snapshot:
        if self._snap is None:
            self.rebuild([])
        assert self._snap is not None
        return self._snap

    def _replace_group(
        self, snap: _Snapshot, aid: int, arts: dict[int, dict[str, IndexedArticle]]
    ) -> _Snapshot:
        segments = list(snap.segments)
        alive = list(snap.alive)
        where = dict(snap.where)
        old = where.pop(aid, None)
        if old is not None:
            a = alive[old[0]].copy()
            a[old[1]] = False
            alive[old[0]] = a
        if aid in arts:
            seg = self._build_segment(
                [(aid, list(arts[aid].values()))], snap.idf, dense_per_row=snap.dense_per_row
            )[0]
            segments.append(seg)
            alive.append(np.ones(1, bool))
            where[aid] = (len(segments) - 1, 0)
        if len(segments) > self.cfg.max_segments + 1:
            segments, alive, where = self._merge_small(snap, segments, alive, arts, where)
        return replace(
            snap,
            segments=tuple(segments),
            alive=tuple(alive),
            where=where,
            articles=arts,
            edit_generation=snap.edit_generation + 1,
        )

    def _merge_small(
        self,
        snap: _Snapshot,
        segments: list[_Segment],
        alive: list[npt.NDArray[np.bool_]],
        arts: dict[int, dict[str, IndexedArticle]],
        where: dict[int, tuple[int, int]],
    ) -> tuple[list[_Segment], list[npt.NDArray[np.bool_]], dict[int, tuple[int, int]]]:
        """Fold every edit segment into one (the main segment and its locations stay as they
        are, so the cost depends on the edits, not on the size of the KB)."""
        keep = 1 if segments else 0
        ids: list[int] = []
        for seg, a in zip(segments[keep:], alive[keep:], strict=True):
            ids.extend(int(g) for g, live in zip(seg.group_ids, a, strict=True) if live)
        groups = [(aid, list(arts[aid].values())) for aid in ids if aid in arts]
        new_segments, new_alive = segments[:keep], alive[:keep]
        if groups:
            seg = self._build_segment(groups, snap.idf, dense_per_row=snap.dense_per_row)[0]
            new_segments.append(seg)
            new_alive.append(np.ones(seg.n_groups, bool))
            for g, (aid, _) in enumerate(groups):
                where[aid] = (len(new_segments) - 1, g)
        return new_segments, new_alive, where

    # -- scoring -----------------------------------------------------------------------------

    def _dense_text(self, text: str, lang: str | None) -> str:
        """What the embedding model reads: Serbian in one script (Latin), so that Cyrillic and
        Latin spellings of the same question land on the same vector."""
        if lang == "sr" and self.cfg.serbian_latin_dense:
            return tx.to_serbian_latin(text)
        return text

    def _embed_rows(
        self, rows: Sequence[tuple[str, str | None, Kind]], *, persist: bool = True
    ) -> FloatArray:
        """Dense vectors of (text, language, kind) rows, in order (see ``embed_mixed``)."""
        assert self._embedder is not None
        return self._embedder.embed_mixed(
            [(self._dense_text(t, lang), lang, kind) for t, lang, kind in rows], persist=persist
        )

    def _sparse_query(self, snap: _Snapshot, text: str, lang: str | None) -> sp.csr_matrix:
        return _weight(_raw_counts([self._featurizer.ids(text, lang)]), snap.idf, self.cfg)

    def _query_vectors(
        self, snap: _Snapshot, text: str, lang: str | None, *, persist: bool = False
    ) -> tuple[sp.csr_matrix, FloatArray | None]:
        q = self._sparse_query(snap, text, lang)
        qd = None
        if snap.dense and self._embedder is not None:
            qd = self._embed_rows([(text, lang, "query")], persist=persist)[0]
        return q, qd

    def _signals(
        self,
        snap: _Snapshot,
        q: sp.csr_matrix,
        qd: FloatArray | None,
        exclude: tuple[int, int] | None = None,
        clf_scores: npt.NDArray[np.float64] | None = None,
        use_classifier: bool | None = None,
        sparse: Sequence[_SparsePart | None] | None = None,
    ) -> tuple[IntArray, npt.NDArray[np.float64], IntArray, IntArray]:
        """Per live article: ids, signals (n × s), segment index, group index.

        ``exclude`` = (segment, row): leave that row out (leave-one-out calibration); the query
        is then that row's own text, so its vector equals the row vector. ``clf_scores``
        replaces the classifier's decision values (cross-validated ones during calibration).
        ``sparse``: per segment, its ``_sparse_part`` when already computed.
        """
        ids_parts: list[IntArray] = []
        sig_parts: list[npt.NDArray[np.float64]] = []
        seg_parts: list[IntArray] = []
        grp_parts: list[IntArray] = []
        for si, (seg, live) in enumerate(zip(snap.segments, snap.alive, strict=True)):
            if not live.any():
                continue
            excl = exclude if exclude and exclude[0] == si else None
            pre = sparse[si] if sparse is not None else None
            gl, group_sig = self._segment_signals(snap, seg, live, q, qd, excl, pre)
            if gl.shape[0] == 0:
                continue
            ids_parts.append(seg.group_ids[gl])
            sig_parts.append(group_sig)
            seg_parts.append(np.full(gl.shape[0], si, np.int64))
            grp_parts.append(gl.astype(np.int64))
        n_base = snap.n_base_signals
        if not ids_parts:
            empty = np.zeros(0, np.int64)
            return empty, np.zeros((0, n_base)), empty, empty
        ids = np.concatenate(ids_parts)
        sig = np.vstack(sig_parts)
        if use_classifier is None:
            use_classifier = snap.classifier_live
        if use_classifier and snap.classifier is not None:
            clf = snap.classifier
            dec = clf_scores if clf_scores is not None else clf.decision(q, qd)
            pos = np.clip(np.searchsorted(clf.article_ids, ids), 0, clf.article_ids.shape[0] - 1)
            known = clf.article_ids[pos] == ids
            col = np.where(known, dec[pos], float(dec.min()) - 1.0)
            sig = np.column_stack([sig, col])
        return ids, sig, np.concatenate(seg_parts), np.concatenate(grp_parts)

    def _segment_signals(
        self,
        snap: _Snapshot,
        seg: _Segment,
        live: npt.NDArray[np.bool_],
        q: sp.csr_matrix,
        qd: FloatArray | None,
        exclude: tuple[int, int] | None,
        pre: _SparsePart | None = None,
    ) -> tuple[IntArray, npt.NDArray[np.float64]]:
        """(group indices, their signals) for the live groups this segment scores."""
        if seg.st is None:
            slots = np.arange(len(seg.slot_lang))
            rows = np.arange(seg.n_rows)
            if pre is not None and pre.row_scores is not None:
                row_scores = pre.row_scores.copy()
            else:
                row_scores = self._all_row_scores(seg, q)
            groups = np.flatnonzero(live)
            group_starts = seg.group_slot_start[:-1]
            slot_starts = seg.slot_row_start[:-1]
        else:
            picks = pre.picks if pre is not None else None
            groups = self._stage_one(seg, live, q, qd, picks)
            if groups.shape[0] == 0:
                return groups, np.zeros((0, snap.n_base_signals))
            slot_lo, slot_hi = seg.group_slot_start[groups], seg.group_slot_start[groups + 1]
            slots = _ranges(slot_lo, slot_hi)
            rows = _ranges(seg.slot_row_start[slots], seg.slot_row_start[slots + 1])
            assert seg.x is not None
            row_scores = _reuse_dots(seg.x, rows, q, pre)
            group_starts = np.concatenate([[0], np.cumsum(slot_hi - slot_lo)[:-1]])
            slot_len = seg.slot_row_start[slots + 1] - seg.slot_row_start[slots]
            slot_starts = np.concatenate([[0], np.cumsum(slot_len)[:-1]])
        # centroid · q = Σ row · q, because a slot's centroid is the sum of its row vectors
        cen = np.add.reduceat(row_scores, slot_starts) if row_scores.size else row_scores
        excl_pos = excl_slot_pos = -1
        if exclude is not None:
            hit = np.flatnonzero(rows == exclude[1])
            if hit.size:
                excl_pos = int(hit[0])
                row_scores[excl_pos] = -1.0
                excl_slot_pos = int(np.flatnonzero(slots == seg.row_slot[exclude[1]])[0])
        slot_max = np.maximum.reduceat(row_scores, slot_starts)
        slot_cen = cen / seg.s_norm[slots]
        if excl_slot_pos >= 0:
            gs = slots[excl_slot_pos]
            sq = float(seg.s_sqnorm[gs]) - 2.0 * cen[excl_slot_pos] + 1.0
            slot_cen[excl_slot_pos] = (
                (cen[excl_slot_pos] - 1.0) / math.sqrt(sq) if sq > 1e-9 else 0.0
            )
        cols = [slot_max, slot_cen]
        if snap.dense:
            for h in range(snap.dense_spaces):
                cols += (
                    self._dense_space_signals(
                        seg, h, slots, rows, slot_starts, qd, excl_pos, excl_slot_pos
                    )
                    if qd is not None
                    else [np.zeros_like(slot_max), np.zeros_like(slot_max)]
                )
        slot_sig = np.column_stack(cols)
        group_sig = np.maximum.reduceat(slot_sig, group_starts, axis=0)
        if seg.st is None:
            return groups, group_sig[groups]
        return groups, group_sig

    @staticmethod
    def _dense_space_signals(
        seg: _Segment,
        h: int,
        slots: IntArray,
        rows: IntArray,
        slot_starts: IntArray,
        qd: FloatArray,
        excl_pos: int,
        excl_slot_pos: int,
    ) -> list[npt.NDArray[np.float64]]:
        """[nearest row, centroid] cosines in dense space ``h`` for the given slots. A space in
        which the query or a slot has no vector (MiniLM for non-English text) scores 0."""
        zero = np.zeros(slots.shape[0])
        if seg.dense_sum is None or seg.dense_norm is None or seg.dense_sqnorm is None:
            return [zero, zero]
        cols = slice(h * DIM, (h + 1) * DIM)
        qh = qd[cols]
        dsum = (seg.dense_sum[slots, cols] @ qh).astype(np.float64)
        dcen = dsum / seg.dense_norm[slots, h]
        if seg.dense_rows is None:
            return [dcen, dcen]
        drow = (seg.dense_rows[rows, cols] @ qh).astype(np.float64)
        if excl_pos >= 0:
            drow[excl_pos] = -1.0
        dmax = np.maximum.reduceat(drow, slot_starts)
        if excl_slot_pos >= 0:
            # leave-one-out: the query is the held-out row itself, |row|² is 1 or 0 (no vector)
            gs = slots[excl_slot_pos]
            d = dsum[excl_slot_pos]
            r2 = float(qh @ qh)
            sq = float(seg.dense_sqnorm[gs, h]) - 2.0 * d + r2
            dcen[excl_slot_pos] = (d - r2) / math.sqrt(sq) if sq > 1e-9 else 0.0
        return [dmax, dcen]

    def _stage_one(
        self,
        seg: _Segment,
        live: npt.NDArray[np.bool_],
        q: sp.csr_matrix,
        qd: FloatArray | None,
        sparse_picks: IntArray | None = None,
    ) -> IntArray:
        """Candidate groups of a large segment: translations whose centroid matches the query's
        rarest features (within a postings budget), plus the nearest ones by dense vector.
        ``sparse_picks``: the first kind, when ``_sparse_picks`` already ran."""
        picked: list[IntArray] = [
            self._sparse_picks(seg, q) if sparse_picks is None else sparse_picks
        ]
        if qd is not None and seg.dense_sum is not None and seg.dense_norm is not None:
            dcen = (seg.dense_sum[:, :DIM] @ qd[:DIM]) / seg.dense_norm[:, 0]
            m = min(self.cfg.stage_one_candidates, dcen.shape[0])
            top = np.argpartition(-dcen, m - 1)[:m] if dcen.shape[0] > m else np.arange(m)
            picked.append(seg.slot_group[top])
        groups = np.unique(np.concatenate(picked))
        return groups[live[groups]].astype(np.int64)

    def _sparse_picks(self, seg: _Segment, q: sp.csr_matrix) -> IntArray:
        """Groups whose slot centroids score highest on the query's rarest features."""
        if q.nnz and seg.st is not None:
            st = seg.st
            feats = q.indices
            starts = st.indptr[feats]
            lens = st.indptr[feats + 1] - starts
            order = np.argsort(lens, kind="stable")
            order = order[lens[order] > 0]
            cum = np.cumsum(lens[order])
            n_take = max(3, int(np.searchsorted(cum, self.cfg.postings_budget)))
            take = order[:n_take]
            if take.shape[0]:
                pos = _ranges(starts[take], starts[take] + lens[take])
                slots = st.indices[pos]
                vals = st.data[pos] * np.repeat(q.data[take], lens[take])
                n_slots = len(seg.slot_lang)
                acc = np.bincount(slots, weights=vals, minlength=n_slots) / seg.s_norm
                m = min(self.cfg.stage_one_candidates, n_slots)
                top = np.argpartition(-acc, m - 1)[:m] if n_slots > m else np.arange(m)
                top = top[acc[top] > 0]
                return np.unique(seg.slot_group[top]).astype(np.int64)
        return np.zeros(0, np.int64)

    @staticmethod
    def _all_row_scores(seg: _Segment, q: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Sparse score of every row of a segment scored exactly."""
        if seg.xt is None:
            assert seg.x is not None
            return _dot_rows(seg.x, np.arange(seg.n_rows), q)
        row_scores = np.zeros(seg.n_rows, np.float64)
        if q.nnz:
            r = q @ seg.xt
            row_scores[r.indices] = r.data
        return row_scores

    def _sparse_part(self, snap: _Snapshot, q: sp.csr_matrix) -> list[_SparsePart | None]:
        """Per segment, the scoring work that needs no dense vector (see ``_SparsePart``)."""
        out: list[_SparsePart | None] = []
        for seg, live in zip(snap.segments, snap.alive, strict=True):
            if not live.any():
                out.append(None)
            elif seg.st is None:
                out.append(_SparsePart(row_scores=self._all_row_scores(seg, q)))
            else:
                assert seg.x is not None
                picks = self._sparse_picks(seg, q)
                picks = picks[live[picks]]  # ``_stage_one`` drops dead groups too
                slots = _ranges(seg.group_slot_start[picks], seg.group_slot_start[picks + 1])
                rows = _ranges(seg.slot_row_start[slots], seg.slot_row_start[slots + 1])
                out.append(_SparsePart(picks=picks, rows=rows, scores=_dot_rows(seg.x, rows, q)))
        return out

    @staticmethod
    def _candidates(sig: npt.NDArray[np.float64], k: int, n_base: int) -> IntArray:
        """Top-k articles by the unweighted mean of the nearest-example/centroid signals."""
        base = sig[:, :n_base].mean(axis=1)
        k = min(k, base.shape[0])
        if k <= 0:
            return np.zeros(0, np.int64)
        part = np.argpartition(-base, k - 1)[:k] if base.shape[0] > k else np.arange(k)
        return part[np.argsort(-base[part], kind="stable")].astype(np.int64)

    # -- calibration -------------------------------------------------------------------------

    def _calibrated(
        self,
        snap: _Snapshot,
        examples: Sequence[tuple[str, int | None]] | None,
        *,
        x: sp.csr_matrix | None = None,
        texts: Sequence[tuple[str, str]] = (),
    ) -> _Snapshot:
        """Fit both calibrators (with and without the classifier) and their thresholds."""
        if not snap.segments:
            return snap
        k = self.cfg.candidates
        # (query vector, dense vector, right article, excluded row, classifier scores)
        queries: list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any, Any]] = []
        if examples is None:
            queries.extend(self._held_out_rows(snap, x, texts))
        else:
            for text, aid in examples:
                lang = tx.detect_language(text)
                q, qd = self._query_vectors(snap, text, lang, persist=True)
                queries.append((q, qd, aid, None, None))
        if examples is None or all(aid is not None for _, aid in examples):
            for text, lang in off_topic_examples():
                q, qd = self._query_vectors(snap, text, lang, persist=True)
                queries.append((q, qd, None, None, None))
        has_clf = snap.classifier is not None
        groups_full: list[tuple[npt.NDArray[np.float64], int | None]] = []
        in_scope: list[bool] = []
        for q, qd, aid, exclude, clf_scores in queries:
            ids, sig, _, _ = self._signals(
                snap, q, qd, exclude, clf_scores=clf_scores, use_classifier=has_clf
            )
            cand = self._candidates(sig, k, snap.n_base_signals)
            right = None
            if aid is not None:
                pos = np.flatnonzero(ids[cand] == aid)
                right = int(pos[0]) if pos.size else None
            groups_full.append((sig[cand], right))
            in_scope.append(aid is not None)
        n_base = snap.n_base_signals
        cals: list[Calibrator] = []
        thresholds: list[float] = []
        variants = [groups_full] if has_clf else []
        variants.append([(g[:, :n_base], r) for g, r in groups_full])
        for groups in variants:
            n_cols = groups[0][0].shape[1] if groups else n_base
            cal = Calibrator(n_cols, self._prior(n_cols))
            cal.fit(groups)
            conf, correct = [], []
            for sig_c, right in groups:
                p = cal.predict(sig_c)
                top = int(np.argmax(p)) if p.size else -1
                conf.append(_offer_mass(p))
                correct.append(right is not None and top == right)
            cals.append(cal)
            thresholds.append(
                tune_threshold(
                    conf, correct, in_scope, out_of_scope_share=self.cfg.out_of_scope_share
                )
            )
        if not has_clf:
            cals.insert(0, cals[0])
            thresholds.insert(0, thresholds[0])
        stats = dict(snap.stats)
        stats.update({"calibration_queries": len(queries), "threshold": thresholds[0]})
        return replace(
            snap,
            calibrators=(cals[0], cals[1]),
            thresholds=(thresholds[0], thresholds[1]),
            stats=stats,
        )

    def _held_out_rows(
        self, snap: _Snapshot, x: sp.csr_matrix | None, texts: Sequence[tuple[str, str]]
    ) -> list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any, Any]]:
        """Leave-one-out queries: sampled example questions scored without their own row; the
        classifier's scores for them come from 3-fold models that never saw them."""
        seg = snap.segments[0]
        picks: list[tuple[int, int]] = []  # (row, article id)
        for slot in range(len(seg.slot_lang)):
            start, end = int(seg.slot_row_start[slot]), int(seg.slot_row_start[slot + 1])
            aid = int(seg.group_ids[seg.slot_group[slot]])
            fixed = _fixed_rows(snap.articles[aid][seg.slot_lang[slot]], self.cfg.answer_chars)
            if end - start > fixed:
                picks.extend((r, aid) for r in range(start + fixed, end))  # title/answer stay
            elif end - start > 1:
                picks.append((start, aid))  # no example questions: the title asks the answer
        rng = random.Random(13)
        budget = self.cfg.calibration_sample if seg.x is None else self.cfg.calibration_sample // 4
        if len(picks) > budget:
            picks = rng.sample(picks, budget)
        if x is None or not texts:
            texts = []
            for aid_, translations in snap.articles.items():
                del aid_
                for art in translations.values():
                    texts.extend((r, art.language) for r in _rows_of(art, self.cfg.answer_chars))
            x, _ = self._vectors(texts, snap.idf)
        clf_scores: dict[int, npt.NDArray[np.float64]] = {}
        if snap.classifier is not None and picks:
            clf_scores = self._cross_validated_scores(snap, x, [r for r, _ in picks])
        out: list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any, Any]] = []
        for row, aid in picks:
            q = x[row]
            qd = seg.dense_rows[row] if seg.dense_rows is not None else None
            if qd is None and snap.dense and self._embedder is not None:
                qd = self._embed_rows([(*texts[row], "query")])[0]
            out.append((q, qd, aid, (0, row), clf_scores.get(row)))
        return out

    def _cross_validated_scores(
        self, snap: _Snapshot, x: sp.csr_matrix, rows: Sequence[int]
    ) -> dict[int, npt.NDArray[np.float64]]:
        """Decision values for ``rows`` from classifiers trained without them (3 folds)."""
        seg = snap.segments[0]
        assert snap.classifier is not None
        labels = seg.group_ids[seg.slot_group[seg.row_slot]]
        classes = snap.classifier.article_ids
        order = list(rows)
        random.Random(29).shuffle(order)
        out: dict[int, npt.NDArray[np.float64]] = {}
        folds = 3
        for f in range(folds):
            held = np.asarray(order[f::folds], np.int64)
            if held.size == 0:
                continue
            train = np.ones(x.shape[0], bool)
            train[held] = False
            dense = seg.dense_rows[train] if seg.dense_rows is not None else None
            clf = self._fit_classifier(x[train], dense, labels[train], snap.edit_generation)
            for r in held:
                qd = seg.dense_rows[r] if seg.dense_rows is not None else None
                full = np.full(classes.shape[0], -10.0)
                if clf is not None:
                    dec = clf.decision(x[r], qd)
                    pos = np.searchsorted(clf.article_ids, classes)
                    pos = np.clip(pos, 0, clf.article_ids.shape[0] - 1)
                    known = clf.article_ids[pos] == classes
                    full = np.where(known, dec[pos], float(dec.min()) - 1.0)
                out[int(r)] = full
        return out

    # -- search ------------------------------------------------------------------------------

    def search(self, text: str, *, language: str | None = None, limit: int = 3) -> SearchResult:
        """Ranked articles with calibrated confidence and a decision; never raises."""
        query = tx.clean(text if isinstance(text, str) else "")
        try:
            return self._search(query, language, max(1, min(int(limit), 20)))
        except Exception:
            logger.exception("KB search failed; abstaining")
            return SearchResult(query=query, language=None, hits=(), decision="abstain")

    def _search(self, query: str, language: str | None, limit: int) -> SearchResult:
        snap = self._snap
        lang = language if language in tx.LANGUAGES else None
        if lang is None and language is None:
            lang = tx.detect_language(query)
        if snap is None or not query or lang is None or not tx.has_content(query):
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        q, qd, sparse = self._query_and_sparse_part(snap, query, lang)
        if q.nnz == 0 and qd is None:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        ids, sig, seg_idx, grp_idx = self._signals(snap, q, qd, sparse=sparse)
        cand = self._candidates(sig, self.cfg.candidates, snap.n_base_signals)
        if cand.size == 0:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        conf = snap.calibrator.predict(sig[cand])
        order = np.argsort(-conf, kind="stable")
        base = sig[cand][:, : snap.n_base_signals].mean(axis=1)
        hits: list[Hit] = []
        for o in order[:limit]:
            c = int(cand[o])
            loc = (int(seg_idx[c]), int(grp_idx[c]))
            hit = self._hit(snap, int(ids[c]), loc, lang, float(base[o]), float(conf[o]))
            if hit is not None:
                hits.append(hit)
        if not hits:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        # Abstain when even the few candidates we could offer are unlikely to hold the answer;
        # answer when one article is above the threshold and clearly ahead; otherwise ask.
        p1 = hits[0].confidence
        p2 = (
            hits[1].confidence
            if len(hits) > 1
            else float(np.sort(conf)[-2])
            if conf.size > 1
            else 0.0
        )
        decision: Decision = "answer"
        if _offer_mass(conf) < snap.threshold:
            decision = "abstain"
        elif p1 < snap.threshold or p2 >= self.cfg.clarify_ratio * p1:
            decision = "clarify"
            cut = self.cfg.clarify_ratio * p1
            hits = [h for h in hits if h.confidence >= cut][:OFFERED]
        return SearchResult(query=query, language=lang, hits=tuple(hits), decision=decision)

    def _query_and_sparse_part(
        self, snap: _Snapshot, query: str, lang: str
    ) -> tuple[sp.csr_matrix, FloatArray | None, list[_SparsePart | None] | None]:
        """The query's vectors and, for an English query with both dense models, its sparse
        scoring computed on a side thread while the models encode it. e5 then runs on one
        core and MiniLM on the other, which finishes first and would otherwise idle; for other
        languages e5 uses both cores, so the sparse work waits for it instead."""
        if self._sparse_pool is None or lang != "en" or not snap.dense:
            q, qd = self._query_vectors(snap, query, lang)
            return q, qd, None
        q = self._sparse_query(snap, query, lang)
        part = self._sparse_pool.submit(self._sparse_part, snap, q)
        qd = self._embed_rows([(query, lang, "query")], persist=False)[0]
        return q, qd, part.result()

    def _hit(
        self,
        snap: _Snapshot,
        aid: int,
        loc: tuple[int, int],
        lang: str,
        score: float,
        confidence: float,
    ) -> Hit | None:
        translations = snap.articles.get(aid)
        if not translations:
            return None
        art = translations.get(lang) or translations.get("en")
        if art is None:
            seg = snap.segments[loc[0]]
            langs = seg.slot_lang[seg.group_slot_start[loc[1]] : seg.group_slot_start[loc[1] + 1]]
            art = translations.get(langs[0]) if langs else None
            art = art or next(iter(translations.values()))
        return Hit(
            article_id=aid,
            language=art.language,
            requested_language=lang,
            title=art.title,
            answer=art.answer,
            url=art.url,
            version=art.version,
            score=score,
            confidence=confidence,
        )

    # -- evaluation helpers --------------------------------------------------------------------

    def prefetch(self, texts: Sequence[str]) -> None:
        """Embed many queries at once into the disk cache (evaluation runs); no-op sparse."""
        if self._embedder is not None and texts:
            self._embedder.embed(list(texts), "query")
            if self._embedder.english:
                self._embedder.embed(list(texts), "en")
            self._embedder.flush()

    @property
    def embedder(self) -> Embedder | None:
        return self._embedder
