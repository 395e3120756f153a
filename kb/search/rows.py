"""Row vectors and their maths: dot products of some rows with a query, for TF-IDF matrices
(edit segments) and for the compact rows of a large segment.

A large segment does not keep its rows as weights. A row is kept as its words: the numbers
of its whitespace-separated chunks in the featuriser's ``ChunkTable``, which holds each
chunk's lemma and character n-gram ids once. A row's weight for a feature is
``(1 + log count) × idf[feature] × scale[row, block]`` (``features.weigh``), so besides its
chunks a row keeps two block scales and, for the few features it holds more than once (~4 %
of them), a correction from ``count`` to ``1 + log count``. The weights are formed for the
rows a query reads. At 100,000 articles (1.2 M rows, ~130 features each) that is ~0.1 GB
instead of 1.24 GB of TF-IDF matrix.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb.search.features import (
    N_FEATURES,
    WORD_SPACE,
    ChunkTable,
    bigram_ids,
    counts_of,
    idf_from_df,
    ranges,
    weigh_with_scales,
)
from kb.search.types import EngineConfig, FloatArray, IntArray

SCRATCH = threading.local()


def query_lookup(q: sp.csr_matrix, idf: FloatArray | None = None) -> FloatArray:
    """A per-thread dense feature → weight array holding ``q`` (times ``idf`` when given;
    cleared by ``clear_lookup``), so gathers are O(postings) instead of a search per element."""
    arr: FloatArray | None = getattr(SCRATCH, "lookup", None)
    if arr is None:
        arr = np.zeros(N_FEATURES, np.float32)
        SCRATCH.lookup = arr
    arr[q.indices] = q.data if idf is None else q.data * idf[q.indices]
    return arr


def clear_lookup(arr: FloatArray, q: sp.csr_matrix) -> None:
    arr[q.indices] = 0.0


@dataclass(frozen=True)
class CompactRows:
    """rows × features, kept as chunk numbers, block scales and repeat corrections."""

    table: ChunkTable
    tok_ptr: IntArray  # n_rows + 1
    toks: npt.NDArray[np.int32]  # chunk numbers
    dup_ptr: IntArray  # n_rows + 1
    dup_feat: npt.NDArray[np.int32]  # features a row holds more than once
    dup_extra: FloatArray  # (1 + log count) - count, for each of them
    scale: FloatArray  # n_rows × 2: word block, char block
    idf: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.tok_ptr.shape[0]) - 1, N_FEATURES)

    @property
    def nbytes(self) -> int:
        parts = (self.tok_ptr, self.toks, self.dup_ptr, self.dup_feat, self.dup_extra, self.scale)
        return sum(a.nbytes for a in parts)

    def dots(self, rows: IntArray, q: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Dot products of ``rows`` with the one-row TF-IDF query ``q``.

        Rows of one article share most of their words, so each distinct chunk among the rows
        is scored once (its lemma and character features against the query), and a row adds
        up its chunks, its lemma pairs and its repeat corrections."""
        n = rows.shape[0]
        if q.nnz == 0 or n == 0:
            return np.zeros(n, np.float64)
        table = self.table
        lemma_ptr, lemma_ids = table.lemma_ptr, table.lemmas
        char_ptr, char_ids = table.char_ptr, table.chars
        lo, hi = self.tok_ptr[rows], self.tok_ptr[rows + 1]
        toks = self.toks[ranges(lo, hi)]
        tok_row = np.repeat(np.arange(n), hi - lo)
        uniq, inv = np.unique(toks, return_inverse=True)
        ulo, uhi = lemma_ptr[uniq], lemma_ptr[uniq + 1]
        clo, chi = char_ptr[uniq], char_ptr[uniq + 1]
        u = np.arange(uniq.shape[0])
        llo, lhi = lemma_ptr[toks], lemma_ptr[toks + 1]
        lem = lemma_ids[ranges(llo, lhi)]
        lem_row = np.repeat(tok_row, lhi - llo)
        pair = lem_row[:-1] == lem_row[1:]
        big = bigram_ids(lem[:-1][pair], lem[1:][pair])
        dlo, dhi = self.dup_ptr[rows], self.dup_ptr[rows + 1]
        dpos = ranges(dlo, dhi)
        dup = self.dup_feat[dpos]
        # the query's weights times idf: a feature's occurrence then adds lookup[feature]
        lookup = query_lookup(q, self.idf)
        try:
            u_word = np.bincount(
                np.repeat(u, uhi - ulo), lookup[lemma_ids[ranges(ulo, uhi)]], u.shape[0]
            )
            u_char = np.bincount(
                np.repeat(u, chi - clo), lookup[char_ids[ranges(clo, chi)]], u.shape[0]
            )
            big_w = lookup[big]
            fix = self.dup_extra[dpos] * lookup[dup]
        finally:
            clear_lookup(lookup, q)
        # one sum per (row, block): key 2·row for the word block, 2·row + 1 for the char block
        dup_row = np.repeat(np.arange(n), dhi - dlo)
        key = np.concatenate(
            [
                2 * tok_row,
                2 * tok_row + 1,
                2 * lem_row[:-1][pair],
                2 * dup_row + (dup >= WORD_SPACE),
            ]
        )
        weights = np.concatenate([u_word[inv], u_char[inv], big_w, fix])
        sums = np.bincount(key, weights=weights, minlength=2 * n).reshape(n, 2)
        out: npt.NDArray[np.float64] = (sums * self.scale[rows]).sum(axis=1)
        return out

    def weighted(self, rows: IntArray) -> sp.csr_matrix:
        """Some rows as a TF-IDF matrix."""
        lo, hi = self.tok_ptr[rows], self.tok_ptr[rows + 1]
        x = counts_of(self.table, self.toks[ranges(lo, hi)], (hi - lo).astype(np.int64))
        row_of = np.repeat(np.arange(rows.shape[0]), np.diff(x.indptr))
        block = (x.indices >= WORD_SPACE).astype(np.int64)
        w = (1.0 + np.log(x.data)) * self.idf[x.indices]
        x.data = (w * self.scale[rows[row_of], block]).astype(np.float32)
        return x

    def row(self, r: int) -> sp.csr_matrix:
        """Row ``r`` as a one-row TF-IDF matrix (a held-out example question as a query)."""
        return self.weighted(np.array([r], np.int64))

    def to_csr(self) -> sp.csr_matrix:
        """All rows as a TF-IDF matrix (the classifier's input; small KBs only)."""
        return self.weighted(np.arange(self.shape[0], dtype=np.int64))


