"""IDF drift and the background refit (``kb.search.drift``): a KB grown by live edits to twice
its size answers as well as the same KB built from scratch, before and after the refit, and
edits made while the refit builds are not lost."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from kb.eval import articles_from, load_splits
from kb.search import EngineConfig, IndexedArticle, KbIndex

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


def article(aid: int, title: str, *questions: str) -> IndexedArticle:
    return IndexedArticle(aid, "en", title, "answer", questions, f"/kb/{aid}", 1)


def test_drift_is_zero_after_a_build_and_follows_edits_both_ways() -> None:
    cfg = EngineConfig(idf_refit_drift=0.0)  # measure only
    idx = KbIndex(config=cfg)
    idx.rebuild([article(1, "Reset password", "how do i reset my password", "forgot password"),
                 article(2, "Refund", "where is my refund", "refund status")])  # fmt: skip
    assert idx.idf_drift == pytest.approx(0.0, abs=1e-6)
    new = article(3, "Parcel tracking", "track my parcel", "where is the courier", "parcel late")
    idx.upsert(new)
    grown = idx.idf_drift
    assert grown > 0.05
    idx.remove(3)
    assert idx.idf_drift == pytest.approx(0.0, abs=1e-6)
    assert idx.refits == 0


@pytest.fixture(scope="module")
def banking() -> tuple[list[IndexedArticle], list[tuple[str, int]]]:
    if not (DATA / "banking77" / "train.csv").exists():
        pytest.skip("public data not present")
    splits = load_splits(dataset="banking77", data_dir=DATA)  # training split only
    arts, ids = articles_from(splits)
    # 40 of the 77 labels, 40 example questions each: the shape of the question, a tenth the cost
    arts = [replace(a, questions=a.questions[:40]) for a in arts[:40]]
    kept = {a.article_id for a in arts}
    queries = [(t, ids[lbl]) for t, lbl in splits.valid if lbl is not None and ids[lbl] in kept]
    return arts, queries


def top1(index: KbIndex, queries: list[tuple[str, int]]) -> list[int | None]:
    out = []
    for text, _ in queries:
        res = index.search(text, language="en")
        out.append(res.hits[0].article_id if res.hits else None)
    return out


def test_a_kb_grown_to_twice_its_size_answers_like_one_built_from_scratch(
    banking: tuple[list[IndexedArticle], list[tuple[str, int]]],
) -> None:
    arts, queries = banking
    gold = [g for _, g in queries]
    scratch = KbIndex()
    scratch.rebuild(arts)
    want = top1(scratch, queries)
    want_acc = sum(a == g for a, g in zip(want, gold, strict=True)) / len(gold)

    half = len(arts) // 2
    frozen = KbIndex(config=EngineConfig(idf_refit_drift=0.0))
    frozen.rebuild(arts[:half])
    for art in arts[half:]:
        frozen.upsert(art)
    assert frozen.wait_for_background(120)
    assert frozen.idf_drift > EngineConfig().idf_refit_drift  # 2x growth: past the line
    got = top1(frozen, queries)
    acc = sum(a == g for a, g in zip(got, gold, strict=True)) / len(gold)
    assert acc >= want_acc - 0.01, (acc, want_acc)  # frozen IDF: no worse than one point

    refit = KbIndex(config=EngineConfig(refit_check_delay_seconds=0.1))
    refit.rebuild(arts[:half])
    for art in arts[half:]:
        refit.upsert(art)
    assert refit.wait_for_background(180)
    assert refit.refits >= 1
    assert refit.idf_drift < EngineConfig().idf_refit_drift
    got = top1(refit, queries)
    acc = sum(a == g for a, g in zip(got, gold, strict=True)) / len(gold)
    assert acc >= want_acc - 0.01, (acc, want_acc)
    # a refit of the whole grown KB gives exactly the from-scratch answers
    refit._refit(refit._require())
    assert refit.wait_for_background(120)
    assert top1(refit, queries) == want


def test_edits_made_while_the_refit_builds_are_replayed(
    banking: tuple[list[IndexedArticle], list[tuple[str, int]]],
) -> None:
    arts, _ = banking
    idx = KbIndex(config=EngineConfig(idf_refit_drift=0.0))
    idx.rebuild(arts[:20])
    for art in arts[20:]:
        idx.upsert(art)
    base = idx._require()
    started = threading.Event()
    real = idx._full_build

    def slow_build(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        started.set()
        snap = real(*args, **kwargs)  # type: ignore[arg-type]
        # edits land while the build runs (after it read its articles)
        idx.upsert(article(9001, "Loyalty points", "how do i redeem loyalty points"))
        idx.remove(int(arts[0].article_id))
        return snap

    idx._full_build = slow_build  # type: ignore[method-assign]
    idx._refit(base)
    assert started.is_set() and idx.refits == 1
    res = idx.search("redeem my loyalty points", language="en")
    assert res.best is not None and res.best.article_id == 9001
    assert int(arts[0].article_id) not in idx._require().articles
    assert idx.idf_drift > 0  # the replayed edits count against the new IDF


def test_a_refit_overtaken_by_a_full_build_is_dropped() -> None:
    idx = KbIndex(config=EngineConfig(idf_refit_drift=0.0))
    first = [article(1, "Reset password", "how do i reset my password"),
             article(2, "Refund", "where is my refund")]  # fmt: skip
    idx.rebuild(first)
    base = idx._require()
    newer = [*first, article(3, "Parcel tracking", "track my parcel")]
    real = idx._full_build

    def build_then_rebuild(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        snap = real(*args, **kwargs)  # type: ignore[arg-type]
        idx._full_build = real  # type: ignore[method-assign]
        idx.rebuild(newer)  # an editor's full rebuild lands while the refit builds
        return snap

    idx._full_build = build_then_rebuild  # type: ignore[method-assign]
    idx._refit(base)
    assert idx.refits == 0
    assert set(idx._require().articles) == {1, 2, 3}  # the rebuild stands


def test_a_kb_that_starts_empty_refits_once_articles_arrive() -> None:
    idx = KbIndex(config=EngineConfig(refit_check_delay_seconds=0.05))
    idx.rebuild([])
    for aid, (title, q) in enumerate([("Reset password", "how do i reset my password"),
                                      ("Refund", "where is my refund"),
                                      ("Parcel tracking", "track my parcel")], 1):  # fmt: skip
        idx.upsert(article(aid, title, q))
    assert idx.wait_for_background(60)
    assert idx.refits >= 1
    snap = idx._require()
    assert float(snap.idf.min()) < float(snap.idf.max())  # a fitted IDF, not all ones
