"""The decision policy: from calibrated confidences to answer, clarify or abstain.

Abstain when even the few articles a clarifying reply could offer are unlikely to hold the
answer; answer when one article is above the threshold and clearly ahead of the next; otherwise
ask which one the customer meant, offering those close to the best.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from kb.search.types import Decision, Hit

#: Articles a clarifying reply offers at most.
OFFERED: Final = 3


def offer_mass(conf: npt.NDArray[np.float64]) -> float:
    """Probability that the right article is among the ones a clarify reply would offer."""
    if conf.size == 0:
        return 0.0
    return float(np.sort(conf)[-OFFERED:].sum())


def decide(
    hits: list[Hit], conf: npt.NDArray[np.float64], threshold: float, clarify_ratio: float
) -> tuple[Decision, list[Hit]]:
    """``hits``: the best articles, most confident first (at least one); ``conf``: every
    candidate's confidence. Returns the decision and the hits to show with it."""
    p1 = hits[0].confidence
    p2 = hits[1].confidence if len(hits) > 1 else float(np.sort(conf)[-2]) if conf.size > 1 else 0.0
    if offer_mass(conf) < threshold:
        return "abstain", hits
    if p1 < threshold or p2 >= clarify_ratio * p1:
        cut = clarify_ratio * p1
        return "clarify", [h for h in hits if h.confidence >= cut][:OFFERED]
    return "answer", hits
