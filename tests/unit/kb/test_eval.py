"""Evaluation harness: dataset loading, hold-out, metrics through KbIndex.search."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kb.eval import DatasetError, _hold_out, load_splits, run_eval, zero_shot_validation
from kb.search.calibration import ece, tune_threshold

TOPICS = {
    "refund": ["I want a refund", "money back please", "refund my order", "how do refunds work",
               "can I get my money returned", "refund for a broken item", "return and refund",
               "when is my refund coming"],
    "password": ["reset my password", "forgot password", "cannot log in password wrong",
                 "change login password", "password reset email missing", "new password please",
                 "locked out, need password help", "password not accepted"],
    "delivery": ["where is my parcel", "track my delivery", "package has not arrived",
                 "delivery is late", "shipping status of my order", "courier lost my package",
                 "when will my order arrive", "change delivery date"],
}  # fmt: skip
OFF = ["what is the capital of peru", "tell me a funny joke", "who painted the mona lisa",
       "best pizza in town", "how tall is a giraffe", "play some jazz music"]  # fmt: skip


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return path


class TestLoading:
    def test_generic_csv_with_oos_label(self, tmp_path: Path) -> None:
        train = write_csv(tmp_path / "train.csv", [("a b", "x"), ("c d", "oos")])
        test = write_csv(tmp_path / "test.csv", [("e f", "x"), ("g h", "oos")])
        valid = write_csv(tmp_path / "valid.csv", [("i j", "x")])
        s = load_splits(
            dataset=None, data_dir=tmp_path, train=train, test=test, valid=valid, oos_label="oos"
        )
        assert s.test == [("e f", "x"), ("g h", None)]
        assert s.valid == [("i j", "x")] and not s.valid_from_train

    def test_missing_columns_and_files_are_domain_errors(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.csv"
        bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
        with pytest.raises(DatasetError):
            load_splits(dataset=None, data_dir=tmp_path, train=bad, test=bad)
        with pytest.raises(DatasetError):
            load_splits(dataset="banking77", data_dir=tmp_path / "nowhere")

    def test_hold_out_is_stratified_and_keeps_every_label(self) -> None:
        data = [(f"t{i}", "a") for i in range(20)] + [("only", "b")]
        keep, held = _hold_out(data, 0.25)
        assert sum(1 for _, lbl in held if lbl == "a") == 5
        assert ("only", "b") in keep
        assert len(keep) + len(held) == len(data)


class TestRunEval:
    def test_reports_all_fields_through_search(self, tmp_path: Path) -> None:
        train_rows, test_rows, valid_rows = [], [], []
        for label, texts in TOPICS.items():
            train_rows += [(t, label) for t in texts[:5]]
            valid_rows += [(t, label) for t in texts[5:6]]
            test_rows += [(t, label) for t in texts[6:]]
        valid_rows += [(t, "oos") for t in OFF[:3]]
        test_rows += [(t, "oos") for t in OFF[3:]]
        result = run_eval(
            dataset=None,
            data_dir=tmp_path,
            train=write_csv(tmp_path / "train.csv", train_rows),
            test=write_csv(tmp_path / "test.csv", test_rows),
            valid=write_csv(tmp_path / "valid.csv", valid_rows),
            oos_label="oos",
            dense=False,
        )
        for key in ("accuracy", "accuracy_closed", "oos_recall", "oos_precision", "mrr",
                    "p_at_1", "ece", "n_train", "n_test", "fit_seconds", "query_ms_p50",
                    "query_ms_p99", "threshold"):  # fmt: skip
            assert key in result
        assert result["n_train"] == 15 and result["n_test"] == len(test_rows)
        assert result["accuracy_closed"] >= 0.5  # 3 topics; chance is 1/3
        assert 0.0 <= result["oos_recall"] <= 1.0
        assert result["accuracy"] <= result["accuracy_closed"]

    def test_on_validation_never_scores_the_test_split(self, tmp_path: Path) -> None:
        train_rows = [(t, lbl) for lbl, texts in TOPICS.items() for t in texts[:6]]
        valid_rows = [(t, lbl) for lbl, texts in TOPICS.items() for t in texts[6:]]
        # a test split that would fail loudly if it were searched: every label unknown
        test = write_csv(tmp_path / "test.csv", [("zzz", "nowhere")] * 50)
        result = run_eval(
            dataset=None, data_dir=tmp_path, train=write_csv(tmp_path / "train.csv", train_rows),
            test=test, valid=write_csv(tmp_path / "valid.csv", valid_rows), oos_label=None,
            dense=False, on_validation=True,
        )  # fmt: skip
        assert result["split"] == "validation"
        assert result["n_test"] == len(valid_rows)
        assert result["accuracy_closed"] >= 0.5

    def test_zero_shot_validation_uses_titles_only(self, tmp_path: Path) -> None:
        train_rows = [(t, lbl) for lbl, texts in TOPICS.items() for t in texts[:4]]
        valid_rows = [(t, lbl) for lbl, texts in TOPICS.items() for t in texts[4:]]
        train = write_csv(tmp_path / "train.csv", train_rows)
        test = write_csv(tmp_path / "test.csv", [("zzz", "nowhere")])
        valid = write_csv(tmp_path / "valid.csv", valid_rows)
        report = zero_shot_validation(dataset=None, data_dir=tmp_path, train=train, test=test,
                                      valid=valid, dense=False)  # fmt: skip
        assert report["n_articles"] == len(TOPICS)  # one title per label, nothing else
        assert report["n_queries"] == len(valid_rows)
        assert 1 / 3 < report["p_at_1"] <= 1.0 and report["mrr"] >= report["p_at_1"]

    def test_zero_shot_on_the_demo_kb_queries_its_example_questions(self) -> None:
        demo = Path(__file__).resolve().parents[3] / "kb" / "demo" / "articles.yaml"
        report = zero_shot_validation(dataset=None, data_dir=demo.parent, demo_kb=demo,
                                      dense=False)  # fmt: skip
        assert report["n_articles"] == 29
        assert set(report["per_language"]) == {"en", "el", "ru", "sr"}
        assert report["p_at_1"] > 0.5  # 29 articles: chance is 3 %


class TestMetrics:
    def test_ece_of_perfect_and_overconfident(self) -> None:
        assert ece([1.0, 1.0, 0.0], [True, True, False]) == pytest.approx(0.0)
        assert ece([0.9] * 10, [True] * 5 + [False] * 5) == pytest.approx(0.4)

    def test_threshold_separates_in_and_out_of_scope(self) -> None:
        conf = [0.9, 0.8, 0.85, 0.2, 0.1, 0.3]
        correct = [True, True, True, False, False, False]
        in_scope = [True, True, True, False, False, False]
        t = tune_threshold(conf, correct, in_scope)
        assert 0.3 < t < 0.8

    def test_scarce_out_of_scope_rows_are_weighted_up_to_the_assumed_share(self) -> None:
        # 19 in-scope rows (4 answered right) and one out-of-scope row, confident at 0.85
        conf = [0.95, 0.9, 0.85, 0.8, 0.75] + [0.5 - 0.01 * i for i in range(15)]
        correct = [True, True, False, True, True] + [False] * 15
        in_scope = [True, True, False, True, True] + [True] * 15
        taken_as_is = tune_threshold(conf, correct, in_scope)
        assert 0.5 < taken_as_is < 0.75  # one wrong answer is outweighed by two right below it
        # at a 20 % share the one row stands for 19 / 4 = 4.75 wrong answers
        weighted = tune_threshold(conf, correct, in_scope, out_of_scope_share=0.2)
        assert weighted == pytest.approx(0.875)

    def test_plentiful_out_of_scope_rows_are_never_weighted_down(self) -> None:
        # two thirds out of scope: weighting them down to 20 % would answer down to 0.7
        conf = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        correct = [True, False, True, False, False, False]
        in_scope = [True, False, True, False, False, False]
        plain = tune_threshold(conf, correct, in_scope)
        assert plain == pytest.approx(0.85)
        assert tune_threshold(conf, correct, in_scope, out_of_scope_share=0.2) == plain


def test_engine_config_overrides_are_typed() -> None:
    from kb.eval import DatasetError, engine_config

    cfg = engine_config(["cross_lingual_gap=0", "candidates=12", "classifier=false"])
    assert cfg.cross_lingual_gap == 0.0 and isinstance(cfg.cross_lingual_gap, float)
    assert cfg.candidates == 12 and cfg.classifier is False
    for bad in ("candidates=2.7", 'classifier="false"', "candidates=twelve", "no_such=1"):
        with pytest.raises(DatasetError):
            engine_config([bad])
