"""bench/kb_crosslingual: its questions are translations of training/validation rows only, held
out of the KB they are asked against, in every language the bench promises."""

from __future__ import annotations

import json

import pytest

from bench.kb_crosslingual import (
    TRANSLATIONS,
    _english_rows,
    splits_for,
    strip_diacritics,
    variant,
)
from kb import text as tx
from kb.eval import DEFAULT_DATA_DIR

pytestmark = pytest.mark.skipif(
    not (DEFAULT_DATA_DIR / "clinc150" / "data_full.json").exists()
    or not (DEFAULT_DATA_DIR / "banking77" / "train.csv").exists(),
    reason="public datasets absent",
)
ITEMS = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))


def test_questions_come_from_training_or_validation_rows_with_their_labels() -> None:
    english = _english_rows(DEFAULT_DATA_DIR)
    assert len(ITEMS) == len({i["id"] for i in ITEMS}) == 431
    for item in ITEMS:
        assert item["id"].split(":")[1] in ("train", "val", "oos_val"), item["id"]
        _, label = english[item["id"]]
        assert (label or "oos") == item["label"]
        for lang in ("sr", "el", "ru"):
            assert item[lang].strip(), (item["id"], lang)
    # written in the language (a few rows are a song title or a meaningless token, kept as is)
    for lang in ("sr", "el", "ru"):
        detected = [tx.detect_language(i[lang]) for i in ITEMS]
        assert sum(d == lang for d in detected) >= 0.9 * len(ITEMS), lang


@pytest.mark.parametrize("dataset", ["banking77", "clinc150"])
def test_questions_are_held_out_of_the_kb_and_its_calibration(dataset: str) -> None:
    english = _english_rows(DEFAULT_DATA_DIR)
    items = [i for i in ITEMS if i["id"].startswith(dataset + ":")]
    splits = splits_for(dataset, DEFAULT_DATA_DIR, {i["id"] for i in items})
    kb_rows = {t for t, _ in splits.train} | {t for t, _ in splits.valid}
    held = {english[i["id"]][0] for i in items}
    # a held-out text can recur verbatim elsewhere in the data; it must not be most of them
    assert len(held & kb_rows) <= 0.02 * len(held)
    assert len(items) == (231 if dataset == "banking77" else 200)


def test_serbian_is_asked_three_ways() -> None:
    item = {"sr": "Zašto mi je kartica odbijena, đak?"}
    assert variant(item, "sr-Cyrl", "") == "Зашто ми је картица одбијена, ђак?"
    assert variant(item, "sr-ascii", "") == strip_diacritics(item["sr"])
    assert strip_diacritics(item["sr"]) == "Zasto mi je kartica odbijena, djak?"
    assert variant(item, "en", "english text") == "english text"
