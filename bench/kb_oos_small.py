"""KB engine vs a TF-IDF + LinearSVC baseline on small single-domain KBs where most questions
are out of scope (OOS), many of them close to the domain: the shape of a company KB of ~10
articles with ~50 example questions each.

Sets, built only from training/validation data (never a test split):

- CLINC150, one set per domain (the 10 domains of ``clinc/oos-eval`` ``data/domains.json``, 15
  intents each): 10 intents drawn at random are articles (title = intent name, 50 ``train``
  rows as example questions); queries are their ``val`` rows (in scope), the ``val`` rows of
  the domain's other 5 intents (in-domain OOS) and ``oos_val`` (general OOS).
- BANKING77 (``train.csv`` only): 10 intents with 50 example questions each; queries are up to
  20 other rows of each (in scope) and rows of the other 67 intents (OOS).

Every query set is split into a tune and an eval half (each intent's in-scope rows and the OOS
rows halved at random); in-scope rows are then trimmed so that OOS is >= 60 % of each half.
Query texts equal to an example question, or to an earlier query, are dropped.

Systems: ``KbIndex`` (rebuild, ``calibrate`` on the tune half, ``search`` on the eval half;
"clarify" counts as answering with the first hit) with dense vectors off and on, and a word 1-2
+ char_wb 2-5 TF-IDF LinearSVC with C and an OOS threshold on its best decision value tuned on
the tune half. Metric: joint accuracy = (in-scope rows answered with the right article + OOS
rows rejected) / rows of the eval half.

    .venv/bin/python -m bench.kb_oos_small --json

JSON on stdout (per set, means, mean margin TierZero - baseline in joint points), progress on
stderr. Seeded and deterministic; every loop is bounded.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.eval import engine_config
from kb.search import EngineConfig, IndexedArticle, KbIndex

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "datasets"
CACHE_DIR = ROOT / "var" / "cache" / "embeddings"
N_ARTICLES = 10
N_EXAMPLES = 50
MIN_OOS_SHARE = 0.6
BANKING_QUERIES = 20  # in-scope queries per BANKING77 intent, as many as CLINC150 has in val
C_GRID = (0.1, 0.3, 1.0, 3.0)
#: CLINC150 domains as published by its authors (clinc/oos-eval, data/domains.json).
DOMAINS = {
    "banking": "freeze_account routing pin_change bill_due pay_bill account_blocked interest_rate "
    "min_payment bill_balance transfer order_checks balance spending_history transactions "
    "report_fraud",
    "credit_cards": "replacement_card_duration expiration_date damaged_card improve_credit_score "
    "report_lost_card card_declined credit_limit_change apr redeem_rewards credit_limit "
    "rewards_balance application_status credit_score new_card international_fees",
    "kitchen_and_dining": "food_last confirm_reservation how_busy ingredients_list calories "
    "nutrition_info recipe restaurant_reviews restaurant_reservation meal_suggestion "
    "restaurant_suggestion cancel_reservation ingredient_substitution cook_time "
    "accept_reservations",
    "home": "what_song play_music todo_list_update reminder reminder_update calendar_update "
    "order_status update_playlist shopping_list calendar next_song order todo_list "
    "shopping_list_update smart_home",
    "auto_and_commute": "current_location oil_change_when oil_change_how uber traffic "
    "tire_pressure schedule_maintenance gas mpg distance directions last_maintenance gas_type "
    "tire_change jump_start",
    "travel": "plug_type travel_notification translate flight_status international_visa timezone "
    "exchange_rate travel_suggestion travel_alert vaccines lost_luggage book_flight book_hotel "
    "carry_on car_rental",
    "utility": "weather alarm date find_phone share_location timer make_call calculator "
    "definition measurement_conversion flip_coin spelling time roll_dice text",
    "work": "pto_request_status next_holiday insurance_change insurance meeting_schedule payday "
    "taxes income rollover_401k pto_balance pto_request w2 schedule_meeting direct_deposit "
    "pto_used",
    "small_talk": "who_made_you meaning_of_life who_do_you_work_for do_you_have_pets "
    "what_are_your_hobbies fun_fact what_is_your_name where_are_you_from goodbye thank_you "
    "greeting tell_joke are_you_a_bot how_old_are_you what_can_i_ask_you",
    "meta": "change_speed user_name whisper_mode yes change_volume no change_language repeat "
    "change_accent cancel sync_device change_user_name change_ai_name reset_settings maybe",
}

Row = tuple[str, int | None]  # (query, article id or None = out of scope)


@dataclass
class KbSet:
    name: str
    articles: list[IndexedArticle]
    tune: list[Row]
    eval: list[Row]


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def article(i: int, intent: str, questions: Sequence[str]) -> IndexedArticle:
    title = intent.replace("_", " ")
    return IndexedArticle(i, "en", title, "", tuple(questions), url=f"/kb/{i}", version=1)


def make_set(
    name: str, arts: list[IndexedArticle], per_intent: list[list[str]], oos: list[str], seed: str
) -> KbSet:
    """Halve each intent's queries and the OOS rows, then trim in scope to OOS >= 60 %."""
    rng = random.Random(f"{seed}:halves")
    seen = {norm(q) for a in arts for q in a.questions}

    def fresh(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            if norm(t) not in seen:
                seen.add(norm(t))
                out.append(t)
        return out

    halves: tuple[list[Row], list[Row]] = ([], [])
    for aid, texts in enumerate(per_intent, start=1):
        rows = fresh(texts)
        rng.shuffle(rows)
        halves[0].extend((t, aid) for t in rows[: len(rows) // 2])
        halves[1].extend((t, aid) for t in rows[len(rows) // 2 :])
    out_rows = fresh(oos)
    rng.shuffle(out_rows)
    cut = len(out_rows) // 2
    parts: list[list[Row]] = []
    for half, outs in zip(halves, (out_rows[:cut], out_rows[cut:]), strict=True):
        cap = math.floor(len(outs) * (1 - MIN_OOS_SHARE) / MIN_OOS_SHARE + 1e-9)
        kept = half if len(half) <= cap else rng.sample(half, cap)
        rows_h = kept + [(t, None) for t in outs]
        rng.shuffle(rows_h)
        parts.append(rows_h)
    return KbSet(name, arts, parts[0], parts[1])


def clinc_sets(data_dir: Path, seed: int) -> list[KbSet]:
    data = json.loads((data_dir / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    train: dict[str, list[str]] = {}
    val: dict[str, list[str]] = {}
    for split, into in (("train", train), ("val", val)):
        for text, label in data[split]:
            into.setdefault(label, []).append(text)
    general = [text for text, _ in data["oos_val"]]
    sets = []
    for domain, names in DOMAINS.items():
        rng = random.Random(f"{seed}:{domain}")
        intents = names.split()
        chosen = rng.sample(intents, N_ARTICLES)
        arts = [article(i, n, rng.sample(train[n], N_EXAMPLES)) for i, n in enumerate(chosen, 1)]
        near = [t for n in intents if n not in chosen for t in val[n]]
        per_intent = [val[n] for n in chosen]
        sets.append(make_set(f"clinc150/{domain}", arts, per_intent, near + general, f"{seed}"))
    return sets


def banking_set(data_dir: Path, seed: int) -> KbSet:
    by_label: dict[str, list[str]] = {}
    with (data_dir / "banking77" / "train.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_label.setdefault(row["category"], []).append(row["text"])
    rng = random.Random(f"{seed}:banking77")
    enough = [lb for lb in sorted(by_label) if len(by_label[lb]) >= N_EXAMPLES + BANKING_QUERIES]
    chosen = rng.sample(enough, N_ARTICLES)
    arts, per_intent = [], []
    for i, label in enumerate(chosen, start=1):
        texts = rng.sample(by_label[label], len(by_label[label]))
        arts.append(article(i, label, texts[:N_EXAMPLES]))
        per_intent.append(texts[N_EXAMPLES : N_EXAMPLES + BANKING_QUERIES])
    pool = [t for lb in sorted(by_label) if lb not in chosen for t in by_label[lb]]
    n_in = sum(len(p) for p in per_intent)
    n_oos = math.ceil(n_in * MIN_OOS_SHARE / (1 - MIN_OOS_SHARE)) + 10  # + slack for duplicates
    return make_set("banking77", arts, per_intent, rng.sample(pool, n_oos), f"{seed}")


def scores(rows: Sequence[Row], preds: Sequence[int | None]) -> dict[str, float]:
    gold = [g for _, g in rows]
    right_in = sum(g is not None and p == g for g, p in zip(gold, preds, strict=True))
    right_out = sum(g is None and p is None for g, p in zip(gold, preds, strict=True))
    n_in = sum(g is not None for g in gold)
    return {"joint": (right_in + right_out) / len(rows), "in_scope_acc": right_in / n_in,
            "oos_recall": right_out / (len(rows) - n_in)}  # fmt: skip


def tierzero(kb: KbSet, dense: bool, config: EngineConfig | None = None) -> dict[str, Any]:
    idx = KbIndex(dense=dense, cache_dir=CACHE_DIR, config=config)
    if idx.dense:
        idx.prefetch([t for t, _ in kb.tune + kb.eval])
    idx.rebuild(kb.articles)
    idx.calibrate(kb.tune)
    preds: list[int | None] = []
    clarify = 0
    for text, _ in kb.eval:
        res = idx.search(text, language="en")
        clarify += res.decision == "clarify"
        preds.append(res.hits[0].article_id if res.decision != "abstain" and res.hits else None)
    return {**scores(kb.eval, preds), "clarify_share": clarify / len(kb.eval), "dense": idx.dense}


def baseline(kb: KbSet) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    texts = [q for a in kb.articles for q in a.questions]
    labels = [a.article_id for a in kb.articles for _ in a.questions]

    def predict(model: Any, rows: Sequence[Row]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        dv = model.decision_function([t for t, _ in rows])
        return model.classes_[dv.argmax(axis=1)], dv.max(axis=1)

    def answer(best: npt.NDArray[Any], top: npt.NDArray[Any], thr: float) -> list[int | None]:
        return [int(b) if m >= thr else None for b, m in zip(best, top, strict=True)]

    chosen: tuple[float, float, float, Any] | None = None  # (tune joint, C, threshold, model)
    for c in C_GRID:
        feats = FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])  # fmt: skip
        model = make_pipeline(feats, LinearSVC(C=c, random_state=0)).fit(texts, labels)
        best, top = predict(model, kb.tune)
        s = np.sort(top)
        cands = np.concatenate([[s[0] - 1], (s[1:] + s[:-1]) / 2, [s[-1] + 1]])
        joint = np.array([scores(kb.tune, answer(best, top, t))["joint"] for t in cands])
        ties = np.flatnonzero(joint == joint.max())
        thr = float(cands[ties[len(ties) // 2]])  # the middle of the best plateau
        if chosen is None or joint.max() > chosen[0]:
            chosen = (float(joint.max()), c, thr, model)
    assert chosen is not None
    _, c, thr, model = chosen
    return {**scores(kb.eval, answer(*predict(model, kb.eval), thr)), "C": c, "threshold": thr}


def build_sets(data_dir: Path, seed: int) -> list[KbSet]:
    return [*clinc_sets(data_dir, seed), banking_set(data_dir, seed)]


def run(
    data_dir: Path,
    seed: int,
    modes: Sequence[bool],
    limit: int | None,
    config: EngineConfig | None = None,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    out: list[dict[str, Any]] = []
    for kb in build_sets(data_dir, seed)[:limit]:
        n_oos = sum(g is None for _, g in kb.eval)
        rec: dict[str, Any] = {"name": kb.name, "n_articles": len(kb.articles),
                               "n_tune": len(kb.tune), "n_eval": len(kb.eval),
                               "oos_share": round(n_oos / len(kb.eval), 4)}  # fmt: skip
        systems = {"baseline": baseline(kb)}
        for dense in modes:
            systems["tierzero_dense" if dense else "tierzero_sparse"] = tierzero(kb, dense, config)
        for key in ("baseline", "tierzero_sparse", "tierzero_dense"):
            res = systems.get(key)
            rec[f"{key}_joint"] = round(res.pop("joint"), 4) if res else None
            rnd = {k: round(v, 4) if isinstance(v, float) else v for k, v in (res or {}).items()}
            rec[key] = rnd if res else None
        out.append(rec)
        print(f"{kb.name}: " + " ".join(f"{k}={rec[k]}" for k in rec if k.endswith("_joint")),
              file=sys.stderr, flush=True)  # fmt: skip
    means: dict[str, Any] = {}
    for key in ("baseline", "tierzero_sparse", "tierzero_dense"):
        if out[0][f"{key}_joint"] is None:
            continue
        for metric in ("joint", "in_scope_acc", "oos_recall"):
            vals = [r[f"{key}_joint"] if metric == "joint" else r[key][metric] for r in out]
            means[f"{key}_{metric}"] = round(float(np.mean(vals)), 4)
        if key != "baseline":
            diff = [r[f"{key}_joint"] - r["baseline_joint"] for r in out]
            means[f"{key}_margin_points"] = round(100 * float(np.mean(diff)), 2)
            means[f"{key}_sets_won"] = sum(d > 0 for d in diff)
    return {"sets": out, "means": means, "seed": seed, "n_sets": len(out),
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser("python -m bench.kb_oos_small", description=__doc__,
                                     formatter_class=fmt)  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--dense", choices=["on", "off", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="only the first N sets (quick runs)")
    parser.add_argument("--json", action="store_true", help="compact JSON on stdout")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an EngineConfig field, for experiments")  # fmt: skip
    args = parser.parse_args(argv)
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.dense]
    report = run(args.data_dir, args.seed, modes, args.limit, engine_config(args.set))
    print(json.dumps(report, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
