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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from kb.search.segments import LANGUAGE_BIT, Snapshot
from kb.search.types import FloatArray, IntArray

#: The e5 signal columns (nearest row, centroid).
E5_COLUMNS: Final = [2, 3]


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
