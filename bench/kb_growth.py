"""A KB grown by live edits against the same KB built from scratch (IDF drift and refit).

Validation data only: BANKING77's training split, with 10 % held out as queries (the same
hold-out as ``kb.eval --on-validation``; the test split is never read). The index is built
from a share of the labels (``--start``), then every other label is added by a live edit, one
article at a time; the held-out queries are searched after each quarter of the growth, with
the IDF frozen, and once more after the background refit the drift policy starts.

    .venv/bin/python -m bench.kb_growth --json

JSON on stdout: per step the KB size, the drift, accuracy (top-1 after abstention) and
closed accuracy, beside the same figures for a from-scratch build of the final KB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kb.eval import articles_from, load_splits
from kb.search import EngineConfig, KbIndex

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"


def score(index: KbIndex, queries: list[tuple[str, int]]) -> dict[str, float]:
    right = closed = 0
    for text, gold in queries:
        res = index.search(text, language="en")
        top = res.hits[0].article_id if res.hits else None
        closed += top == gold
        right += top == gold and res.decision != "abstain"
    n = max(len(queries), 1)
    return {"accuracy": round(right / n, 4), "accuracy_closed": round(closed / n, 4)}


def run(start: float, dense: bool, data_dir: Path) -> dict[str, Any]:
    splits = load_splits(dataset="banking77", data_dir=data_dir)
    arts, ids = articles_from(splits)
    queries = [(t, ids[lbl]) for t, lbl in splits.valid if lbl is not None and lbl in ids]
    first = int(len(arts) * start)
    base, later = arts[:first], arts[first:]

    scratch = KbIndex(dense=dense, cache_dir=ROOT / "var" / "cache" / "embeddings")
    scratch.rebuild(arts)
    out: dict[str, Any] = {"articles": len(arts), "start_articles": first,
                           "queries": len(queries), "scratch": score(scratch, queries)}  # fmt: skip
    del scratch

    # the IDF frozen for the whole growth (refit off), measured at each quarter
    cfg = EngineConfig(idf_refit_drift=0.0)
    grown = KbIndex(dense=dense, config=cfg, cache_dir=ROOT / "var" / "cache" / "embeddings")
    grown.rebuild(base)
    steps = []
    marks = {len(later) * k // 4 for k in range(1, 5)}
    for i, art in enumerate(later, 1):
        grown.upsert(art)
        if i in marks:
            grown.wait_for_background(120)
            steps.append({"articles": first + i, "drift": round(grown.idf_drift, 4),
                          **score(grown, queries)})  # fmt: skip
    out["frozen"] = steps

    # the same growth with the refit policy on: the refit runs in the background
    grown = KbIndex(dense=dense, cache_dir=ROOT / "var" / "cache" / "embeddings")
    grown.rebuild(base)
    t0 = time.perf_counter()
    for art in later:
        grown.upsert(art)
    grown.wait_for_background(300)
    out["refit"] = {
        "refits": grown.refits,
        "drift_after": round(grown.idf_drift, 4),
        "seconds": round(time.perf_counter() - t0, 1),
        **score(grown, queries),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_growth", description=__doc__)
    parser.add_argument("--start", type=float, default=0.5, help="share of labels built first")
    parser.add_argument("--dense", choices=["on", "off"], default="off")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.start, args.dense == "on", args.data_dir)
    print(json.dumps(result, indent=None if args.json else 2))
    print(f"kb_growth scratch={result['scratch']} frozen_end={result['frozen'][-1]} "
          f"refit={result['refit']}", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
