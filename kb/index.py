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

import logging
import math
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb import text as tx
from kb.calibration import Calibrator, off_topic_examples, tune_threshold
from kb.dense import DIM, Embedder, load_embedder

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
    #: "clarify" when the runner-up is at least this fraction as likely as the best article.
    clarify_ratio: float = 0.5
    #: Held-out example questions used to calibrate at build time (sampled above this).
    calibration_sample: int = 2000
    #: Above this many rows, dense vectors are one per translation instead of one per row.
    dense_row_limit: int = 30_000
    #: Small edit segments are merged into one when there are more than this many.
    max_segments: int = 8


# ---------------------------------------------------------------------------------------------
# Featurisation
# ---------------------------------------------------------------------------------------------


class Featurizer:
    """Text → hashed feature ids (word 1-2-grams of lemmas, char n-grams of folded words)."""

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self._chars: dict[str, IntArray] = {}

    def _char_ids(self, surface: str) -> IntArray:
        ids = self._chars.get(surface)
        if ids is None:
            grams = tx.char_ngrams(surface, self.cfg.char_lo, self.cfg.char_hi)
            ids = np.fromiter(((hash(g) & _MASK) | WORD_SPACE for g in grams), np.int64)
            if len(self._chars) > 1_000_000:
                self._chars.clear()
            self._chars[surface] = ids
        return ids

    def ids(self, text: str, lang: str | None) -> IntArray:
        toks = tx.tokens(text, lang)
        if not toks:
            return np.zeros(0, np.int64)
        lemmas = [lemma for lemma, _ in toks]
        words = np.fromiter((hash(f) & _MASK for f in tx.word_features(lemmas)), np.int64)
        return np.concatenate([words, *(self._char_ids(s) for _, s in toks)])


