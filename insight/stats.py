"""Small, checkable statistics: the median (mean of the two middle values for an even count)
and the nearest-rank p90 (the value at rank ceil(0.9·n), no interpolation)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any


def median(values: Iterable[float]) -> float | None:
    xs = list(values)
    return float(statistics.median(xs)) if xs else None


def nearest_rank(values: Iterable[float], share: float) -> float | None:
    xs = sorted(values)
    if not xs:
        return None
    return float(xs[max(1, math.ceil(share * len(xs))) - 1])


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def minutes_summary(seconds: list[float]) -> dict[str, Any]:
    """n, median and p90 in minutes (rounded to 0.01)."""

    def m(v: float | None) -> float | None:
        return None if v is None else round(v / 60, 2)

    return {"n": len(seconds), "median": m(median(seconds)), "p90": m(nearest_rank(seconds, 0.9))}


def count_summary(values: list[int]) -> dict[str, Any]:
    p90 = nearest_rank(values, 0.9)
    return {"n": len(values), "median": median(values), "p90": p90}
