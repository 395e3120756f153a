"""The article classifier: a linear SVM over the same sparse (+ dense) row vectors as the
nearest-example signals, one class per article; its decision values are one more signal for
calibration. Fitted at build, retrained in the background after live edits (``KbIndex``), and
cross-validated for calibration so it is never scored on rows it was trained on."""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb.search.dense import DIM
from kb.search.features import N_FEATURES
from kb.search.segments import Snapshot, rows_of
from kb.search.types import EngineConfig, FloatArray, IntArray


@dataclass(frozen=True)
class Classifier:
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


def eligible(snap: Snapshot, cfg: EngineConfig) -> bool:
    """Is the KB the size a classifier helps (and is it switched on)?"""
    n_classes = len(snap.articles)
    n_rows = sum(
        len(rows_of(a, cfg.answer_chars)) for tr in snap.articles.values() for a in tr.values()
    )
    return (
        cfg.classifier
        and 2 <= n_classes <= cfg.classifier_max_articles
        and n_rows <= cfg.classifier_max_rows
        and n_rows > n_classes  # something to learn beyond one title per article
    )


def fit(
    x: sp.csr_matrix,
    dense_rows: FloatArray | None,
    labels: IntArray,
    edit_generation: int,
    cfg: EngineConfig,
) -> Classifier | None:
    """A linear SVM over the rows (one class per article); None with fewer than two."""
    from sklearn.svm import LinearSVC

    classes = np.unique(labels)
    if classes.shape[0] < 2 or x.shape[0] == 0:
        return None
    cols = np.unique(x.indices)
    col_map = np.full(N_FEATURES, -1, np.int32)
    col_map[cols] = np.arange(cols.shape[0], dtype=np.int32)
    xc = sp.csr_matrix((x.data, col_map[x.indices], x.indptr), shape=(x.shape[0], cols.shape[0]))
    dw = cfg.classifier_dense_weight
    if dense_rows is not None and not cfg.classifier_all_spaces:
        # e5 space only: it speaks every language, so the classifier treats them alike
        dense_rows = dense_rows[:, :DIM]
    if dense_rows is not None and dw > 0:
        xc = sp.hstack([xc, sp.csr_matrix(dense_rows * dw)], format="csr")
    model = LinearSVC(C=cfg.classifier_c, random_state=0)  # reproducible builds
    with warnings.catch_warnings():
        # one row per article (titles only) is a valid KB, not a regression problem;
        # a not fully converged SVM still ranks well (scored on validation)
        warnings.simplefilter("ignore", UserWarning)
        model.fit(xc, labels)
    coef = np.asarray(model.coef_, np.float64)
    bias = np.asarray(model.intercept_, np.float64)
    if not cfg.classifier_intercept:
        bias = np.zeros_like(bias)
    if classes.shape[0] == 2:  # sklearn keeps one row for a binary problem
        coef = np.vstack([-coef[0], coef[0]])
        bias = np.array([-bias[0], bias[0]])
    n_cols = cols.shape[0]
    w_dense = None
    if dense_rows is not None and dw > 0:
        w_dense = np.ascontiguousarray((coef[:, n_cols:] * dw).T, np.float32)
    return Classifier(
        article_ids=np.asarray(model.classes_, np.int64),
        col_map=col_map,
        w_sparse=np.ascontiguousarray(coef[:, :n_cols].T, np.float32),
        w_dense=w_dense,
        bias=bias.astype(np.float32),
        edit_generation=edit_generation,
    )


def cross_validated_scores(
    snap: Snapshot, x: sp.csr_matrix, rows: Sequence[int], cfg: EngineConfig
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
        clf = fit(x[train], dense, labels[train], snap.edit_generation, cfg)
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
