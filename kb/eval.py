"""Evaluation of the KB engine on labelled datasets, through the same ``KbIndex.search`` the bot
uses: every label becomes an article whose example questions are that label's training texts.

Datasets: banking77, clinc150, stackfaq (from ``data_dir``, never copied) or any CSV files with
``text,label`` columns. Hyper-parameters and the threshold come from a validation split; the
test split is read once for the reported figures.

Module entry point: ``python -m kb.eval --dataset banking77 --json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from kb import text as tx
from kb.search import EngineConfig, Hit, IndexedArticle, KbIndex
from kb.search.calibration import ece

Labelled = list[tuple[str, str | None]]  # (text, label); None = out of scope
Progress = Callable[[str], None]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "var" / "cache" / "embeddings"
#: Share of train held out for validation when a dataset has no validation split.
VALID_FRACTION = 0.1


class DatasetError(ValueError):
    """A dataset is missing or malformed."""


@dataclass
class Splits:
    train: Labelled
    valid: Labelled
    test: Labelled
    #: articles that have no training texts but exist (zero-shot, e.g. StackFAQ): label → title
    titles: dict[str, str]
    answers: dict[str, str]
    valid_from_train: bool


def _read_csv(path: Path, oos_label: str | None) -> Labelled:
    if not path.exists():
        raise DatasetError(f"missing file: {path.name}")
    out: Labelled = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = {f.lower(): f for f in reader.fieldnames or []}
        text_col = fields.get("text")
        label_col = fields.get("label") or fields.get("category") or fields.get("intent")
        if text_col is None or label_col is None:
            raise DatasetError(f"{path.name}: need columns text,label")
        for row in reader:
            text, label = row[text_col], row[label_col]
            if text is None or label is None:
                continue
            out.append((text, None if oos_label is not None and label == oos_label else label))
    return out


def _hold_out(train: Labelled, fraction: float, seed: int = 0) -> tuple[Labelled, Labelled]:
    """Stratified hold-out: the same share of every label (at least one left for training)."""
    by_label: dict[str | None, list[tuple[str, str | None]]] = {}
    for item in train:
        by_label.setdefault(item[1], []).append(item)
    rng = random.Random(seed)
    keep: Labelled = []
    held: Labelled = []
    for label in sorted(by_label, key=lambda x: (x is None, x or "")):
        items = by_label[label][:]
        rng.shuffle(items)
        n = round(len(items) * fraction)
        if label is not None:
            n = min(n, len(items) - 1)
        held.extend(items[:n])
        keep.extend(items[n:])
    return keep, held


def load_splits(
    *,
    dataset: str | None,
    data_dir: Path,
    train: Path | None = None,
    test: Path | None = None,
    valid: Path | None = None,
    oos_label: str | None = None,
) -> Splits:
    """Read a named public dataset or generic CSV files into train/valid/test."""
    if dataset == "banking77":
        base = data_dir / "banking77"
        tr = _read_csv(base / "train.csv", None)
        te = _read_csv(base / "test.csv", None)
        tr, va = _hold_out(tr, VALID_FRACTION)
        return Splits(tr, va, te, {}, {}, True)
    if dataset == "clinc150":
        path = data_dir / "clinc150" / "data_full.json"
        if not path.exists():
            raise DatasetError("missing clinc150/data_full.json")
        data = json.loads(path.read_text(encoding="utf-8"))

        def part(name: str, oos: bool) -> Labelled:
            return [(t, None if oos else lbl) for t, lbl in data[name]]

        return Splits(
            part("train", False),
            part("val", False) + part("oos_val", True),
            part("test", False) + part("oos_test", True),
            {},
            {},
            False,
        )
    if dataset == "stackfaq":
        path = data_dir / "stackfaq" / "stackExchange-FAQ.json"
        if not path.exists():
            raise DatasetError("missing stackfaq/stackExchange-FAQ.json")
        pairs = json.loads(path.read_text(encoding="utf-8"))["root"]["qapair"]
        titles: dict[str, str] = {}
        answers: dict[str, str] = {}
        queries: Labelled = []
        for i, qa in enumerate(pairs):
            label = f"thread-{i}"
            titles[label] = str(qa.get("question") or "")
            ans = qa.get("answer") or []
            ans = ans if isinstance(ans, list) else [ans]
            answers[label] = str(ans[0]) if ans else ""
            rephr = qa.get("rephr") or []
            rephr = rephr if isinstance(rephr, list) else [rephr]
            # "*" marks a missing rephrasing in the source file: keep texts with a letter/digit
            queries.extend((str(r), label) for r in rephr if r and any(c.isalnum() for c in str(r)))
        return Splits([], [], queries, titles, answers, False)
    if dataset is not None:
        raise DatasetError(f"unknown dataset {dataset!r}: banking77, clinc150, stackfaq")
    if train is None or test is None:
        raise DatasetError("give --dataset or both --train and --test")
    tr = _read_csv(train, oos_label)
    te = _read_csv(test, oos_label)
    if valid is not None:
        return Splits(tr, _read_csv(valid, oos_label), te, {}, {}, False)
    tr, va = _hold_out(tr, VALID_FRACTION)
    return Splits(tr, va, te, {}, {}, True)


def _language_of(texts: Sequence[str]) -> str:
    """The language most of ``texts`` are written in (English when none is recognised)."""
    counts = Counter(tx.detect_language(t) for t in texts)
    counts.pop(None, None)
    return str(counts.most_common(1)[0][0]) if counts else "en"


def articles_from(splits: Splits) -> tuple[list[IndexedArticle], dict[str, int]]:
    """One article per label in the language its training texts are written in; its example
    questions are that label's training texts."""
    texts: dict[str, list[str]] = {}
    for text, label in splits.train:
        if label is not None:
            texts.setdefault(label, []).append(text)
    labels = sorted(set(texts) | set(splits.titles))
    ids = {label: i + 1 for i, label in enumerate(labels)}
    arts = [
        IndexedArticle(
            article_id=ids[label],
            language=_language_of(texts.get(label) or [splits.titles.get(label, "")]),
            title=splits.titles.get(label, ""),
            answer=splits.answers.get(label, ""),
            questions=tuple(texts.get(label, ())),
            url=f"/kb/eval/{ids[label]}",
            version=1,
        )
        for label in labels
    ]
    return arts, ids


