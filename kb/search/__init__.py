"""The KB search engine: text in, ranked articles with a calibrated confidence and a decision
(answer, clarify, abstain) out. The editorial side (articles, versions, validation, live sync)
lives in ``kb/`` and feeds it ``IndexedArticle`` rows.

- ``types``: what the engine takes and gives (``IndexedArticle``, ``Hit``, ``SearchResult``,
  ``EngineConfig``);
- ``features``: text → hashed word and character features (stable hashes), TF-IDF;
- ``rows``: row vectors and their dot products, and the compact rows of a large KB;
- ``segments``: the immutable blocks of rows a search reads, and snapshots of them;
- ``signals``: per article, how well it matches (nearest row, centroid, per space);
- ``classifier``: the per-article linear SVM, one more signal;
- ``dense`` and ``minilm``: the multilingual e5 and English MiniLM embeddings;
- ``calibration``: signals → a calibrated probability that an article is the answer;
- ``crosslingual``: a question in a language an article has no translation in;
- ``decision``: answer, clarify or abstain from the calibrated probabilities;
- ``drift``: how far live edits have moved the IDF, and when the index refits it;
- ``index``: ``KbIndex``, building, live edits, refits, the search.

``from kb.search import KbIndex`` is the engine; the types module is light to import.
"""

from kb.search.index import KbIndex
from kb.search.types import EngineConfig, Hit, IndexedArticle, SearchResult

__all__ = ["EngineConfig", "Hit", "IndexedArticle", "KbIndex", "SearchResult"]
