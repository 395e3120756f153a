"""Cross-lingual matching: a question in a language an article has no translation in.

Each article is scored on several signals: sparse word/character overlap, e5 (multilingual)
similarity, MiniLM (English-only) similarity and the classifier. For an article without a
translation in the query's language, only e5 can see a match: the sparse and MiniLM signals
are ~0 for every such article. Scored as they are, an English-only KB asked in Serbian ranks
by noise (the fusion learnt on same-language questions leans on the sparse and MiniLM
signals), and every answer falls under the threshold.

So for those articles the same-language signals are not read as zeros but as missing, and
stand-ins are put in: what a same-language question with that e5 similarity scores on them,
by a linear fit on the calibration queries (``fit_imputer``). The article then competes with
the evidence it has, on the scale the fusion and the threshold were fitted on.

When no candidate has the query's language, the candidates are ranked and their confidence
computed from the e5 evidence alone (``Snapshot.foreign``): the nearest example, the centroid,
and the mean of the ``NEAREST`` nearest examples (``nearest_mean``). Across languages one
nearest example is often a near miss that happens to share a word's meaning; several of them
agreeing is the steadier sign (validation: docs/decisions.md, "KB second pass, part 3").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from kb.search.dense import DIM
from kb.search.segments import LANGUAGE_BIT, Snapshot
from kb.search.types import FloatArray, IntArray

#: The e5 signal columns (nearest row, centroid).
E5_COLUMNS: Final = [2, 3]
#: Nearest example rows averaged by ``nearest_mean``.
NEAREST: Final = 3


def same_language_columns(spaces: int) -> list[int]:
    """Signal columns that only a same-language text can raise: sparse max and centroid, and
    MiniLM's (the second dense space) when present."""
    return [0, 1, 4, 5] if spaces >= 2 else [0, 1]


def foreign(
    snap: Snapshot, seg_idx: IntArray, grp_idx: IntArray, lang: str | None
) -> npt.NDArray[np.bool_]:
    """Per article (segment, group): True when it has no translation in ``lang``."""
    out = np.zeros(seg_idx.shape[0], bool)
    bit = LANGUAGE_BIT.get(lang or "", 0)
    if not bit:
        return out
    for si, seg in enumerate(snap.segments):
        mine = seg_idx == si
        if mine.any() and seg.group_langs is not None:
            out[mine] = (seg.group_langs[grp_idx[mine]] & bit) == 0
    return out


def fit_imputer(groups: Sequence[npt.NDArray[np.float64]], spaces: int) -> FloatArray | None:
    """Least squares of the columns an article without the query's language cannot raise on
    [1, e5 max, e5 centroid], over every candidate of the calibration queries: 3 × (the
    same-language columns, then the classifier's when the signals have it). None without e5."""
    rows = [g for g in groups if g.shape[0]]
    if not rows:
        return None
    sig = np.vstack(rows)
    n_base = 2 + 2 * spaces
    if sig.shape[1] < 4:
        return None
    x = np.column_stack([np.ones(sig.shape[0]), sig[:, 2], sig[:, 3]])
    cols = same_language_columns(spaces) + ([n_base] if sig.shape[1] > n_base else [])
    coef, *_ = np.linalg.lstsq(x, sig[:, cols], rcond=None)
    out: FloatArray = coef.astype(np.float64)
    return out


def impute(
    sig: npt.NDArray[np.float64],
    mask: npt.NDArray[np.bool_],
    imputer: FloatArray,
    spaces: int,
    *,
    query_in_second_space: bool = True,
) -> npt.NDArray[np.float64]:
    """``sig`` with the same-language columns (and the classifier's, when present and fitted)
    of the ``mask`` rows replaced by stand-ins. ``query_in_second_space``: False when the
    query has no MiniLM vector (it is not English): then no article has a MiniLM signal, and a
    stand-in there would favour the articles without the query's language."""
    if not mask.any():
        return sig
    n_base = 2 + 2 * spaces
    fitted = same_language_columns(spaces)
    if imputer.shape[1] > len(fitted):
        fitted = [*fitted, n_base]
    use = [
        i
        for i, col in enumerate(fitted)
        if col < sig.shape[1] and (query_in_second_space or col not in (4, 5))
    ]
    cols = [fitted[i] for i in use]
    out = sig.copy()
    rows = out[mask]
    x = np.column_stack([np.ones(rows.shape[0]), rows[:, 2], rows[:, 3]])
    rows[:, cols] = x @ imputer[:, use]
    out[mask] = rows
    return out


def nearest_mean(
    snap: Snapshot,
    seg_idx: IntArray,
    grp_idx: IntArray,
    qd: FloatArray,
    fallback: npt.NDArray[np.float64],
    exclude: tuple[int, int] | None = None,
) -> npt.NDArray[np.float64]:
    """Per candidate (segment, group): the mean e5 cosine of the query and the article's
    ``NEAREST`` nearest rows, every translation's (``exclude`` = (segment, row) is left out:
    leave-one-out calibration). ``fallback`` (the nearest-row signal) where a segment keeps no
    row vectors."""
    out = np.asarray(fallback, np.float64).copy()
    q = qd[:DIM]
    for i, (si, g) in enumerate(zip(seg_idx.tolist(), grp_idx.tolist(), strict=True)):
        seg = snap.segments[si]
        if seg.dense_rows is None:
            continue
        lo = int(seg.slot_row_start[seg.group_slot_start[g]])
        hi = int(seg.slot_row_start[seg.group_slot_start[g + 1]])
        dots = (seg.dense_rows[lo:hi, :DIM] @ q).astype(np.float64)
        if exclude is not None and exclude[0] == si and lo <= exclude[1] < hi:
            dots = np.delete(dots, exclude[1] - lo)
        if dots.size:
            k = min(NEAREST, dots.size)
            out[i] = float(np.partition(dots, dots.size - k)[dots.size - k :].mean())
    return out


def foreign_features(
    snap: Snapshot,
    sig: npt.NDArray[np.float64],
    seg_idx: IntArray,
    grp_idx: IntArray,
    qd: FloatArray | None,
    exclude: tuple[int, int] | None = None,
) -> npt.NDArray[np.float64]:
    """What ``Snapshot.foreign`` scores candidates on: e5 nearest row, centroid, nearest mean."""
    e5 = sig[:, E5_COLUMNS]
    near = e5[:, 0] if qd is None else nearest_mean(snap, seg_idx, grp_idx, qd, e5[:, 0], exclude)
    return np.column_stack([e5, near])
