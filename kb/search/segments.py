"""Segments and snapshots: the immutable blocks of rows a search reads, and what each
article of one contributes as rows (row maths: ``kb.search.rows``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb import text as tx
from kb.search.calibration import Calibrator
from kb.search.dense import Kind
from kb.search.rows import RowMatrix, dot_rows
from kb.search.types import FloatArray, IndexedArticle, IntArray

if TYPE_CHECKING:
    from kb.search.classifier import Classifier
    from kb.search.drift import IdfDrift


@dataclass
class Segment:
    """An immutable block of whole articles (groups), their translations (slots) and rows."""

    group_ids: IntArray  # article id per group
    group_slot_start: IntArray  # n_groups + 1
    slot_lang: list[str]
    slot_group: IntArray
    slot_row_start: IntArray  # n_slots + 1
    row_slot: IntArray
    xt: sp.csr_matrix | None  # features × rows: inverted index (exact path, small segments)
    #: rows × features: TF-IDF weights (edit segments), or compact (the large main segment)
    x: RowMatrix | None
    st: sp.csr_matrix | None  # features × slots: inverted index of slot sums (two-stage path)
    s_norm: FloatArray  # per slot
    s_sqnorm: FloatArray
    #: Dense vectors are one or two "spaces" of DIM columns side by side (e5, then MiniLM for
    #: English text, zeros otherwise); each space is scored on its own.
    dense_rows: FloatArray | None  # rows × spaces·DIM (None: no dense, or one per slot)
    dense_sum: FloatArray | None  # slots × spaces·DIM unnormalised sums (or passage vectors)
    dense_norm: FloatArray | None  # slots × spaces
    dense_sqnorm: FloatArray | None  # slots × spaces
    #: per group, a bit per language (``LANGUAGE_BIT``) that it has a translation in
    group_langs: IntArray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.row_slot.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_ids.shape[0])


@dataclass(frozen=True)
class SparsePart:
    """The part of one segment's scoring that needs only the sparse query vector, so it can be
    computed while the query is being embedded. Exact path: every row's score; two-stage
    path: the groups the rarest query features pick, their rows (ascending) and row scores."""

    row_scores: npt.NDArray[np.float64] | None = None
    picks: IntArray | None = None
    rows: IntArray | None = None
    scores: npt.NDArray[np.float64] | None = None


@dataclass(frozen=True)
class Snapshot:
    segments: tuple[Segment, ...]
    alive: tuple[npt.NDArray[np.bool_], ...]
    where: dict[int, tuple[int, int]]  # article id -> (segment, group)
    articles: dict[int, dict[str, IndexedArticle]]
    idf: FloatArray
    dense: bool
    generation: int  # full builds
    edit_generation: int = 0  # live edits since process start
    dense_per_row: bool = True
    dense_spaces: int = 1
    classifier: Classifier | None = None
    #: with the classifier signal / without it (while the classifier is being retrained)
    calibrators: tuple[Calibrator, Calibrator] = (Calibrator(2), Calibrator(2))
    thresholds: tuple[float, float] = (0.5, 0.5)
    #: Stand-ins for the same-language signals of an article that has no translation in the
    #: query's language (``kb.search.crosslingual``), fitted at calibration.
    imputer: FloatArray | None = None
    #: Confidence and threshold from the e5 signals alone, for a query none of whose
    #: candidates has its language (fitted on the calibration queries' e5 signals).
    foreign: tuple[Calibrator, float] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    #: Document frequencies kept current through edits (one object per full build, updated
    #: under the index's write lock; searches never read it).
    drift: IdfDrift | None = None

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


#: Bit of each language in ``Segment.group_langs``.
LANGUAGE_BIT: dict[str, int] = {lang: 1 << i for i, lang in enumerate(tx.LANGUAGES)}


def group_languages(slot_lang: Sequence[str], group_slot_start: IntArray) -> IntArray:
    bits = np.asarray([LANGUAGE_BIT.get(lang, 0) for lang in slot_lang], np.int64)
    if bits.shape[0] == 0:
        return np.zeros(group_slot_start.shape[0] - 1, np.int64)
    out: IntArray = np.bitwise_or.reduceat(bits, group_slot_start[:-1])
    return out


def reuse_dots(
    m: RowMatrix, rows: IntArray, q: sp.csr_matrix, pre: SparsePart | None
) -> npt.NDArray[np.float64]:
    """``dot_rows(m, rows, q)``, taking the rows that ``pre`` already scored from it (both
    row lists ascending) and computing only the others."""
    if pre is None or pre.rows is None or pre.scores is None or pre.rows.shape[0] == 0:
        return dot_rows(m, rows, q)
    pos = np.clip(np.searchsorted(pre.rows, rows), 0, pre.rows.shape[0] - 1)
    known = pre.rows[pos] == rows
    out = np.where(known, pre.scores[pos], 0.0)
    todo = np.flatnonzero(~known)
    if todo.shape[0]:
        out[todo] = dot_rows(m, rows[todo], q)
    return out


def rows_of(article: IndexedArticle, answer_chars: int = 0) -> list[str]:
    """Rows of one translation: its title, optionally the start of its answer, then its example
    questions (the first ``fixed_rows`` rows are never held out for calibration)."""
    head = [article.title or "-"]
    if answer_chars > 0 and article.answer.strip():
        head.append(article.answer[:answer_chars])
    return head + [q for q in article.questions if q and q.strip()]


def fixed_rows(article: IndexedArticle, answer_chars: int = 0) -> int:
    return 2 if answer_chars > 0 and article.answer.strip() else 1


def dense_inputs(
    article: IndexedArticle, rows: Sequence[str], answer_chars: int = 0
) -> list[tuple[str, str, Kind]]:
    """What the embedding model reads for each of the article's ``rows`` (``rows_of``):
    questions and the title are embedded as queries (question ↔ question is symmetric), the
    answer row as a passage that starts with its title, which is how e5 was trained to match a
    question to an answer."""
    out: list[tuple[str, str, Kind]] = [(r, article.language, "query") for r in rows]
    if fixed_rows(article, answer_chars) == 2:
        out[1] = (f"{article.title}\n{article.answer}", article.language, "passage")
    return out
