"""The compact rows of a large segment (``kb.search.rows``): the same vectors as the plain
TF-IDF matrix, for every language and for text with repeated features, and a build whose
memory does not grow with a second copy of the rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp

from kb.search import EngineConfig, IndexedArticle, KbIndex
from kb.search.features import N_FEATURES, Featurizer, weigh
from kb.search.rows import CompactRows, build_large

TEXTS = [
    ("How do I reset my password? reset reset", "en"),
    ("Πώς αλλάζω τον κωδικό πρόσβασης;", "el"),
    ("Как сбросить пароль на телефоне", "ru"),
    ("Заборавио сам лозинку, шта да радим?", "sr"),
    ("Zaboravio sam lozinku, šta da radim?", "sr"),
    ("", "en"),
    ("aaaa aaaa aaaa aaaa banana banana", "en"),
    ("refund refund refund status of my order #123-456", "en"),
]


def compact(texts: list[tuple[str, str]], cfg: EngineConfig) -> tuple[CompactRows, np.ndarray]:
    feat = Featurizer(cfg)
    slot_row_start = np.arange(len(texts) + 1, dtype=np.int64)  # one row per slot
    with feat.building():  # as KbIndex builds a large segment
        built = build_large(feat.tokens, texts, slot_row_start, None, cfg, chunk=3)
    return built.x, built.idf


def plain(texts: list[tuple[str, str]], idf: np.ndarray, cfg: EngineConfig) -> sp.csr_matrix:
    return weigh(Featurizer(cfg).counts(texts), idf, cfg)


def test_compact_rows_are_the_tfidf_rows() -> None:
    cfg = EngineConfig()
    rows, idf = compact(TEXTS, cfg)
    want = plain(TEXTS, idf, cfg)
    got = rows.to_csr()
    assert got.shape == want.shape == (len(TEXTS), N_FEATURES)
    assert abs(got - want).max() < 1e-6
    assert rows.dup_feat.shape[0] > 0  # the repeated words really exercised the correction


def test_dot_products_match_the_matrix_for_any_rows() -> None:
    cfg = EngineConfig()
    rng = random.Random(5)
    words = [w for text, _ in TEXTS for w in text.split()] + ["zzz", "qq"]
    texts = [(" ".join(rng.choices(words, k=rng.randint(0, 12))), "en") for _ in range(300)]
    rows, idf = compact(texts, cfg)
    matrix = plain(texts, idf, cfg)
    feat = Featurizer(cfg)
    for _ in range(40):
        q = weigh(feat.counts([(" ".join(rng.choices(words, k=5)), "en")]), idf, cfg)
        pick = np.sort(rng.sample(range(len(texts)), 60)).astype(np.int64)
        want = np.asarray((matrix[pick] @ q.T).todense()).ravel()
        assert np.allclose(rows.dots(pick, q), want, atol=1e-6)
        assert np.allclose(rows.dots(pick[::-1].copy(), q), want[::-1], atol=1e-6)
    empty = sp.csr_matrix((1, N_FEATURES), dtype=np.float32)
    assert not rows.dots(np.arange(5), empty).any()


def test_a_large_kb_keeps_rows_compact_and_answers_like_the_exact_path() -> None:
    rng = random.Random(3)
    verbs = ["reset", "cancel", "renew", "export", "verify", "unlock"]
    nouns = [f"{a}{b}" for a in ("ka", "ro", "mi", "te", "lu") for b in ("zor", "pin", "dax")]
    arts = []
    for aid in range(1, 61):
        verb, noun = rng.choice(verbs), rng.choice(nouns)
        qs = tuple(f"{t} {verb} the {noun} {aid}" for t in ("how do i", "can i", "please"))
        arts.append(IndexedArticle(aid, "en", f"{verb} {noun} {aid}", "answer", qs, "/", 1))
    exact = KbIndex()
    exact.rebuild(arts)
    large = KbIndex(config=EngineConfig(exact_rows=10, stage_one_candidates=20))
    large.rebuild(arts)
    seg = large._snap.segments[0] if large._snap else None
    assert seg is not None and isinstance(seg.x, CompactRows) and seg.st is not None
    for art in rng.sample(arts, 20):
        query = f"{art.title} not working"
        a, b = exact.search(query), large.search(query)
        assert a.best is not None and b.best is not None
        assert a.best.article_id == b.best.article_id == art.article_id
        assert b.best.score == pytest.approx(a.best.score, abs=1e-5)


def test_the_chunk_table_is_not_restarted_while_a_build_numbers_its_rows() -> None:
    feat = Featurizer(EngineConfig())
    feat.MAX_CHUNKS = 1  # type: ignore[misc]
    feat.counts([("one two three", "en")])
    with feat.building():
        table = feat.tokens([("four five", "en")])[0]
        feat.counts([("six seven", "en")])  # a search meanwhile: would restart a full table
        assert feat.tokens([("eight", "en")])[0] is table
    feat.counts([("nine", "en")])
    assert feat.tokens([("ten", "en")])[0] is not table  # restarted once the build is done
