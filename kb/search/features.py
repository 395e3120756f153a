"""Featurisation: text → hashed word and character features, TF-IDF weights."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from kb import text as tx
from kb.search.types import EngineConfig, FloatArray, IntArray

#: Word features hash into the first half of the feature space, character n-grams the second.
WORD_SPACE: Final = 1 << 20
N_FEATURES: Final = 2 * WORD_SPACE
MASK: Final = WORD_SPACE - 1


def feature_hash(token: str) -> int:
    """A stable hash (MurmurHash3, as scikit-learn's ``HashingVectorizer``): Python's own
    ``hash`` of a str is salted per process, which made the engine's answers depend on
    ``PYTHONHASHSEED`` (docs/decisions.md)."""
    return int(murmurhash3_32(token, positive=True)) & MASK


class ChunkTable:
    """Feature ids of every whitespace-separated chunk seen so far, numbered: a chunk's lemma
    ids and character n-gram ids live in flat arrays, so a batch of rows is featurised with a
    few array operations instead of a Python list per row (which, at a million rows, cost most
    of a build's time and left the heap fragmented). Entries are written once and never
    changed; a reader that found a chunk's number reads arrays at least that new."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str], int] = {}
        self.lemma_ptr = np.zeros(1024, np.int64)
        self.lemmas = np.zeros(4096, np.int32)
        self.char_ptr = np.zeros(1024, np.int64)
        self.chars = np.zeros(16384, np.int32)
        self.size = 0
        self._lock = threading.Lock()

    def add(self, key: tuple[str, str], lemmas: Sequence[int], chars: Sequence[int]) -> int:
        with self._lock:
            number = self.numbers.get(key)
            if number is not None:
                return number
            number = self.size
            lo, co = int(self.lemma_ptr[number]), int(self.char_ptr[number])
            lemma_ptr = _room(self.lemma_ptr, number + 2)
            char_ptr = _room(self.char_ptr, number + 2)
            lemma_arr = _room(self.lemmas, lo + len(lemmas))
            char_arr = _room(self.chars, co + len(chars))
            lemma_arr[lo : lo + len(lemmas)] = lemmas
            char_arr[co : co + len(chars)] = chars
            lemma_ptr[number + 1] = lo + len(lemmas)
            char_ptr[number + 1] = co + len(chars)
            self.lemma_ptr, self.char_ptr = lemma_ptr, char_ptr
            self.lemmas, self.chars = lemma_arr, char_arr
            self.size = number + 1
            self.numbers[key] = number  # last: readers who see it see its arrays
            return number


def _room(arr: npt.NDArray[Any], need: int) -> npt.NDArray[Any]:
    """``arr``, or a copy twice as large when it cannot hold ``need`` entries (readers keep
    the array they hold)."""
    if need <= arr.shape[0]:
        return arr
    out = np.zeros(max(need, 2 * arr.shape[0]), arr.dtype)
    out[: arr.shape[0]] = arr
    return out


def bigram_ids(a: npt.NDArray[np.int32], b: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Feature ids of lemma pairs (Fibonacci hashing of the pair, stable across processes)."""
    key = (a.astype(np.uint64) << np.uint64(20)) | b.astype(np.uint64)
    mixed = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(44)
    out: npt.NDArray[np.int32] = (mixed & np.uint64(MASK)).astype(np.int32)
    return out


def ranges(starts: npt.NDArray[Any], ends: npt.NDArray[Any]) -> IntArray:
    """Concatenation of arange(s, e) for every pair, without a Python loop."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    before = np.cumsum(lens) - lens
    out: IntArray = np.arange(total, dtype=np.int64) + np.repeat(
        starts.astype(np.int64) - before, lens
    )
    return out


class Featurizer:
    """Text → hashed feature counts: word 1-2-grams of lemmas, char n-grams of folded words.

    Every whitespace-separated chunk is tokenised, lemmatised and hashed once (``ChunkTable``),
    so featurising a million example questions mostly costs dictionary look-ups.
    """

    #: The tables start afresh beyond this many chunks (bounds memory on odd input).
    MAX_CHUNKS: Final = 2_000_000

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self._chars: dict[str, tuple[int, ...]] = {}
        self._table = ChunkTable()
        self._builds = 0
        self._building_lock = threading.Lock()

    def _char_ids(self, surface: str) -> tuple[int, ...]:
        ids = self._chars.get(surface)
        if ids is None:
            grams = tx.char_ngrams(surface, self.cfg.char_lo, self.cfg.char_hi)
            ids = tuple(feature_hash(g) | WORD_SPACE for g in grams)
            if len(self._chars) > 1_000_000:
                self._chars.clear()
            self._chars[surface] = ids
        return ids

    def _number(self, table: ChunkTable, chunk: str, lang: str) -> int:
        number = table.numbers.get((lang, chunk))
        if number is None:
            toks = tx.chunk_tokens(chunk, lang)
            lemmas = [feature_hash(lemma) for lemma, _ in toks]
            chars = [c for _, surface in toks for c in self._char_ids(surface)]
            number = table.add((lang, chunk), lemmas, chars)
        return number

    def restart_if_full(self) -> None:
        """Start a new table when this one holds ``MAX_CHUNKS`` (segments keep theirs), unless
        a large build is numbering its rows in it (``building``)."""
        with self._building_lock:
            if self._table.size > self.MAX_CHUNKS and self._builds == 0:
                self._table = ChunkTable()

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """While a large build numbers its rows: they must all land in one table."""
        with self._building_lock:
            if self._table.size > self.MAX_CHUNKS and self._builds == 0:
                self._table = ChunkTable()
            self._builds += 1
        try:
            yield
        finally:
            with self._building_lock:
                self._builds -= 1

    def tokens(
        self, texts: Sequence[tuple[str, str | None]]
    ) -> tuple[ChunkTable, npt.NDArray[np.int32], IntArray]:
        """(table, chunk numbers of all rows in order, chunks per row). A full table is
        restarted first, except while a large build numbers its rows (``building``)."""
        self.restart_if_full()
        table = self._table
        seq: list[int] = []
        per_row: list[int] = []
        for text, lang in texts:
            lg = lang if lang in tx.LANGUAGES else "en"
            before = len(seq)
            seq.extend(self._number(table, c, lg) for c in tx.clean(text).split(" ") if c)
            per_row.append(len(seq) - before)
        return table, np.asarray(seq, np.int32), np.asarray(per_row, np.int64)

    def counts(self, texts: Sequence[tuple[str, str | None]]) -> sp.csr_matrix:
        """Feature counts of (text, language) rows: rows × N_FEATURES, float32."""
        return counts_of(*self.tokens(texts))


@dataclass(frozen=True)
class RowFeatures:
    """The features of some rows, as (feature id, row) pairs per block, duplicates kept."""

    words: npt.NDArray[np.int32]
    word_row: IntArray
    chars: npt.NDArray[np.int32]
    char_row: IntArray


def row_features(
    table: ChunkTable, chunks: npt.NDArray[np.int32], tok_row: IntArray
) -> RowFeatures:
    """Lemma ids, lemma-pair ids and char n-gram ids of rows given as chunk numbers (``tok_row``:
    the row of each chunk, ascending)."""
    lemma_ptr, lemma_ids = table.lemma_ptr, table.lemmas
    char_ptr, char_ids = table.char_ptr, table.chars
    lo, hi = lemma_ptr[chunks], lemma_ptr[chunks + 1]
    lem = lemma_ids[ranges(lo, hi)]
    lem_row = np.repeat(tok_row, hi - lo)
    pair = lem_row[:-1] == lem_row[1:]
    big = bigram_ids(lem[:-1][pair], lem[1:][pair])
    clo, chi = char_ptr[chunks], char_ptr[chunks + 1]
    return RowFeatures(
        words=np.concatenate([lem, big]),
        word_row=np.concatenate([lem_row, lem_row[:-1][pair]]),
        chars=char_ids[ranges(clo, chi)],
        char_row=np.repeat(tok_row, chi - clo),
    )


def counts_of(table: ChunkTable, chunks: npt.NDArray[np.int32], per_row: IntArray) -> sp.csr_matrix:
    """Feature counts (rows × N_FEATURES, float32) of rows given as chunk numbers."""
    n = per_row.shape[0]
    f = row_features(table, chunks, np.repeat(np.arange(n), per_row))
    cols = np.concatenate([f.words, f.chars])
    x = sp.csr_matrix(
        (np.ones(cols.shape[0], np.float32), (np.concatenate([f.word_row, f.char_row]), cols)),
        shape=(n, N_FEATURES),
    )
    x.sum_duplicates()
    return x


def block_scales(
    x: sp.csr_matrix, cfg: EngineConfig
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row, the factors that make its word block and its char block (TF-IDF weights in
    ``x``) L2-normalised and weighted, and the whole row unit length."""
    n = x.shape[0]
    is_char = x.indices >= WORD_SPACE
    row_of = np.repeat(np.arange(n), np.diff(x.indptr))
    sq = x.data.astype(np.float64) ** 2
    wn = np.bincount(row_of, weights=np.where(is_char, 0.0, sq), minlength=n)
    cn = np.bincount(row_of, weights=np.where(is_char, sq, 0.0), minlength=n)
    ww, cw = cfg.word_weight, cfg.char_weight
    total = np.sqrt(ww**2 * (wn > 0) + cw**2 * (cn > 0))
    total[total == 0] = 1.0
    sw = np.divide(ww, np.sqrt(wn), out=np.zeros(n), where=wn > 0) / total
    sc = np.divide(cw, np.sqrt(cn), out=np.zeros(n), where=cn > 0) / total
    return sw, sc


def weigh(x: sp.csr_matrix, idf: FloatArray, cfg: EngineConfig) -> sp.csr_matrix:
    """Sublinear TF × IDF, each block (word, char) L2-normalised and weighted, rows unit length."""
    return weigh_with_scales(x, idf, cfg)[0]


def weigh_with_scales(
    x: sp.csr_matrix, idf: FloatArray, cfg: EngineConfig
) -> tuple[sp.csr_matrix, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``weigh`` (in place), also returning each row's word and char block scales."""
    if x.nnz == 0:
        return x, np.zeros(x.shape[0]), np.zeros(x.shape[0])
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    sw, sc = block_scales(x, cfg)
    is_char = x.indices >= WORD_SPACE
    row_of = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    x.data = (x.data * np.where(is_char, sc[row_of], sw[row_of])).astype(np.float32)
    return x, sw, sc


CHUNK: Final = 100_000  # texts vectorised at a time (bounds peak memory of a large build)
#: Rows vectorised at a time by a large segment's build (``kb.search.rows.build_large``):
#: its temporaries are a few times its rows' size, so smaller chunks lower the peak.
LARGE_CHUNK: Final = 25_000


def idf_from_df(df: npt.NDArray[np.float64], n_docs: int) -> FloatArray:
    n = max(n_docs, 1)
    idf: FloatArray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf
