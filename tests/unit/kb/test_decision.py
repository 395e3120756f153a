"""The decision policy on its own: answer, clarify or abstain from calibrated confidences."""

from __future__ import annotations

import numpy as np

from kb.search.decision import OFFERED, decide, offer_mass
from kb.search.types import Hit


def hits(*confidences: float) -> list[Hit]:
    return [
        Hit(
            article_id=i,
            language="en",
            requested_language="en",
            title=f"t{i}",
            answer="a",
            url="/",
            version=1,
            score=c,
            confidence=c,
        )
        for i, c in enumerate(confidences)
    ]


def test_one_clear_winner_above_the_threshold_is_answered() -> None:
    decision, shown = decide(hits(0.8, 0.1), np.array([0.8, 0.1, 0.05]), 0.5, 0.5)
    assert decision == "answer" and [h.article_id for h in shown] == [0, 1]


def test_two_close_articles_make_a_clarifying_question_with_only_the_close_ones() -> None:
    decision, shown = decide(hits(0.45, 0.4, 0.1), np.array([0.45, 0.4, 0.1]), 0.5, 0.5)
    assert decision == "clarify" and [h.article_id for h in shown] == [0, 1]


def test_nothing_likely_among_what_could_be_offered_abstains() -> None:
    conf = np.array([0.1, 0.08, 0.05, 0.04])
    assert offer_mass(conf) == np.sort(conf)[-OFFERED:].sum()
    assert decide(hits(0.1, 0.08), conf, 0.5, 0.5)[0] == "abstain"


def test_a_single_candidate_compares_with_nothing() -> None:
    assert decide(hits(0.9), np.array([0.9]), 0.5, 0.5)[0] == "answer"
    assert decide(hits(0.4), np.array([0.4]), 0.5, 0.5)[0] == "abstain"