def _raw_counts(id_lists: Sequence[IntArray]) -> sp.csr_matrix:
    n = len(id_lists)
    indptr = np.zeros(n + 1, np.int64)
    if n:
        np.cumsum([len(a) for a in id_lists], out=indptr[1:])
    cols = np.concatenate(id_lists) if n else np.zeros(0, np.int64)
    x = sp.csr_matrix(
        (np.ones(len(cols), np.float32), cols.astype(np.int32), indptr),
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


def _fit_idf(x: sp.csr_matrix) -> FloatArray:
    df = np.bincount(x.indices, minlength=N_FEATURES).astype(np.float64)
    n = max(x.shape[0], 1)
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
    xt: sp.csr_matrix  # features × rows (inverted index)
    st: sp.csr_matrix  # features × slots, unnormalised sums of row vectors
    s_norm: FloatArray  # per slot
    s_sqnorm: FloatArray
    dense_rows: FloatArray | None  # rows × DIM (None: no dense, or one vector per slot)
    dense_sum: FloatArray | None  # slots × DIM unnormalised sums (or passage vectors)
    dense_norm: FloatArray | None
    dense_sqnorm: FloatArray | None

    @property
    def n_rows(self) -> int:
        return int(self.row_slot.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_ids.shape[0])


@dataclass(frozen=True)
class _Snapshot:
    segments: tuple[_Segment, ...]
    alive: tuple[npt.NDArray[np.bool_], ...]
    where: dict[int, tuple[int, int]]  # article id -> (segment, group)
    articles: dict[int, dict[str, IndexedArticle]]
    idf: FloatArray
    calibrator: Calibrator
    threshold: float
    dense: bool
    generation: int
    dense_per_row: bool = True
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_signals(self) -> int:
        return 4 if self.dense else 2


def _rows_of(article: IndexedArticle) -> list[str]:
    rows = [article.title] + [q for q in article.questions if q and q.strip()]
    return [r for r in rows if r and r.strip()] or [article.title or "-"]


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------


class KbIndex:
    """Thread-safe in-memory KB search index (see module docstring)."""

    def __init__(
        self,
        *,
        dense: bool = False,
        cache_dir: Path | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.cfg = config or EngineConfig()
        self._featurizer = Featurizer(self.cfg)
        self._embedder: Embedder | None = load_embedder(cache_dir) if dense else None
        self._write_lock = threading.RLock()
        self._snap: _Snapshot | None = None

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
        return dict(self._snap.stats) if self._snap else {}

    def __len__(self) -> int:
        snap = self._snap
        if snap is None:
            return 0
        return sum(len(t) for t in snap.articles.values())

    # -- building ----------------------------------------------------------------------------

    def _vectors(
        self, texts: Sequence[tuple[str, str]], idf: FloatArray | None
    ) -> tuple[sp.csr_matrix, FloatArray | None]:
        ids = [self._featurizer.ids(t, lang) for t, lang in texts]
        raw = _raw_counts(ids)
        if idf is None:
            idf = _fit_idf(raw)
        return _weight(raw, idf, self.cfg), idf

    def _build_segment(
        self,
        groups: Sequence[tuple[int, Sequence[IndexedArticle]]],
        idf: FloatArray | None,
        *,
        dense_per_row: bool = True,
    ) -> tuple[_Segment, FloatArray]:
        group_ids, group_slot_start = [], [0]
        slot_lang: list[str] = []
        slot_group: list[int] = []
        slot_row_start = [0]
        texts: list[tuple[str, str]] = []
        passages: list[str] = []
        for g, (aid, translations) in enumerate(groups):
            group_ids.append(aid)
            for art in translations:
                rows = _rows_of(art)
                texts.extend((r, art.language) for r in rows)
                passages.append(" ".join([art.title, *art.questions[:5]]))
                slot_lang.append(art.language)
                slot_group.append(g)
                slot_row_start.append(slot_row_start[-1] + len(rows))
            group_slot_start.append(len(slot_lang))
        x, idf_fitted = self._vectors(texts, idf)
        assert idf_fitted is not None
        row_slot = np.repeat(np.arange(len(slot_lang)), np.diff(slot_row_start))
        agg = sp.csr_matrix(
            (np.ones(len(row_slot), np.float32), row_slot, np.arange(len(row_slot) + 1)),
            shape=(len(row_slot), len(slot_lang)),
        )
        s = (agg.T @ x).tocsr()  # slots × features
        s_sq = np.asarray(s.multiply(s).sum(axis=1)).ravel().astype(np.float32)
        dense_rows = dense_sum = dense_norm = dense_sq = None
        if self._embedder is not None:
            if dense_per_row:
                dense_rows = self._embedder.embed([t for t, _ in texts], "query")
                dense_sum = (agg.T @ dense_rows).astype(np.float32)
            else:
                dense_sum = self._embedder.embed(passages, "passage")
            dense_sq = (dense_sum**2).sum(axis=1).astype(np.float32)
            dense_norm = np.sqrt(np.maximum(dense_sq, 1e-12)).astype(np.float32)
        seg = _Segment(
            group_ids=np.asarray(group_ids, np.int64),
            group_slot_start=np.asarray(group_slot_start, np.int64),
            slot_lang=slot_lang,
            slot_group=np.asarray(slot_group, np.int64),
            slot_row_start=np.asarray(slot_row_start, np.int64),
            row_slot=row_slot.astype(np.int64),
            xt=x.T.tocsr(),
            st=s.T.tocsr(),
            s_norm=np.sqrt(np.maximum(s_sq, 1e-12)).astype(np.float32),
            s_sqnorm=s_sq,
            dense_rows=dense_rows,
            dense_sum=dense_sum,
            dense_norm=dense_norm,
            dense_sqnorm=dense_sq,
        )
        return seg, idf_fitted

    def rebuild(
        self,
        articles: Iterable[IndexedArticle],
        *,
        calibration: Sequence[tuple[str, int | None]] | None = None,
    ) -> None:
        """Full build: fit IDF, vectorise every row, calibrate confidence and the threshold.

        ``calibration`` (optional): labelled held-out queries (text, article id or None for out
        of scope). Without it the index calibrates on its own example questions (leave-one-out)
        plus built-in off-topic sentences.
        """
        t0 = time.perf_counter()
        by_id: dict[int, dict[str, IndexedArticle]] = {}
        for art in articles:
            by_id.setdefault(int(art.article_id), {})[art.language] = art
        groups = [(aid, list(tr.values())) for aid, tr in by_id.items()]
        n_rows = sum(len(_rows_of(a)) for _, tr in groups for a in tr)
        per_row = n_rows <= self.cfg.dense_row_limit
        with self._write_lock:
            if groups:
                seg, idf = self._build_segment(groups, None, dense_per_row=per_row)
                segments: tuple[_Segment, ...] = (seg,)
                alive: tuple[npt.NDArray[np.bool_], ...] = (np.ones(seg.n_groups, bool),)
            else:
                idf = np.full(N_FEATURES, 1.0, np.float32)
                segments, alive = (), ()
            where = {aid: (0, g) for g, (aid, _) in enumerate(groups)}
            build_s = time.perf_counter() - t0
            prev = self._snap
            snap = _Snapshot(
                segments=segments,
                alive=alive,
                where=where,
                articles=by_id,
                idf=idf,
                calibrator=Calibrator(4 if self.dense else 2),
                threshold=0.5,
                dense=self.dense,
                generation=(prev.generation + 1) if prev else 1,
                dense_per_row=per_row,
                stats={"build_seconds": build_s, "rows": n_rows, "articles": len(groups)},
            )
            snap = self._calibrated(snap, calibration)
            snap.stats["total_seconds"] = time.perf_counter() - t0
            self._snap = snap

    def calibrate(self, examples: Sequence[tuple[str, int | None]]) -> None:
        """Re-fit confidence and threshold on labelled held-out queries (a validation split)."""
        with self._write_lock:
            snap = self._snap
            if snap is None:
                return
            self._snap = self._calibrated(snap, examples)

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
            seg, _ = self._build_segment(
                [(aid, list(arts[aid].values()))], snap.idf, dense_per_row=snap.dense_per_row
            )
            segments.append(seg)
            alive.append(np.ones(1, bool))
            where[aid] = (len(segments) - 1, 0)
        if len(segments) > self.cfg.max_segments + 1:
            segments, alive, where = self._merge_small(snap, segments, alive, arts)
        return _Snapshot(
            segments=tuple(segments),
            alive=tuple(alive),
            where=where,
            articles=arts,
            idf=snap.idf,
            calibrator=snap.calibrator,
            threshold=snap.threshold,
            dense=snap.dense,
            generation=snap.generation,
            dense_per_row=snap.dense_per_row,
            stats=snap.stats,
        )

    def _merge_small(
        self,
        snap: _Snapshot,
        segments: list[_Segment],
        alive: list[npt.NDArray[np.bool_]],
        arts: dict[int, dict[str, IndexedArticle]],
    ) -> tuple[list[_Segment], list[npt.NDArray[np.bool_]], dict[int, tuple[int, int]]]:
        """Fold every edit segment into one (the main segment stays as it is)."""
        keep = 1 if segments else 0
        ids: list[int] = []
        for seg, a in zip(segments[keep:], alive[keep:], strict=True):
            ids.extend(int(g) for g, live in zip(seg.group_ids, a, strict=True) if live)
        groups = [(aid, list(arts[aid].values())) for aid in ids if aid in arts]
        new_segments, new_alive = segments[:keep], alive[:keep]
        where: dict[int, tuple[int, int]] = {}
        if keep:
            main = segments[0]
            for g, (aid, live) in enumerate(zip(main.group_ids, alive[0], strict=True)):
                if live:
                    where[int(aid)] = (0, g)
        if groups:
            seg, _ = self._build_segment(groups, snap.idf, dense_per_row=snap.dense_per_row)
            new_segments.append(seg)
            new_alive.append(np.ones(seg.n_groups, bool))
            for g, (aid, _) in enumerate(groups):
                where[aid] = (len(new_segments) - 1, g)
        return new_segments, new_alive, where

    # -- scoring -----------------------------------------------------------------------------

    def _query_vectors(
        self, snap: _Snapshot, text: str, lang: str | None
    ) -> tuple[sp.csr_matrix, FloatArray | None]:
        raw = _raw_counts([self._featurizer.ids(text, lang)])
        q = _weight(raw, snap.idf, self.cfg)
        qd = None
        if snap.dense and self._embedder is not None:
            qd = self._embedder.embed([text], "query", persist=False)[0]
        return q, qd

    def _signals(
        self,
        snap: _Snapshot,
        q: sp.csr_matrix,
        qd: FloatArray | None,
        exclude: tuple[int, int] | None = None,
    ) -> tuple[IntArray, npt.NDArray[np.float64], list[tuple[int, int]]]:
        """Per live article: (article ids, signals matrix n × s, (segment, group) locations).

        ``exclude`` = (segment, row): leave that row out (leave-one-out calibration); the query
        is then that row's own text, so its vector equals the row vector.
        """
        ids_parts: list[IntArray] = []
        sig_parts: list[npt.NDArray[np.float64]] = []
        locs: list[tuple[int, int]] = []
        for si, (seg, live) in enumerate(zip(snap.segments, snap.alive, strict=True)):
            if not live.any():
                continue
            rows = np.zeros(seg.n_rows, np.float64)
            cen = np.zeros(len(seg.slot_lang), np.float64)
            if q.nnz:
                r = q @ seg.xt
                rows[r.indices] = r.data
                c = q @ seg.st
                cen[c.indices] = c.data
            excl_slot = -1
            if exclude is not None and exclude[0] == si:
                rows[exclude[1]] = -1.0
                excl_slot = int(seg.row_slot[exclude[1]])
            slot_max = np.maximum.reduceat(rows, seg.slot_row_start[:-1])
            slot_cen = cen / seg.s_norm
            if excl_slot >= 0:
                sq = max(float(seg.s_sqnorm[excl_slot]) - 2.0 * cen[excl_slot] + 1.0, 0.0)
                n_left = seg.slot_row_start[excl_slot + 1] - seg.slot_row_start[excl_slot] - 1
                slot_cen[excl_slot] = (cen[excl_slot] - 1.0) / math.sqrt(sq) if n_left else 0.0
                if sq < 1e-9:
                    slot_cen[excl_slot] = 0.0
            cols = [slot_max, slot_cen]
            if snap.dense:
                if qd is not None and seg.dense_sum is not None and seg.dense_norm is not None:
                    dsum = seg.dense_sum @ qd
                    if seg.dense_rows is not None:
                        drow = (seg.dense_rows @ qd).astype(np.float64)
                        if excl_slot >= 0:
                            drow[exclude[1]] = -1.0  # type: ignore[index]
                        dmax = np.maximum.reduceat(drow, seg.slot_row_start[:-1])
                        dcen = (dsum / seg.dense_norm).astype(np.float64)
                        if excl_slot >= 0 and seg.dense_sqnorm is not None:
                            sq = float(seg.dense_sqnorm[excl_slot]) - 2.0 * dsum[excl_slot] + 1.0
                            dcen[excl_slot] = (
                                (dsum[excl_slot] - 1.0) / math.sqrt(sq) if sq > 1e-9 else 0.0
                            )
                    else:
                        dcen = (dsum / seg.dense_norm).astype(np.float64)
                        dmax = dcen
                    cols += [dmax, dcen]
                else:
                    cols += [np.zeros_like(slot_max), np.zeros_like(slot_max)]
            slot_sig = np.column_stack(cols)
            group_sig = np.maximum.reduceat(slot_sig, seg.group_slot_start[:-1], axis=0)
            gl = np.flatnonzero(live)
            ids_parts.append(seg.group_ids[gl])
            sig_parts.append(group_sig[gl])
            locs.extend((si, int(g)) for g in gl)
        if not ids_parts:
            return np.zeros(0, np.int64), np.zeros((0, snap.n_signals)), []
        return np.concatenate(ids_parts), np.vstack(sig_parts), locs

    def _candidates(self, sig: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.int64]:
        base = sig.mean(axis=1)
        k = min(k, base.shape[0])
        if k <= 0:
            return np.zeros(0, np.int64)
        part = np.argpartition(-base, k - 1)[:k] if base.shape[0] > k else np.arange(k)
        return part[np.argsort(-base[part], kind="stable")].astype(np.int64)

    # -- calibration -------------------------------------------------------------------------

    def _calibrated(
        self, snap: _Snapshot, examples: Sequence[tuple[str, int | None]] | None
    ) -> _Snapshot:
        groups: list[tuple[npt.NDArray[np.float64], int | None]] = []
        in_scope: list[bool] = []
        if not snap.segments:
            return snap
        k = self.cfg.candidates
        queries: list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any]] = []
        if examples is None:
            queries.extend(self._held_out_rows(snap))
        else:
            for text, aid in examples:
                lang = tx.detect_language(text)
                q, qd = self._query_vectors(snap, text, lang)
                queries.append((q, qd, aid, None))
        if examples is None or all(aid is not None for _, aid in examples):
            for text, lang in off_topic_examples():
                q, qd = self._query_vectors(snap, text, lang)
                queries.append((q, qd, None, None))
        for q, qd, aid, exclude in queries:
            ids, sig, _ = self._signals(snap, q, qd, exclude)
            cand = self._candidates(sig, k)
            right = None
            if aid is not None:
                pos = np.flatnonzero(ids[cand] == aid)
                right = int(pos[0]) if pos.size else None
            groups.append((sig[cand], right))
            in_scope.append(aid is not None)
        cal = Calibrator(snap.n_signals)
        cal.fit(groups)
        conf, correct = [], []
        for (sig_c, right), _ins in zip(groups, in_scope, strict=True):
            p = cal.predict(sig_c)
            if p.size == 0:
                conf.append(0.0)
                correct.append(False)
                continue
            top = int(np.argmax(p))
            conf.append(float(p[top]))
            correct.append(right is not None and top == right)
        threshold = tune_threshold(conf, correct, in_scope)
        stats = dict(snap.stats)
        stats.update({"calibration_queries": len(groups), "threshold": threshold})
        return _Snapshot(
            segments=snap.segments,
            alive=snap.alive,
            where=snap.where,
            articles=snap.articles,
            idf=snap.idf,
            calibrator=cal,
            threshold=threshold,
            dense=snap.dense,
            generation=snap.generation,
            dense_per_row=snap.dense_per_row,
            stats=stats,
        )

    def _held_out_rows(
        self, snap: _Snapshot
    ) -> list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any]]:
        """Leave-one-out queries: sampled example questions scored without their own row."""
        seg = snap.segments[0]
        candidates: list[tuple[int, str, str, int]] = []
        for g, aid in enumerate(seg.group_ids):
            lo, hi = seg.group_slot_start[g], seg.group_slot_start[g + 1]
            for s in range(lo, hi):
                lang = seg.slot_lang[s]
                art = snap.articles[int(aid)][lang]
                rows = _rows_of(art)
                if len(rows) < 2:
                    continue
                start = int(seg.slot_row_start[s])
                for j, text in enumerate(rows[1:], start=1):
                    candidates.append((start + j, text, lang, int(aid)))
        rng = random.Random(13)
        if len(candidates) > self.cfg.calibration_sample:
            candidates = rng.sample(candidates, self.cfg.calibration_sample)
        out: list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any]] = []
        for row, text, lang, aid in candidates:
            raw = _raw_counts([self._featurizer.ids(text, lang)])
            q = _weight(raw, snap.idf, self.cfg)
            qd = None
            if snap.dense and seg.dense_rows is not None:
                qd = seg.dense_rows[row]
            elif snap.dense and self._embedder is not None:
                qd = self._embedder.embed([text], "query")[0]
            out.append((q, qd, aid, (0, row)))
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
        q, qd = self._query_vectors(snap, query, lang)
        if q.nnz == 0 and qd is None:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        ids, sig, locs = self._signals(snap, q, qd)
        cand = self._candidates(sig, self.cfg.candidates)
        if cand.size == 0:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        conf = snap.calibrator.predict(sig[cand])
        order = np.argsort(-conf, kind="stable")
        base = sig[cand].mean(axis=1)
        hits: list[Hit] = []
        for o in order[:limit]:
            c = int(cand[o])
            hit = self._hit(snap, int(ids[c]), locs[c], lang, float(base[o]), float(conf[o]))
            if hit is not None:
                hits.append(hit)
        if not hits:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        decision: Decision = "answer"
        if hits[0].confidence < snap.threshold:
            decision = "abstain"
        elif len(hits) > 1 and hits[1].confidence >= self.cfg.clarify_ratio * hits[0].confidence:
            decision = "clarify"
            cut = self.cfg.clarify_ratio * hits[0].confidence
            hits = [h for h in hits if h.confidence >= cut][:3]
        return SearchResult(query=query, language=lang, hits=tuple(hits), decision=decision)

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

    @property
    def embedder(self) -> Embedder | None:
        return self._embedder


def dense_vector_size() -> int:
    return DIM
