"""Signals: how well each live article matches a query, per segment — the best example row and
the centroid of its translations, in the sparse space and in each dense space — plus the
classifier's decision value; and the first, cheap stage that picks which articles of a large
segment are scored at all."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb.search.dense import DIM
from kb.search.features import ranges
from kb.search.rows import dot_rows
from kb.search.segments import Segment, Snapshot, SparsePart, reuse_dots
from kb.search.types import EngineConfig, FloatArray, IntArray


def signals(
    snap: Snapshot,
    cfg: EngineConfig,
    q: sp.csr_matrix,
    qd: FloatArray | None,
    exclude: tuple[int, int] | None = None,
    clf_scores: npt.NDArray[np.float64] | None = None,
    use_classifier: bool | None = None,
    sparse: Sequence[SparsePart | None] | None = None,
) -> tuple[IntArray, npt.NDArray[np.float64], IntArray, IntArray]:
    """Per live article: ids, signals (n × s), segment index, group index.

    ``exclude`` = (segment, row): leave that row out (leave-one-out calibration); the query
    is then that row's own text, so its vector equals the row vector. ``clf_scores``
    replaces the classifier's decision values (cross-validated ones during calibration).
    ``sparse``: per segment, its ``sparse_part`` when already computed.
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
        gl, group_sig = segment_signals(snap, cfg, seg, live, q, qd, excl, pre)
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


def segment_signals(
    snap: Snapshot,
    cfg: EngineConfig,
    seg: Segment,
    live: npt.NDArray[np.bool_],
    q: sp.csr_matrix,
    qd: FloatArray | None,
    exclude: tuple[int, int] | None,
    pre: SparsePart | None = None,
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """(group indices, their signals) for the live groups this segment scores."""
    if seg.st is None:
        slots = np.arange(len(seg.slot_lang))
        rows = np.arange(seg.n_rows)
        if pre is not None and pre.row_scores is not None:
            row_scores = pre.row_scores.copy()
        else:
            row_scores = all_row_scores(seg, q)
        groups = np.flatnonzero(live)
        group_starts = seg.group_slot_start[:-1]
        slot_starts = seg.slot_row_start[:-1]
    else:
        picks = pre.picks if pre is not None else None
        groups = stage_one(seg, cfg, live, q, qd, picks)
        if groups.shape[0] == 0:
            return groups, np.zeros((0, snap.n_base_signals))
        slot_lo, slot_hi = seg.group_slot_start[groups], seg.group_slot_start[groups + 1]
        slots = ranges(slot_lo, slot_hi)
        rows = ranges(seg.slot_row_start[slots], seg.slot_row_start[slots + 1])
        assert seg.x is not None
        row_scores = reuse_dots(seg.x, rows, q, pre)
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
        slot_cen[excl_slot_pos] = (cen[excl_slot_pos] - 1.0) / math.sqrt(sq) if sq > 1e-9 else 0.0
    cols = [slot_max, slot_cen]
    if snap.dense:
        for h in range(snap.dense_spaces):
            cols += (
                dense_space_signals(seg, h, slots, rows, slot_starts, qd, excl_pos, excl_slot_pos)
                if qd is not None
                else [np.zeros_like(slot_max), np.zeros_like(slot_max)]
            )
    slot_sig = np.column_stack(cols)
    group_sig = np.maximum.reduceat(slot_sig, group_starts, axis=0)
    if seg.st is None:
        return groups, group_sig[groups]
    return groups, group_sig


def dense_space_signals(
    seg: Segment,
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


def stage_one(
    seg: Segment,
    cfg: EngineConfig,
    live: npt.NDArray[np.bool_],
    q: sp.csr_matrix,
    qd: FloatArray | None,
    picks: IntArray | None = None,
) -> IntArray:
    """Candidate groups of a large segment: translations whose centroid matches the query's
    rarest features (within a postings budget), plus the nearest ones by dense vector.
    ``picks``: the first kind, when ``sparse_picks`` already ran."""
    picked: list[IntArray] = [sparse_picks(seg, q, cfg) if picks is None else picks]
    if qd is not None and seg.dense_sum is not None and seg.dense_norm is not None:
        dcen = (seg.dense_sum[:, :DIM] @ qd[:DIM]) / seg.dense_norm[:, 0]
        m = min(cfg.stage_one_candidates, dcen.shape[0])
        top = np.argpartition(-dcen, m - 1)[:m] if dcen.shape[0] > m else np.arange(m)
        picked.append(seg.slot_group[top])
    groups = np.unique(np.concatenate(picked))
    return groups[live[groups]].astype(np.int64)


def sparse_picks(seg: Segment, q: sp.csr_matrix, cfg: EngineConfig) -> IntArray:
    """Groups whose slot centroids score highest on the query's rarest features."""
    if q.nnz and seg.st is not None:
        st = seg.st
        feats = q.indices
        starts = st.indptr[feats]
        lens = st.indptr[feats + 1] - starts
        order = np.argsort(lens, kind="stable")
        order = order[lens[order] > 0]
        cum = np.cumsum(lens[order])
        n_take = max(3, int(np.searchsorted(cum, cfg.postings_budget)))
        take = order[:n_take]
        if take.shape[0]:
            pos = ranges(starts[take], starts[take] + lens[take])
            slots = st.indices[pos]
            vals = st.data[pos] * np.repeat(q.data[take], lens[take])
            acc = np.bincount(slots, weights=vals, minlength=len(seg.slot_lang))
            hit = np.flatnonzero(acc)  # only slots a posting reached can be picked
            score = acc[hit] / seg.s_norm[hit]
            m = min(cfg.stage_one_candidates, hit.shape[0])
            top = hit[np.argpartition(-score, m - 1)[:m]] if hit.shape[0] > m else hit
            return np.unique(seg.slot_group[top]).astype(np.int64)
    return np.zeros(0, np.int64)


def all_row_scores(seg: Segment, q: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """Sparse score of every row of a segment scored exactly."""
    if seg.xt is None:
        assert seg.x is not None
        return dot_rows(seg.x, np.arange(seg.n_rows), q)
    row_scores = np.zeros(seg.n_rows, np.float64)
    if q.nnz:
        r = q @ seg.xt
        row_scores[r.indices] = r.data
    return row_scores


def sparse_part(snap: Snapshot, q: sp.csr_matrix, cfg: EngineConfig) -> list[SparsePart | None]:
    """Per segment, the scoring work that needs no dense vector (see ``SparsePart``)."""
    out: list[SparsePart | None] = []
    for seg, live in zip(snap.segments, snap.alive, strict=True):
        if not live.any():
            out.append(None)
        elif seg.st is None:
            out.append(SparsePart(row_scores=all_row_scores(seg, q)))
        else:
            assert seg.x is not None
            picks = sparse_picks(seg, q, cfg)
            picks = picks[live[picks]]  # ``stage_one`` drops dead groups too
            slots = ranges(seg.group_slot_start[picks], seg.group_slot_start[picks + 1])
            rows = ranges(seg.slot_row_start[slots], seg.slot_row_start[slots + 1])
            out.append(SparsePart(picks=picks, rows=rows, scores=dot_rows(seg.x, rows, q)))
    return out


def candidates(sig: npt.NDArray[np.float64], k: int, n_base: int) -> IntArray:
    """Top-k articles by the unweighted mean of the nearest-example/centroid signals."""
    base = sig[:, :n_base].mean(axis=1)
    k = min(k, base.shape[0])
    if k <= 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(-base, k - 1)[:k] if base.shape[0] > k else np.arange(k)
    return part[np.argsort(-base[part], kind="stable")].astype(np.int64)
