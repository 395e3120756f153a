"""What the KB search engine takes and gives: articles as indexed, hits, results, and the
engine's hyper-parameters (the contract shared with kb/service.py and actions/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


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
    #: Articles without a translation in the query's language get stand-ins for their
    #: same-language signals (``kb.search.crosslingual``).
    cross_lingual_impute: bool = True
    #: Added to the e5 similarities of a question with no candidate in its language before
    #: its confidence is computed: the e5 confidence is fitted on same-language questions,
    #: and a translated question scores this much lower on the same article (measured: 0.05 to
    #: 0.09 by language and signal; docs/decisions.md, "KB second pass, part 3").
    cross_lingual_gap: float = 0.06
    #: After a live edit the classifier is retrained in the background after this pause.
    retrain_delay_seconds: float = 0.3
    #: Refit (full build in the background) when the IDF drift reaches this (``kb.search.drift``;
    #: validation: docs/decisions.md, "KB second pass, part 2"). 0 = never.
    idf_refit_drift: float = 0.2
    #: Pause after an edit before the drift is checked (edits often come in bursts).
    refit_check_delay_seconds: float = 1.0
