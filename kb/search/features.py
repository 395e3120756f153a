"""Featurisation: text → hashed word and character features, TF-IDF weights."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from kb import text as tx
from kb.search.types import EngineConfig, FloatArray

#: Word features hash into the first half of the feature space, character n-grams the second.
WORD_SPACE: Final = 1 << 20
N_FEATURES: Final = 2 * WORD_SPACE
MASK: Final = WORD_SPACE - 1


class Featurizer:
    """Text → hashed feature ids: word 1-2-grams of lemmas, char n-grams of folded words.

    Everything is cached per whitespace-separated chunk, so featurising a million example
    questions mostly costs dictionary look-ups.
    """

    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self._chars: dict[str, tuple[int, ...]] = {}
        self._chunks: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def _char_ids(self, surface: str) -> tuple[int, ...]:
        ids = self._chars.get(surface)
        if ids is None:
            grams = tx.char_ngrams(surface, self.cfg.char_lo, self.cfg.char_hi)
            ids = tuple((hash(g) & MASK) | WORD_SPACE for g in grams)
            if len(self._chars) > 1_000_000:
                self._chars.clear()
            self._chars[surface] = ids
        return ids

    def _chunk(self, chunk: str, lang: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        key = (lang, chunk)
        hit = self._chunks.get(key)
        if hit is None:
            toks = tx.chunk_tokens(chunk, lang)
            lemmas = tuple(hash(lemma) & MASK for lemma, _ in toks)
            chars = tuple(c for _, surface in toks for c in self._char_ids(surface))
            hit = (lemmas, chars)
            if len(self._chunks) > 1_000_000:
                self._chunks.clear()
            self._chunks[key] = hit
        return hit

    def ids(self, text: str, lang: str | None) -> list[int]:
        lang = lang if lang in tx.LANGUAGES else "en"
        lemmas: list[int] = []
        chars: list[int] = []
        for chunk in tx.clean(text).split(" "):
            if chunk:
                lem, ch = self._chunk(chunk, lang)
                lemmas.extend(lem)
                chars.extend(ch)
        bigrams = [hash(pair) & MASK for pair in itertools.pairwise(lemmas)]
        return lemmas + bigrams + chars


def raw_counts(id_lists: Sequence[Sequence[int]]) -> sp.csr_matrix:
    n = len(id_lists)
    lengths = np.fromiter((len(a) for a in id_lists), np.int64, count=n)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    total = int(indptr[-1])
    cols = np.fromiter(itertools.chain.from_iterable(id_lists), np.int32, count=total)
    x = sp.csr_matrix(
        (np.ones(total, np.float32), cols, indptr),
        shape=(n, N_FEATURES),
    )
    x.sum_duplicates()
    return x


def weigh(x: sp.csr_matrix, idf: FloatArray, cfg: EngineConfig) -> sp.csr_matrix:
    """Sublinear TF × IDF, each block (word, char) L2-normalised and weighted, rows unit length."""
    n = x.shape[0]
    if x.nnz == 0:
        return x
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
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
    x.data = (x.data * np.where(is_char, sc[row_of], sw[row_of])).astype(np.float32)
    return x


CHUNK: Final = 100_000  # texts vectorised at a time (bounds peak memory of a large build)


def idf_from_df(df: npt.NDArray[np.float64], n_docs: int) -> FloatArray:
    n = max(n_docs, 1)
    idf: FloatArray = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf
