"""bench/kb_oos_small: its KBs and query sets come from training data only and have the promised
shape (no test-split text, OOS >= 60 % of each half, disjoint halves, no example as a query)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.kb_oos_small import (
    DATA_DIR,
    DOMAINS,
    MIN_OOS_SHARE,
    N_ARTICLES,
    N_EXAMPLES,
    KbSet,
    build_sets,
    norm,
)

CLINC = DATA_DIR / "clinc150" / "data_full.json"
BANKING = DATA_DIR / "banking77"
pytestmark = pytest.mark.skipif(
    not (CLINC.exists() and (BANKING / "train.csv").exists()), reason="public datasets absent"
)


def _csv_texts(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open(newline="", encoding="utf-8") as fh:
        return {norm(row["text"]) for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def sets() -> list[KbSet]:
    return build_sets(DATA_DIR, seed=0)


def _examples(s: KbSet) -> set[str]:
    return {norm(q) for a in s.articles for q in a.questions}


def test_shape(sets: list[KbSet]) -> None:
    assert [s.name for s in sets] == [f"clinc150/{d}" for d in DOMAINS] + ["banking77"]
    for s in sets:
        assert [a.article_id for a in s.articles] == list(range(1, N_ARTICLES + 1))
        assert all(len(a.questions) == N_EXAMPLES for a in s.articles)
        for half in (s.tune, s.eval):
            assert {g for _, g in half if g is not None} == set(range(1, N_ARTICLES + 1))


def test_domains_cover_every_clinc_intent_once() -> None:
    data = json.loads(CLINC.read_text(encoding="utf-8"))
    names = [n for v in DOMAINS.values() for n in v.split()]
    assert len(names) == len(set(names)) == 150
    assert set(names) == {label for _, label in data["train"]}
    assert all(len(v.split()) == 15 for v in DOMAINS.values())


def test_no_test_split_text(sets: list[KbSet]) -> None:
    data = json.loads(CLINC.read_text(encoding="utf-8"))
    allowed = {norm(t) for k in ("train", "val", "oos_train", "oos_val") for t, _ in data[k]}
    allowed |= _csv_texts(BANKING / "train.csv")
    test = {norm(t) for k in ("test", "oos_test") for t, _ in data[k]}
    test |= _csv_texts(BANKING / "test.csv")
    for s in sets:
        texts = _examples(s) | {norm(t) for t, _ in s.tune + s.eval}
        assert texts <= allowed
        # the source files repeat a few training texts in their test splits (2 in CLINC150,
        # 7 in BANKING77); a text found only in a test split never appears
        assert not texts & (test - allowed)


def test_oos_share_and_disjoint_halves(sets: list[KbSet]) -> None:
    for s in sets:
        tune = [norm(t) for t, _ in s.tune]
        held = [norm(t) for t, _ in s.eval]
        assert len(set(tune)) == len(tune) and len(set(held)) == len(held)
        assert not set(tune) & set(held)
        assert not (set(tune) | set(held)) & _examples(s)
        for half in (s.tune, s.eval):
            assert sum(g is None for _, g in half) / len(half) >= MIN_OOS_SHARE


def test_deterministic(sets: list[KbSet]) -> None:
    again = build_sets(DATA_DIR, seed=0)
    assert [(s.articles, s.tune, s.eval) for s in again] == [
        (s.articles, s.tune, s.eval) for s in sets
    ]
    assert build_sets(DATA_DIR, seed=1)[0].tune != sets[0].tune
