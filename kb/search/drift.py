"""IDF drift: how far the IDF a snapshot scores with has moved from the IDF of the articles it
now holds, and so when the index refits it.

A full build fits the IDF; live edits keep it frozen, so an edit is live in milliseconds
(``KbIndex.upsert``). Every edit updates the document frequencies here instead (the rows of
the article's old and new version), which costs a few hundred array updates. The drift is
the posting-weighted mean absolute change of IDF,

    Σ_f df_now(f) · |idf_now(f) − idf_used(f)|  /  Σ_f df_now(f),

that is, how much the weight of an average feature occurrence in the KB is off. When it
reaches ``EngineConfig.idf_refit_drift`` the index refits in the background (a full build
from the current articles, swapped in when ready, with the edits made meanwhile replayed), so
searches and edits never wait for it.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb.search.features import idf_from_df
from kb.search.types import FloatArray


class IdfDrift:
    """Document frequencies kept current through edits, against the IDF in use."""

    def __init__(self, idf_used: FloatArray, n_docs: int) -> None:
        self.idf_used = idf_used
        n = max(n_docs, 1)
        # the build's document frequencies, recovered from its IDF (idf = log((1+n)/(1+df)) + 1)
        df = np.rint((1.0 + n) * np.exp(1.0 - idf_used.astype(np.float64)) - 1.0)
        self.df: npt.NDArray[np.float64] = np.maximum(df, 0.0) if n_docs > 0 else df * 0.0
        self.n_docs = n_docs
        self.edits = 0
        self._lock = threading.Lock()

    def change(self, removed: sp.csr_matrix | None, added: sp.csr_matrix | None) -> None:
        """Account for one edit: the rows (feature counts) it removed and added."""
        with self._lock:
            for m, sign in ((removed, -1.0), (added, 1.0)):
                if m is not None and m.shape[0]:
                    np.add.at(self.df, m.indices, sign)
                    self.n_docs += int(sign) * m.shape[0]
            np.maximum(self.df, 0.0, out=self.df)
            self.edits += 1

    def value(self) -> float:
        """The posting-weighted mean absolute IDF change (0 right after a build)."""
        with self._lock:
            df = self.df.copy()
            n = self.n_docs
        total = float(df.sum())
        if total <= 0 or n <= 0:
            return 0.0
        live = np.flatnonzero(df)
        now = idf_from_df(df[live], n)
        return float((df[live] * np.abs(now - self.idf_used[live])).sum() / total)