RowMatrix: TypeAlias = sp.csr_matrix | CompactRows


def row_vector(m: RowMatrix, r: int) -> sp.csr_matrix:
    return m.row(r) if isinstance(m, CompactRows) else m[r]


def dot_rows(m: RowMatrix, rows: IntArray, q: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """Dot products of some rows of ``m`` with the one-row query ``q``, touching only those
    rows: no transposes, no copies of ``m``."""
    if isinstance(m, CompactRows):
        return m.dots(rows, q)
    if q.nnz == 0 or rows.shape[0] == 0:
        return np.zeros(rows.shape[0], np.float64)
    lo, hi = m.indptr[rows], m.indptr[rows + 1]
    pos = ranges(lo, hi)
    lookup = query_lookup(q)
    try:
        contrib = m.data[pos] * lookup[m.indices[pos]]
    finally:
        clear_lookup(lookup, q)
    owner = np.repeat(np.arange(rows.shape[0]), hi - lo)
    out: npt.NDArray[np.float64] = np.bincount(
        owner, weights=contrib, minlength=rows.shape[0]
    ).astype(np.float64)
    return out


@dataclass(frozen=True)
class LargeBuild:
    """What ``build_large`` makes for a large segment."""

    x: CompactRows
    st: sp.csr_matrix  # features × slots: slot sums of the features stage one may read
    s_sqnorm: FloatArray  # per slot, |sum of its rows|²
    idf: FloatArray


Tokenize = Callable[[Sequence[tuple[str, str]]], tuple[ChunkTable, npt.NDArray[np.int32], IntArray]]


def build_large(
    tokenize: Tokenize,
    texts: Sequence[tuple[str, str]],
    slot_row_start: IntArray,
    idf: FloatArray | None,
    cfg: EngineConfig,
    chunk: int,
) -> LargeBuild:
    """Vectorise a large segment in chunks of whole slots.

    Pass one turns each chunk into chunk numbers and counts (document frequencies, repeats);
    pass two forms each chunk's weights once, keeps their block scales and sums them per slot
    for stage one. The inverted index of slot sums leaves out features found in more slots
    than stage one ever reads (``postings_budget``): they are most of its size (at 100,000
    articles, ~80 % of postings in ~500 features) and never pick a candidate.
    """
    n_rows = len(texts)
    n_slots = slot_row_start.shape[0] - 1
    cuts = np.unique(np.searchsorted(slot_row_start, np.arange(0, n_rows, chunk)))
    bounds = [int(slot_row_start[c]) for c in cuts] + [n_rows]
    df = np.zeros(N_FEATURES, np.float64)
    slot_df = np.zeros(N_FEATURES, np.int64)
    table: ChunkTable | None = None
    tok_parts: list[npt.NDArray[np.int32]] = []
    per_row_parts: list[IntArray] = []
    dup_feat_parts: list[npt.NDArray[np.int32]] = []
    dup_extra_parts: list[FloatArray] = []
    dup_per_row = np.zeros(n_rows, np.int64)
    for lo, hi in itertools.pairwise(bounds):
        tab, toks, per_row = tokenize(texts[lo:hi])
        assert table is None or tab is table, "one table for the whole build"
        table = tab
        raw = counts_of(tab, toks, per_row)
        df += np.bincount(raw.indices, minlength=N_FEATURES)
        slot_df += np.bincount(
            _slot_sums(raw, slot_row_start, lo, hi).indices, minlength=N_FEATURES
        )
        rep = raw.data > 1
        dup_feat_parts.append(raw.indices[rep].astype(np.int32))
        k = raw.data[rep].astype(np.float64)
        dup_extra_parts.append((1.0 + np.log(k) - k).astype(np.float32))
        row_of = np.repeat(np.arange(hi - lo), np.diff(raw.indptr))
        dup_per_row[lo:hi] = np.bincount(row_of[rep], minlength=hi - lo)
        tok_parts.append(toks)
        per_row_parts.append(per_row)
        del raw
    assert table is not None
    if idf is None:
        idf = idf_from_df(df, n_rows)
    tok_ptr = _ptr(np.concatenate(per_row_parts) if per_row_parts else np.zeros(0, np.int64))
    rows = CompactRows(
        table=table,
        tok_ptr=tok_ptr,
        toks=np.concatenate(tok_parts) if tok_parts else np.zeros(0, np.int32),
        dup_ptr=_ptr(dup_per_row),
        dup_feat=np.concatenate(dup_feat_parts) if dup_feat_parts else np.zeros(0, np.int32),
        dup_extra=np.concatenate(dup_extra_parts) if dup_extra_parts else np.zeros(0, np.float32),
        scale=np.zeros((n_rows, 2), np.float32),
        idf=idf,
    )
    del tok_parts, dup_feat_parts, dup_extra_parts
    keep = slot_df <= cfg.postings_budget
    s_sq = np.zeros(n_slots, np.float32)
    pruned: list[sp.csr_matrix] = []
    for lo, hi in itertools.pairwise(bounds):
        a, b = int(tok_ptr[lo]), int(tok_ptr[hi])
        x = counts_of(table, rows.toks[a:b], np.diff(tok_ptr[lo : hi + 1]))
        x, sw, sc = weigh_with_scales(x, idf, cfg)
        rows.scale[lo:hi, 0], rows.scale[lo:hi, 1] = sw, sc
        s = _slot_sums(x, slot_row_start, lo, hi)
        first = int(np.searchsorted(slot_row_start, lo))
        s_row = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr))
        s_sq[first : first + s.shape[0]] = np.bincount(
            s_row, weights=s.data.astype(np.float64) ** 2, minlength=s.shape[0]
        )
        mask = keep[s.indices]
        pruned.append(
            sp.csr_matrix(
                (
                    s.data[mask],
                    s.indices[mask],
                    _ptr(np.bincount(s_row[mask], minlength=s.shape[0])),
                ),
                shape=(s.shape[0], N_FEATURES),
            )
        )
    s_all = sp.vstack(pruned, format="csr") if pruned else sp.csr_matrix((0, N_FEATURES))
    del pruned
    st = s_all.T.tocsr()
    return LargeBuild(x=rows, st=st, s_sqnorm=s_sq, idf=idf)


def _ptr(per_row: npt.NDArray[Any]) -> IntArray:
    out = np.zeros(per_row.shape[0] + 1, np.int64)
    np.cumsum(per_row, out=out[1:])
    return out


def _slot_sums(x: sp.csr_matrix, slot_row_start: IntArray, lo: int, hi: int) -> sp.csr_matrix:
    """slots × features: the sums of the rows ``lo:hi`` of ``x`` (whole slots) per slot."""
    first = int(np.searchsorted(slot_row_start, lo))
    last = int(np.searchsorted(slot_row_start, hi))
    ptr = slot_row_start[first : last + 1] - lo
    agg = sp.csr_matrix(
        (np.ones(hi - lo, np.float32), np.arange(hi - lo), ptr), shape=(last - first, hi - lo)
    )
    out: sp.csr_matrix = agg @ x
    out.sort_indices()
    return out
