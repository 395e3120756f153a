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
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb import text as tx
from kb.search import classifier, crosslingual, signals
from kb.search.calibration import Calibrator, off_topic_examples, tune_threshold
from kb.search.classifier import Classifier
from kb.search.decision import decide, offer_mass
from kb.search.dense import DIM, Embedder, Kind, load_embedder
from kb.search.drift import IdfDrift
from kb.search.features import (
    CHUNK,
    LARGE_CHUNK,
    N_FEATURES,
    Featurizer,
    idf_from_df,
    weigh,
)
from kb.search.rows import CompactRows, RowMatrix, build_large, row_vector
from kb.search.segments import (
    Segment,
    Snapshot,
    SparsePart,
    dense_inputs,
    fixed_rows,
    group_languages,
    rows_of,
)
from kb.search.types import (
    EngineConfig,
    FloatArray,
    Hit,
    IndexedArticle,
    SearchResult,
)

logger = logging.getLogger(__name__)


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
        self._snap: Snapshot | None = None
        self._retrain_lock = threading.Lock()
        self._retrain_thread: threading.Thread | None = None
        self._refit_thread: threading.Thread | None = None
        self._generation = 0
        self._generation_lock = threading.Lock()
        #: Full builds done by the drift policy (``kb.search.drift``), for stats and tests.
        self.refits = 0
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

    def memory(self) -> dict[str, float]:
        """MB held in arrays by the current snapshot, by part (benchmarks, /metrics)."""
        snap = self._snap
        parts = {"rows": 0, "inverted": 0, "dense": 0, "chunk_table": 0, "other": 0}
        if snap is None:
            return {}
        tables: dict[int, int] = {}
        for seg in snap.segments:
            for name in ("xt", "st"):
                m = getattr(seg, name)
                if m is not None:
                    parts["inverted"] += m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
            if isinstance(seg.x, CompactRows):
                parts["rows"] += seg.x.nbytes
                t = seg.x.table
                tables[id(t)] = sum(a.nbytes for a in (t.lemma_ptr, t.lemmas, t.char_ptr, t.chars))
            elif seg.x is not None:
                parts["rows"] += seg.x.data.nbytes + seg.x.indices.nbytes + seg.x.indptr.nbytes
            for name in ("dense_rows", "dense_sum", "dense_norm", "dense_sqnorm"):
                a = getattr(seg, name)
                parts["dense"] += a.nbytes if a is not None else 0
            for name in ("group_ids", "group_slot_start", "slot_group", "slot_row_start",
                         "row_slot", "s_norm", "s_sqnorm"):  # fmt: skip
                parts["other"] += getattr(seg, name).nbytes
        parts["chunk_table"] = sum(tables.values())
        parts["other"] += snap.idf.nbytes
        out = {f"{k}_mb": round(v / 2**20, 1) for k, v in parts.items()}
        out["arrays_mb"] = round(sum(parts.values()) / 2**20, 1)
        return out

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
            self._featurizer.counts(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)
        ]
        if idf is None:
            df = np.zeros(N_FEATURES, np.float64)
            for raw in chunks:
                df += np.bincount(raw.indices, minlength=N_FEATURES)
            idf = idf_from_df(df, len(texts))
        weighted = [weigh(raw, idf, self.cfg) for raw in chunks]
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
    ) -> tuple[Segment, FloatArray, RowMatrix, list[tuple[str, str]]]:
        """Vectorise whole articles into one segment; also returns the row matrix and texts.

        ``main``: the segment of a full build gets inverted indexes (rows when small, slot
        centroids when large, with compact rows: ``kb.search.rows``); edit segments are small
        and scored row by row.
        """
        group_ids, group_slot_start = [], [0]
        slot_lang: list[str] = []
        slot_group: list[int] = []
        slot_row_start = [0]
        texts: list[tuple[str, str]] = []
        dense_in: list[tuple[str, str, Kind]] = []
        passages: list[tuple[str, str | None, Kind]] = []
        embedding = self._embedder is not None
        for g, (aid, translations) in enumerate(groups):
            group_ids.append(aid)
            for art in translations:
                rows = rows_of(art, self.cfg.answer_chars)
                texts.extend((r, art.language) for r in rows)
                if embedding and dense_per_row:
                    dense_in.extend(dense_inputs(art, rows, self.cfg.answer_chars))
                elif embedding:
                    passages.append(
                        (" ".join([art.title, *art.questions[:5]]), art.language, "passage")
                    )
                slot_lang.append(art.language)
                slot_group.append(g)
                slot_row_start.append(slot_row_start[-1] + len(rows))
            group_slot_start.append(len(slot_lang))
        row_start = np.asarray(slot_row_start, np.int64)
        row_slot = np.repeat(np.arange(len(slot_lang)), np.diff(row_start))
        n_slots = len(slot_lang)
        x: RowMatrix
        if main and len(texts) > self.cfg.exact_rows:
            with self._featurizer.building():  # no table restart until its rows are numbered
                tokenize = self._featurizer.tokens
                large = build_large(tokenize, texts, row_start, idf, self.cfg, LARGE_CHUNK)
            x, idf_fitted, st, s_sq, xt = large.x, large.idf, large.st, large.s_sqnorm, None
        else:
            x, idf_fitted = self._vectors(texts, idf)
            # slots × features, unnormalised centroids; built from the rows' non-zeros directly
            # (no transpose, so a one-article edit segment never touches the feature dimension)
            owner = np.repeat(row_slot, np.diff(x.indptr))
            s = sp.csr_matrix((x.data, (owner, x.indices)), shape=(n_slots, N_FEATURES))
            s.sum_duplicates()
            s_sq = np.asarray(s.multiply(s).sum(axis=1)).ravel().astype(np.float32)
            del s
            st = None
            xt = x.T.tocsr() if main else None
        agg = sp.csr_matrix(
            (np.ones(len(row_slot), np.float32), row_slot, np.arange(len(row_slot) + 1)),
            shape=(len(row_slot), n_slots),
        )
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
        seg = Segment(
            group_ids=np.asarray(group_ids, np.int64),
            group_slot_start=np.asarray(group_slot_start, np.int64),
            slot_lang=slot_lang,
            slot_group=np.asarray(slot_group, np.int64),
            slot_row_start=row_start,
            row_slot=row_slot.astype(np.int64),
            xt=xt,
            x=None if xt is not None else x,
            st=st,
            s_norm=np.sqrt(np.maximum(s_sq, 1e-12)).astype(np.float32),
            s_sqnorm=s_sq,
            dense_rows=dense_rows,
            dense_sum=dense_sum,
            dense_norm=dense_norm,
            dense_sqnorm=dense_sq,
            group_langs=group_languages(slot_lang, np.asarray(group_slot_start, np.int64)),
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
        by_id: dict[int, dict[str, IndexedArticle]] = {}
        for art in articles:
            by_id.setdefault(int(art.article_id), {})[art.language] = art
        with self._write_lock:
            self._snap = self._full_build(by_id, self._snap, calibration, keep_calibration)
        if self._embedder is not None:  # a full build is worth keeping: on disk before return
            self._embedder.flush()

    def _next_generation(self) -> int:
        """Snapshot generations are unique across full builds and edits, so a classifier
        trained for one snapshot is never taken for another's."""
        with self._generation_lock:
            self._generation += 1
            return self._generation

    def _full_build(
        self,
        by_id: dict[int, dict[str, IndexedArticle]],
        prev: Snapshot | None,
        calibration: Sequence[tuple[str, int | None]] | None,
        keep_calibration: bool,
    ) -> Snapshot:
        """A new snapshot of ``by_id`` from scratch (``rebuild``, or the background refit, which
        runs it without the write lock so edits and searches go on meanwhile)."""
        t0 = time.perf_counter()
        groups = [(aid, list(tr.values())) for aid, tr in by_id.items()]
        n_rows = sum(len(rows_of(a, self.cfg.answer_chars)) for _, tr in groups for a in tr)
        per_row = n_rows <= self.cfg.dense_row_limit
        edit_gen = self._next_generation()
        spaces = self._embedder.spaces if self._embedder is not None else 1
        n_sig = 2 + 2 * spaces if self.dense else 2
        snap = Snapshot(
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
        x: RowMatrix | None = None
        texts: list[tuple[str, str]] = []
        if not groups:
            # an empty KB scores with IDF 1 until its first articles arrive: the drift says so
            snap = replace(snap, drift=IdfDrift(snap.idf, 0))
        else:
            seg, idf, x, texts = self._build_segment(groups, None, dense_per_row=per_row, main=True)
            snap = replace(
                snap,
                segments=(seg,),
                alive=(np.ones(seg.n_groups, bool),),
                where={aid: (0, g) for g, (aid, _) in enumerate(groups)},
                idf=idf,
                drift=IdfDrift(idf, n_rows),
            )
        build_s = time.perf_counter() - t0
        clf = None
        if x is not None and classifier.eligible(snap, self.cfg):
            if isinstance(x, CompactRows):  # up to classifier_max_rows: small enough
                x = x.to_csr()
            seg = snap.segments[0]
            labels = seg.group_ids[seg.slot_group[seg.row_slot]]
            clf = classifier.fit(x, seg.dense_rows, labels, edit_gen, self.cfg)
        snap = replace(snap, classifier=clf)
        clf_s = time.perf_counter() - t0 - build_s
        if (
            keep_calibration
            and prev is not None
            and prev.dense == snap.dense
            and prev.dense_per_row == snap.dense_per_row  # same signals, or fit them anew
        ):
            snap = replace(
                snap,
                calibrators=prev.calibrators,
                thresholds=prev.thresholds,
                stats=dict(prev.stats),
                imputer=prev.imputer,
                foreign=prev.foreign,
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
        return snap

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

    def _classifier_from_articles(self, snap: Snapshot) -> Classifier | None:
        """Retrain on the snapshot's current articles (after live edits)."""
        texts: list[tuple[str, str]] = []
        dense_in: list[tuple[str, str, Kind]] = []
        labels: list[int] = []
        for aid, translations in snap.articles.items():
            for art in translations.values():
                rows = rows_of(art, self.cfg.answer_chars)
                texts.extend((r, art.language) for r in rows)
                dense_in.extend(dense_inputs(art, rows, self.cfg.answer_chars))
                labels.extend([aid] * len(rows))
        if not texts:
            return None
        x, _ = self._vectors(texts, snap.idf)
        dense_rows = None
        if self._embedder is not None and snap.dense_per_row:
            dense_rows = self._embed_rows(dense_in)
        return classifier.fit(
            x, dense_rows, np.asarray(labels, np.int64), snap.edit_generation, self.cfg
        )

    def _schedule_retrain(self) -> None:
        self._start_once("_retrain_thread", self._retrain_loop, "kb-retrain")

    def _start_once(self, attr: str, target: Callable[[], None], name: str) -> None:
        """Start a background thread kept in ``attr`` unless the last one is still running."""
        with self._retrain_lock:
            running: threading.Thread | None = getattr(self, attr)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=target, name=name, daemon=True)
            setattr(self, attr, thread)
            thread.start()

    def _retrain_loop(self) -> None:
        """Debounced background retraining; until it lands, search runs without the classifier
        signal (and with the calibration fitted for that case), so edits are live at once."""
        for _ in range(20):  # bounded: a steady stream of edits cannot keep this thread forever
            time.sleep(self.cfg.retrain_delay_seconds)
            snap = self._snap
            if snap is None or snap.classifier_live or not classifier.eligible(snap, self.cfg):
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
        """Block until background retraining and refitting are done (tests, benchmarks);
        True when idle."""
        deadline = time.monotonic() + timeout
        while True:  # a refit can start a retrain and the other way round: until both rest
            busy = [t for t in (self._refit_thread, self._retrain_thread) if t and t.is_alive()]
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            busy[0].join(max(0.0, deadline - time.monotonic()))

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
        if snap is not None and snap.drift is not None and self.cfg.idf_refit_drift > 0:
            self._schedule_refit_check()

    # -- IDF refit (kb.search.drift) -----------------------------------------------------------

    @property
    def idf_drift(self) -> float:
        snap = self._snap
        return snap.drift.value() if snap is not None and snap.drift is not None else 0.0

    def _schedule_refit_check(self) -> None:
        self._start_once("_refit_thread", self._refit_loop, "kb-refit")

    def _refit_loop(self) -> None:
        """Wait for a burst of edits to pass, measure the drift, refit when it is too large."""
        for _ in range(20):  # bounded, like the retrain loop
            time.sleep(self.cfg.refit_check_delay_seconds)
            snap = self._snap
            if snap is None or snap.drift is None:
                return
            edits = snap.drift.edits
            if snap.drift.value() < self.cfg.idf_refit_drift:
                if snap.drift.edits == edits:
                    return  # no edit came in while measuring: settled below the line
                continue
            try:
                self._refit(snap)
            except Exception:
                logger.exception("IDF refit failed; keeping the frozen IDF")
                return
            # edits replayed or made since may have moved it past the line again: look again

    def _refit(self, base: Snapshot) -> None:
        """Full build of ``base``'s articles without the write lock; then, under it, replay the
        edits made since ``base`` and swap the result in."""
        fresh = self._full_build(base.articles, base, None, False)
        with self._write_lock:
            cur = self._require()
            if cur.generation != base.generation:
                return  # a full build (``rebuild``) came in meanwhile: it is newer than ours
            changed = [
                aid
                for aid in set(base.articles) | set(cur.articles)
                if base.articles.get(aid) is not cur.articles.get(aid)
            ]
            for aid in changed:
                arts = dict(fresh.articles)
                if aid in cur.articles:
                    arts[aid] = cur.articles[aid]
                else:
                    arts.pop(aid, None)
                fresh = self._replace_group(fresh, aid, arts)
            fresh.stats["refit_replayed_edits"] = len(changed)
            self._snap = fresh
            self.refits += 1
        logger.info("KB index refitted its IDF (%d edits replayed)", len(changed))
        if self._embedder is not None:
            self._embedder.flush()
        if fresh.classifier is not None and not fresh.classifier_live:
            self._schedule_retrain()

    def _require(self) -> Snapshot:
        if self._snap is None:
            self.rebuild([])
        assert self._snap is not None
        return self._snap

    def _replace_group(
        self, snap: Snapshot, aid: int, arts: dict[int, dict[str, IndexedArticle]]
    ) -> Snapshot:
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
        if snap.drift is not None:
            snap.drift.change(
                self._row_counts(snap.articles.get(aid, {}).values()),
                self._row_counts(arts.get(aid, {}).values()),
            )
        return replace(
            snap,
            segments=tuple(segments),
            alive=tuple(alive),
            where=where,
            articles=arts,
            edit_generation=self._next_generation(),
        )

    def _row_counts(self, translations: Iterable[IndexedArticle]) -> sp.csr_matrix | None:
        texts = [(r, a.language) for a in translations for r in rows_of(a, self.cfg.answer_chars)]
        return self._featurizer.counts(texts) if texts else None

    def _merge_small(
        self,
        snap: Snapshot,
        segments: list[Segment],
        alive: list[npt.NDArray[np.bool_]],
        arts: dict[int, dict[str, IndexedArticle]],
        where: dict[int, tuple[int, int]],
    ) -> tuple[list[Segment], list[npt.NDArray[np.bool_]], dict[int, tuple[int, int]]]:
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

    def _sparse_query(self, snap: Snapshot, text: str, lang: str | None) -> sp.csr_matrix:
        return weigh(self._featurizer.counts([(text, lang)]), snap.idf, self.cfg)

    def _query_vectors(
        self, snap: Snapshot, text: str, lang: str | None, *, persist: bool = False
    ) -> tuple[sp.csr_matrix, FloatArray | None]:
        q = self._sparse_query(snap, text, lang)
        qd = None
        if snap.dense and self._embedder is not None:
            qd = self._embed_rows([(text, lang, "query")], persist=persist)[0]
        return q, qd

    def _sparse_part(self, snap: Snapshot, q: sp.csr_matrix) -> list[SparsePart | None]:
        """Per segment, the scoring work that needs no dense vector (``signals.sparse_part``)."""
        return signals.sparse_part(snap, q, self.cfg)

    # -- calibration -------------------------------------------------------------------------

    def _calibrated(
        self,
        snap: Snapshot,
        examples: Sequence[tuple[str, int | None]] | None,
        *,
        x: RowMatrix | None = None,
        texts: Sequence[tuple[str, str]] = (),
    ) -> Snapshot:
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
        #: per query, its candidates' e5 evidence (``crosslingual.foreign_features``)
        groups_e5: list[tuple[npt.NDArray[np.float64], int | None]] = []
        cross_lingual = snap.dense and self.cfg.cross_lingual_impute
        for q, qd, aid, exclude, clf_scores in queries:
            ids, sig, seg_idx, grp_idx = signals.signals(
                snap, self.cfg, q, qd, exclude, clf_scores=clf_scores, use_classifier=has_clf
            )
            cand = signals.candidates(sig, k, snap.n_base_signals)
            right = None
            if aid is not None:
                pos = np.flatnonzero(ids[cand] == aid)
                right = int(pos[0]) if pos.size else None
            groups_full.append((sig[cand], right))
            in_scope.append(aid is not None)
            if cross_lingual:
                e5 = crosslingual.foreign_features(
                    snap, sig[cand], seg_idx[cand], grp_idx[cand], qd, exclude
                )
                groups_e5.append((e5, right))
        n_base = snap.n_base_signals
        cals: list[Calibrator] = []
        thresholds: list[float] = []
        variants = [groups_full] if has_clf else []
        variants.append([(g[:, :n_base], r) for g, r in groups_full])
        for groups in variants:
            n_cols = groups[0][0].shape[1] if groups else n_base
            cal, threshold = self._fitted_calibrator(groups, n_cols, in_scope)
            cals.append(cal)
            thresholds.append(threshold)
        if not has_clf:
            cals.insert(0, cals[0])
            thresholds.insert(0, thresholds[0])
        stats = dict(snap.stats)
        stats.update({"calibration_queries": len(queries), "threshold": thresholds[0]})
        imputer = foreign = None
        if cross_lingual:
            imputer = crosslingual.fit_imputer([g for g, _ in groups_full], snap.dense_spaces)
            foreign = self._fitted_calibrator(groups_e5, 3, in_scope, prior=(1.0, 1.0, 1.0))
        return replace(
            snap,
            calibrators=(cals[0], cals[1]),
            thresholds=(thresholds[0], thresholds[1]),
            stats=stats,
            imputer=imputer,
            foreign=foreign,
        )

    def _fitted_calibrator(
        self,
        groups: Sequence[tuple[npt.NDArray[np.float64], int | None]],
        n_cols: int,
        in_scope: Sequence[bool],
        *,
        prior: tuple[float, ...] | None = None,
    ) -> tuple[Calibrator, float]:
        """A calibrator fitted on held-out queries' candidate signals, and its threshold."""
        cal = Calibrator(n_cols, self._prior(n_cols) if prior is None else prior)
        cal.fit(groups)
        conf, correct = [], []
        for sig_c, right in groups:
            p = cal.predict(sig_c)
            top = int(np.argmax(p)) if p.size else -1
            conf.append(offer_mass(p))
            correct.append(right is not None and top == right)
        share = self.cfg.out_of_scope_share
        return cal, tune_threshold(conf, correct, in_scope, out_of_scope_share=share)

    def _held_out_rows(
        self, snap: Snapshot, x: RowMatrix | None, texts: Sequence[tuple[str, str]]
    ) -> list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any, Any]]:
        """Leave-one-out queries: sampled example questions scored without their own row; the
        classifier's scores for them come from 3-fold models that never saw them."""
        seg = snap.segments[0]
        picks: list[tuple[int, int]] = []  # (row, article id)
        for slot in range(len(seg.slot_lang)):
            start, end = int(seg.slot_row_start[slot]), int(seg.slot_row_start[slot + 1])
            aid = int(seg.group_ids[seg.slot_group[slot]])
            fixed = fixed_rows(snap.articles[aid][seg.slot_lang[slot]], self.cfg.answer_chars)
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
                    texts.extend((r, art.language) for r in rows_of(art, self.cfg.answer_chars))
            x, _ = self._vectors(texts, snap.idf)
        clf_scores: dict[int, npt.NDArray[np.float64]] = {}
        if snap.classifier is not None and picks:
            xc = x.to_csr() if isinstance(x, CompactRows) else x
            clf_scores = classifier.cross_validated_scores(
                snap, xc, [r for r, _ in picks], self.cfg
            )
        out: list[tuple[sp.csr_matrix, FloatArray | None, int | None, Any, Any]] = []
        for row, aid in picks:
            q = row_vector(x, row)
            qd = seg.dense_rows[row] if seg.dense_rows is not None else None
            if qd is None and snap.dense and self._embedder is not None:
                qd = self._embed_rows([(*texts[row], "query")])[0]
            out.append((q, qd, aid, (0, row), clf_scores.get(row)))
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
        ids, sig, seg_idx, grp_idx = signals.signals(snap, self.cfg, q, qd, sparse=sparse)
        away = np.zeros(ids.shape[0], bool)
        if snap.imputer is not None:
            away = crosslingual.foreign(snap, seg_idx, grp_idx, lang)
            in_minilm = qd is not None and qd.shape[0] > DIM and bool(np.any(qd[DIM:]))
            sig = crosslingual.impute(
                sig, away, snap.imputer, snap.dense_spaces, query_in_second_space=in_minilm
            )
        cand = signals.candidates(sig, self.cfg.candidates, snap.n_base_signals)
        if cand.size == 0:
            return SearchResult(query=query, language=lang, hits=(), decision="abstain")
        threshold = snap.threshold
        if snap.foreign is not None and away[cand].all():
            # nothing in the query's language: ranked and confidence from the e5 evidence alone
            cal, threshold = snap.foreign
            feats = crosslingual.foreign_features(snap, sig[cand], seg_idx[cand], grp_idx[cand], qd)
            conf = cal.predict(feats + self.cfg.cross_lingual_gap)
        else:
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
        decision, shown = decide(hits, conf, threshold, self.cfg.clarify_ratio)
        return SearchResult(query=query, language=lang, hits=tuple(shown), decision=decision)

    def _query_and_sparse_part(
        self, snap: Snapshot, query: str, lang: str
    ) -> tuple[sp.csr_matrix, FloatArray | None, list[SparsePart | None] | None]:
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
        snap: Snapshot,
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