def engine_config(pairs: Sequence[str]) -> EngineConfig:
    """``EngineConfig`` with ``key=value`` overrides (JSON values), for experiments on
    validation data (``--set`` of the benches)."""
    cfg = EngineConfig()
    names = {f.name for f in fields(EngineConfig)}
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        if key not in names:
            raise DatasetError(f"unknown EngineConfig field {key!r}")
        default = getattr(cfg, key)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise DatasetError(f"{key}: {raw!r} is not a JSON value") from None
        if isinstance(default, float) and type(value) is int:
            value = float(value)
        if type(value) is not type(default):
            raise DatasetError(f"{key}: expected {type(default).__name__}, got {raw!r}")
        changes[key] = value
    return replace(cfg, **changes)


def _reciprocal_rank(hits: Sequence[Hit], gold: int | None) -> float:
    """1 / rank of the right article among the hits, 0 when it is not there."""
    for rank, hit in enumerate(hits, start=1):
        if hit.article_id == gold:
            return 1.0 / rank
    return 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def score_queries(
    index: KbIndex,
    queries: Labelled,
    ids: dict[str, int],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Search every query with ``index.search`` and compute the reported metrics."""
    n_in = n_out = 0
    right_open = right_closed = 0
    oos_abstained = abstained_total = 0
    rr_sum = 0.0
    confs: list[float] = []
    correct: list[bool] = []
    latencies: list[float] = []
    for i, (text, label) in enumerate(queries):
        t0 = time.perf_counter()
        # the query's language is detected, as a chat's is: an English KB asked in Serbian is
        # matched across languages, not read as English ("10-4" has none: read as English)
        res = index.search(text, language=tx.detect_language(text) or "en", limit=10)
        latencies.append((time.perf_counter() - t0) * 1000)
        top = res.hits[0].article_id if res.hits else None
        abstain = res.decision == "abstain"
        abstained_total += abstain
        gold = ids.get(label) if label is not None else None
        conf = res.hits[0].confidence if res.hits else 0.0
        confs.append(conf)
        correct.append(gold is not None and top == gold)
        if label is None:
            n_out += 1
            oos_abstained += abstain
            continue
        n_in += 1
        right_closed += top == gold
        right_open += (top == gold) and not abstain
        rr_sum += _reciprocal_rank(res.hits, gold)
        if progress and (i + 1) % 500 == 0:
            progress(f"searched {i + 1}/{len(queries)}")
    closed = right_closed / n_in if n_in else 0.0
    return {
        "accuracy": (right_open / n_in if n_out else closed) if n_in else 0.0,
        "accuracy_closed": closed,
        "p_at_1": closed,
        "mrr": rr_sum / n_in if n_in else 0.0,
        "oos_recall": oos_abstained / n_out if n_out else None,
        "oos_precision": (oos_abstained / abstained_total if abstained_total else 0.0)
        if n_out
        else None,
        "abstain_rate": abstained_total / len(queries) if queries else 0.0,
        "ece": ece(confs, correct),
        "n_test": len(queries),
        "query_ms_p50": _percentile(latencies, 50),
        "query_ms_p99": _percentile(latencies, 99),
    }


def fit_index(
    index: KbIndex,
    splits: Splits,
    say: Callable[[str], None],
    also_embed: Sequence[str] = (),
) -> tuple[list[IndexedArticle], dict[str, int], float]:
    """Build ``index`` on the training split, calibrated on validation; when validation was
    held out of train, refit on both and keep that calibration. Returns the articles, the
    label → article id map and the seconds the fit took. ``also_embed``: more texts to embed
    in the same batch (the queries to come)."""
    arts, ids = articles_from(splits)
    if index.dense:
        say("embedding texts (cached on disk)")
        index.prefetch([t for t, _ in splits.train + splits.valid + splits.test] + [*also_embed])
    say(f"building index: {len(arts)} articles, {len(splits.train)} example questions")
    t0 = time.perf_counter()
    calibration = [(t, ids.get(lbl) if lbl is not None else None) for t, lbl in splits.valid]
    index.rebuild(arts, calibration=calibration or None)
    if splits.valid_from_train and splits.valid:
        # Tuned on the held-out part of train: refit on all of train, keep the calibration.
        say("refitting on train + validation with the tuned calibration")
        full = Splits(splits.train + splits.valid, [], splits.test, splits.titles,
                      splits.answers, False)  # fmt: skip
        full_arts, full_ids = articles_from(full)
        assert full_ids == ids
        index.rebuild(full_arts, keep_calibration=True)
    return arts, ids, time.perf_counter() - t0


def run_eval(
    *,
    dataset: str | None,
    data_dir: Path,
    train: Path | None,
    test: Path | None,
    valid: Path | None,
    oos_label: str | None,
    dense: bool,
    progress: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
    on_validation: bool = False,
    config: EngineConfig | None = None,
    dense_english: bool = True,
) -> dict[str, Any]:
    """Build a KB from the training split, calibrate on validation, report on test.

    ``on_validation``: for tuning: report on the validation split instead, with the index's
    own calibration (leave-one-out examples and off-topic sentences); the test split is not
    read at all.
    """
    say = progress or (lambda _msg: None)
    splits = load_splits(
        dataset=dataset, data_dir=data_dir, train=train, test=test, valid=valid,
        oos_label=oos_label,
    )  # fmt: skip
    if on_validation:
        if not splits.valid:
            raise DatasetError("this dataset has no validation split")
        splits = Splits(splits.train, [], splits.valid, splits.titles, splits.answers, False)
    index = KbIndex(dense=dense, dense_english=dense_english,
                    cache_dir=cache_dir or DEFAULT_CACHE_DIR, config=config)  # fmt: skip
    arts, ids, fit_seconds = fit_index(index, splits, say)
    say(f"built in {fit_seconds:.1f}s; searching {len(splits.test)} test queries")
    result = score_queries(index, splits.test, ids, progress)
    result.update(
        {
            "dataset": dataset or "custom",
            "split": "validation" if on_validation else "test",
            "dense": index.dense,
            "dense_english": index.embedder is not None and index.embedder.english,
            "n_train": len(splits.train) + (len(splits.valid) if splits.valid_from_train else 0),
            "n_valid": len(splits.valid),
            "n_articles": len(arts),
            "fit_seconds": fit_seconds,
            "threshold": index.threshold,
        }
    )
    return result


def evaluate_paraphrases(index: KbIndex, paraphrases_yaml: Path) -> dict[str, Any]:
    """Top-1 accuracy per language of the demo-KB paraphrase set (``article`` = article key).

    The index must hold the demo KB; article keys are matched through each hit's URL, whose
    last path segment is the key (``/kb/articles/<key>?lang=..``).
    """
    import yaml

    data = yaml.safe_load(paraphrases_yaml.read_text(encoding="utf-8")) or {}
    out: dict[str, Any] = {}
    for group, items in data.items():
        total = right = abstained = 0
        misses: list[dict[str, str]] = []
        for item in items or []:
            total += 1
            res = index.search(str(item["text"]))
            key = _key_from_url(res.hits[0].url) if res.hits else None
            abstained += res.decision == "abstain"
            if key == item["article"]:
                right += 1
            else:
                misses.append({"text": str(item["text"]), "expected": item["article"],
                               "got": key or ""})  # fmt: skip
        out[group] = {
            "n": total,
            "top1": right / total if total else 0.0,
            "abstained": abstained,
            "misses": misses,
        }
    return out


def demo_articles(path: Path) -> list[IndexedArticle]:
    """The demo KB file (``kb/demo/articles.yaml`` format) as index entries, without a database;
    article ids follow file order and URLs end in the article key, as the service builds them."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[IndexedArticle] = []
    for i, item in enumerate(data.get("articles") or [], start=1):
        for lang, tr in (item.get("translations") or {}).items():
            out.append(
                IndexedArticle(
                    article_id=i,
                    language=str(lang),
                    title=str(tr.get("title") or ""),
                    answer=str(tr.get("answer") or ""),
                    questions=tuple(str(q) for q in tr.get("questions") or ()),
                    url=f"/kb/articles/{item['key']}?lang={lang}",
                    version=1,
                    category=item.get("category"),
                    tags=tuple(item.get("tags") or ()),
                )
            )
    return out


def zero_shot_validation(
    *,
    dataset: str | None,
    data_dir: Path,
    demo_kb: Path | None = None,
    train: Path | None = None,
    test: Path | None = None,
    valid: Path | None = None,
    dense: bool,
    dense_english: bool = True,
    config: EngineConfig | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Validation for KBs without example questions (StackFAQ-style FAQ retrieval), built
    only from training/validation data, never from a test split.

    ``demo_kb``: its articles keep title and answer, lose their example questions, and those
    questions become the queries (per language). ``dataset`` (banking77, clinc150 or CSV via
    ``load_splits``): each label's first training text is the article title, and the
    in-scope validation texts are the queries. Reports P@1 and MRR.
    """
    if demo_kb is not None:
        full = demo_articles(demo_kb)
        arts = [replace(a, questions=()) for a in full]
        queries = [(q, str(a.article_id), a.language) for a in full for q in a.questions]
        ids = {str(a.article_id): a.article_id for a in full}
    else:
        splits = load_splits(
            dataset=dataset, data_dir=data_dir, train=train, test=test, valid=valid
        )
        if not splits.train or not splits.valid:
            raise DatasetError("zero-shot validation needs a training and a validation split")
        first: dict[str, str] = {}
        for text, label in splits.train:
            if label is not None:
                first.setdefault(label, text)
        ids = {label: i + 1 for i, label in enumerate(sorted(first))}
        arts = [
            IndexedArticle(article_id=ids[lbl], language="en", title=title, answer="",
                           questions=(), url=f"/kb/eval/{ids[lbl]}", version=1)
            for lbl, title in first.items()
        ]  # fmt: skip
        queries = [(t, lbl, "en") for t, lbl in splits.valid if lbl is not None and lbl in ids]
    index = KbIndex(dense=dense, dense_english=dense_english,
                    cache_dir=cache_dir or DEFAULT_CACHE_DIR, config=config)  # fmt: skip
    if index.dense:
        index.prefetch([t for t, _, _ in queries])
    index.rebuild(arts)
    per_lang: dict[str, list[float]] = {}
    answered = answered_right = abstained = 0
    for text, label, lang in queries:
        res = index.search(text, language=lang, limit=10)
        abstained += res.decision == "abstain"
        if res.decision == "answer":
            answered += 1
            answered_right += res.hits[0].article_id == ids[label]
        rr = _reciprocal_rank(res.hits, ids[label])
        per_lang.setdefault(lang, []).append(rr)
    every = [rr for v in per_lang.values() for rr in v]
    return {
        "p_at_1": sum(rr == 1.0 for rr in every) / len(every) if every else 0.0,
        "mrr": float(np.mean(every)) if every else 0.0,
        "n_queries": len(every),
        "n_articles": len({a.article_id for a in arts}),
        "abstain_rate": abstained / len(every) if every else 0.0,
        "answer_rate": answered / len(every) if every else 0.0,
        "answer_precision": answered_right / answered if answered else 0.0,
        "threshold": index.threshold,
        "per_language": {
            lang: {"p_at_1": sum(r == 1.0 for r in v) / len(v), "mrr": float(np.mean(v))}
            for lang, v in per_lang.items()
        },
        "dense": index.dense,
    }


def _key_from_url(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.eval", description=__doc__)
    parser.add_argument("--dataset", choices=["banking77", "clinc150", "stackfaq"])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--train", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--valid", type=Path)
    parser.add_argument("--oos-label")
    parser.add_argument("--dense", choices=["on", "off"], default="on")
    parser.add_argument("--dense-en", choices=["on", "off"], default="on",
                        help="English MiniLM vectors next to e5 (with --dense on)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the JSON result only")
    parser.add_argument("--demo-kb", type=Path, help="KB YAML for the paraphrase check")
    parser.add_argument("--paraphrases", type=Path, help="paraphrase YAML (with --demo-kb)")
    parser.add_argument(
        "--zero-shot", action="store_true",
        help="validation for KBs without example questions (with --demo-kb or --dataset)",
    )  # fmt: skip
    parser.add_argument(
        "--on-validation", action="store_true",
        help="tuning: report on the validation split, never read the test split",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.on_validation and args.zero_shot:
        parser.error("--on-validation and --zero-shot are two different checks")
    if args.zero_shot:
        report = zero_shot_validation(
            dataset=args.dataset, data_dir=args.data_dir, demo_kb=args.demo_kb,
            train=args.train, test=args.test, valid=args.valid,
            dense=args.dense == "on", dense_english=args.dense_en == "on",
        )  # fmt: skip
        print(json.dumps(report, indent=None if args.json else 2, sort_keys=True))
        return 0
    if args.demo_kb is not None and args.paraphrases is not None:
        index = KbIndex(dense=args.dense == "on", dense_english=args.dense_en == "on",
                        cache_dir=DEFAULT_CACHE_DIR)  # fmt: skip
        index.rebuild(demo_articles(args.demo_kb))
        report = evaluate_paraphrases(index, args.paraphrases)
        report["_index"] = {"dense": index.dense, "threshold": index.threshold, **index.stats}
        print(json.dumps(report, indent=None if args.json else 2, ensure_ascii=False))
        return 0

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = run_eval(
        dataset=args.dataset, data_dir=args.data_dir, train=args.train, test=args.test,
        valid=args.valid, oos_label=args.oos_label, dense=args.dense == "on", progress=progress,
        on_validation=args.on_validation, dense_english=args.dense_en == "on",
    )  # fmt: skip
    print(json.dumps(result, indent=None if args.json else 2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
