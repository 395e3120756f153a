"""KB search latency and scale on a synthetic knowledge base.

Generates N articles with 10 example questions each from a fixed vocabulary (seeded, so runs
are comparable), builds a ``KbIndex``, then measures query latency, live-edit latency
(upsert an edited article, search until the edit is found) and memory.

    .venv/bin/python -m bench.kb_search --articles 10000 --dense off --json

JSON on stdout, a one-line summary on stderr. Every loop is bounded.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from kb.search import IndexedArticle, KbIndex
from kb.search.dense import serve_with_one_blas_thread
from tierzero.gcfreeze import freeze_long_lived_objects

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = (
    "how do i {v} my {a} {b}",
    "how can i {v} the {a} {b}?",
    "i can't {v} my {a} {b}",
    "where do i {v} a {a} {b}",
    "{a} {b} won't {v}",
    "is it possible to {v} {a} {b} today",
    "why does my {a} {b} fail to {v}",
    "what happens if i {v} the {a} {b}",
    "help with {a} {b}, need to {v} it",
    "need to {v} {a} {b} asap",
    "can you {v} my {a} {b} please",
    "problem: {v} {a} {b} not working",
)
SYLLABLES = (
    "ka", "ro", "mi", "ne", "ta", "lo", "pu", "ri", "se", "da", "vo", "ze", "li", "na", "gu",
    "be", "fa", "to", "ki", "mo", "sa", "re", "du", "po", "ni", "la", "te", "go", "bi",
)  # fmt: skip
VERBS = (
    "reset", "change", "cancel", "renew", "update", "verify", "transfer", "delete", "restore",
    "activate", "export", "import", "download", "upload", "refund", "replace", "unlock",
    "block", "install", "configure", "connect", "share", "sync",
)  # fmt: skip


def make_vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_article(
    aid: int, rng: random.Random, vocab: list[str], version: int = 1
) -> IndexedArticle:
    a, b = rng.sample(vocab, 2)
    verb = rng.choice(VERBS)
    questions = tuple(t.format(v=verb, a=a, b=b) for t in rng.sample(TEMPLATES, 10))
    return IndexedArticle(
        article_id=aid,
        language="en",
        title=f"{verb.capitalize()} {a} {b}",
        answer=f"To {verb} the {a} {b}, open settings and follow the steps.",
        questions=questions,
        url=f"/kb/articles/a{aid}?lang=en",
        version=version,
    )


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def run(
    n_articles: int,
    *,
    dense: bool,
    queries: int,
    edits: int,
    seed: int = 1,
    dense_english: bool = True,
) -> dict[str, Any]:
    rng = random.Random(seed)
    vocab = make_vocabulary(max(2000, n_articles // 2), rng)
    articles = [make_article(i + 1, rng, vocab) for i in range(n_articles)]
    index = KbIndex(
        dense=dense, dense_english=dense_english, cache_dir=ROOT / "var" / "cache" / "embeddings"
    )
    emb = index.embedder
    t0 = time.perf_counter()
    index.rebuild(articles)
    build_seconds = time.perf_counter() - t0
    index.wait_for_background()
    freeze_long_lived_objects()  # as the api does after loading the index

    # queries: an unseen template-free rewording of a random article, one content word misspelt
    # With dense on, each search is followed by a reference: the same models embedding a
    # near-identical text (one more token, so no cache hit) and nothing else. Interleaved, both
    # see the same machine noise, so query/encode is the engine's own overhead.
    lat: list[float] = []
    ref: list[float] = []
    found = 0
    for _ in range(queries):
        art = rng.choice(articles)
        verb, a, b = art.title.lower().split()
        text = f"please {verb} {typo(a, rng)} {b} for me"
        t = time.perf_counter()
        res = index.search(text, language="en")
        lat.append((time.perf_counter() - t) * 1000)
        found += bool(res.hits) and res.hits[0].article_id == art.article_id
        if emb is not None:
            counted = emb.encoded, emb.encode_seconds
            t = time.perf_counter()
            emb.embed_mixed([(f"{text}?", "en", "query")], persist=False)
            ref.append((time.perf_counter() - t) * 1000)
            emb.encoded, emb.encode_seconds = counted  # the reference is not the engine's work

    # live edits: replace an article's questions with new wording, search until it is found
    edit_lat: list[float] = []
    edit_found = 0
    for e in range(edits):
        aid = rng.randrange(1, n_articles + 1)
        fresh = f"zq{e}x{rng.randrange(10**6)}"
        new = make_article(aid, rng, vocab, version=2)
        new = IndexedArticle(
            **{**new.__dict__, "questions": (*new.questions[:9], f"how to {fresh} quickly")}
        )
        t = time.perf_counter()
        index.upsert(new)
        ok = False
        for _ in range(50):  # bounded: 50 searches
            res = index.search(f"{fresh} quickly", language="en")
            if res.hits and res.hits[0].article_id == aid:
                ok = True
                break
        edit_lat.append((time.perf_counter() - t) * 1000)
        edit_found += ok
    gc.collect()
    out: dict[str, Any] = {
        "articles": n_articles,
        "rows": index.stats.get("rows"),
        "dense": index.dense,
        "dense_english": emb is not None and emb.english,
        "build_seconds": round(build_seconds, 2),
        "query_ms_p50": round(percentile(lat, 50), 3),
        "query_ms_p99": round(percentile(lat, 99), 3),
        "query_top1": round(found / max(queries, 1), 4),
        "edit_to_live_ms_p50": round(percentile(edit_lat, 50), 3),
        "edit_to_live_ms_p99": round(percentile(edit_lat, 99), 3),
        "edits_found": f"{edit_found}/{edits}",
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_now_mb": current_rss_mb(),
        # what the index holds in arrays; the rest of rss_now is the interpreter, libraries,
        # the articles and caches on the Python heap, and allocator slack
        "index_memory": index.memory(),
        "queries": queries,
        "edits": edits,
    }
    if emb is not None:
        out["encode_ms_p50"] = round(percentile(ref, 50), 3)
        out["encode_ms_p99"] = round(percentile(ref, 99), 3)
        out["query_over_encode_p50"] = round(percentile(lat, 50) / percentile(ref, 50), 3)
        out["query_over_encode_p99"] = round(percentile(lat, 99) / percentile(ref, 99), 3)
        # the embedding cache holds every vector in its directory (other runs' too), in memory
        cached = sum(len(c) for c in emb.caches.values())
        out["embedding_cache_vectors"] = cached
        out["embedding_cache_mb"] = round(cached * 384 * 4 / 2**20, 1)
        out["embedded_texts"] = emb.encoded
        out["embed_per_second"] = (
            round(emb.encoded / emb.encode_seconds, 1) if emb.encoded else None
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_search", description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--dense", choices=["on", "off"], default="off")
    parser.add_argument("--dense-en", choices=["on", "off"], default="on",
                        help="English MiniLM vectors next to e5 (with --dense on)")  # fmt: skip
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="compact JSON on stdout")
    parser.add_argument(
        "--blas-threads", choices=["one", "default"], default="one",
        help="one: as the api serves (kb.search.dense.serve_with_one_blas_thread)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.blas_threads == "one":
        serve_with_one_blas_thread()
    result = run(
        args.articles, dense=args.dense == "on", queries=args.queries, edits=args.edits,
        dense_english=args.dense_en == "on",
    )  # fmt: skip
    print(json.dumps(result, indent=None if args.json else 2))
    print(
        f"kb_search N={result['articles']} dense={result['dense']} "
        f"en={result['dense_english']} "
        f"build={result['build_seconds']}s "
        f"query p50={result['query_ms_p50']}ms p99={result['query_ms_p99']}ms "
        f"edit p99={result['edit_to_live_ms_p99']}ms rss={result['rss_mb']}MB "
        f"(now {result['rss_now_mb']}MB, index arrays {result['index_memory']['arrays_mb']}MB)"
        + (
            f" encode-only p50={result['encode_ms_p50']}ms p99={result['encode_ms_p99']}ms"
            if "encode_ms_p99" in result
            else ""
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
