"""The KB search engine: text in, ranked articles with a calibrated confidence and a decision
(answer, clarify, abstain) out. The editorial side (articles, versions, validation, live sync)
lives in ``kb/`` and feeds it ``IndexedArticle`` rows.

- ``types``: what the engine takes and gives (``IndexedArticle``, ``Hit``, ``SearchResult``,
  ``EngineConfig``);
- ``features``: text → hashed word and character features, TF-IDF;
- ``segments``: the immutable blocks of rows a search reads, and the sparse maths over them;
- ``dense`` and ``minilm``: the multilingual e5 and English MiniLM embeddings;
- ``calibration``: signals → a calibrated probability that an article is the answer;
- ``index``: ``KbIndex``, building, live edits, the classifier, the search and its decision.

``from kb.search import KbIndex`` is the engine; the types module is light to import.
"""

from kb.search.index import KbIndex
from kb.search.types import EngineConfig, Hit, IndexedArticle, SearchResult

__all__ = ["EngineConfig", "Hit", "IndexedArticle", "KbIndex", "SearchResult"]
