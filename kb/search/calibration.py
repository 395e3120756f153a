"""Score fusion, confidence calibration, the abstention threshold and ECE.

The index produces several signals per candidate article (sparse nearest example, sparse
centroid, dense nearest example, dense centroid, classifier margin). A small logistic model,
fitted on *held-out* queries (cross-validated example questions plus off-topic sentences, or a
validation split), turns them into one calibrated probability per candidate: "this is the right
article". The abstention threshold on that probability is tuned on the same held-out queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Off-topic sentences (not support questions) in every supported language. They stand in for
#: out-of-scope traffic when a KB has no labelled out-of-scope examples, so the threshold learns
#: what "not about anything in this KB" looks like. Never taken from any test set.
OFF_TOPIC: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "What's the weather going to be like tomorrow?",
        "Tell me a joke",
        "Who won the football match last night?",
        "Can you recommend a good pizza recipe?",
        "What is the capital of Australia?",
        "How tall is Mount Everest?",
        "Play some relaxing music",
        "What time is it in Tokyo right now?",
        "Translate 'good morning' into French",
        "Who wrote Pride and Prejudice?",
        "How many calories are in a banana?",
        "What's a good movie to watch tonight?",
        "Set an alarm for 7 am",
        "How do I grow tomatoes on a balcony?",
        "What is the meaning of life?",
        "Do you like cats or dogs?",
        "I'm bored",
        "What's the best way to learn to swim?",
        "How far is the moon from the earth?",
        "Give me a synonym for happy",
    ),
    "el": (
        "Τι καιρό θα κάνει αύριο;",
        "Πες μου ένα ανέκδοτο",
        "Ποιος κέρδισε τον αγώνα χθες το βράδυ;",
        "Μπορείς να μου προτείνεις μια συνταγή για πίτσα;",
        "Ποια είναι η πρωτεύουσα της Αυστραλίας;",
        "Πόσο ψηλό είναι το Έβερεστ;",
        "Βάλε λίγη χαλαρωτική μουσική",
        "Τι ώρα είναι τώρα στο Τόκιο;",
        "Ποιος έγραψε την Οδύσσεια;",
        "Πόσες θερμίδες έχει μια μπανάνα;",
        "Ποια ταινία να δω απόψε;",
        "Πώς να φυτέψω ντομάτες στο μπαλκόνι;",
        "Βαριέμαι",
        "Σου αρέσουν οι γάτες ή οι σκύλοι;",
        "Πόσο απέχει η σελήνη από τη γη;",
    ),
    "ru": (
        "Какая завтра будет погода?",
        "Расскажи анекдот",
        "Кто вчера выиграл футбольный матч?",
        "Посоветуй хороший рецепт пиццы",
        "Какая столица Австралии?",
        "Какой высоты гора Эверест?",
        "Включи спокойную музыку",
        "Который сейчас час в Токио?",
        "Кто написал Войну и мир?",
        "Сколько калорий в банане?",
        "Какой фильм посмотреть вечером?",
        "Как вырастить помидоры на балконе?",
        "Мне скучно",
        "Ты любишь кошек или собак?",
        "Как далеко Луна от Земли?",
    ),
    "sr": (
        "Kakvo će vreme biti sutra?",
        "Ispričaj mi vic",
        "Ko je sinoć pobedio na utakmici?",
        "Preporuči mi dobar recept za picu",
        "Koji je glavni grad Australije?",
        "Koliko je visok Mont Everest?",
        "Pusti neku opuštajuću muziku",
        "Koliko je sati u Tokiju?",
        "Какво ће време бити сутра?",
        "Испричај ми виц",
        "Ко је синоћ победио на утакмици?",
        "Колико калорија има банана?",
        "Koji film da gledam veceras?",
        "Kako da uzgajam paradajz na terasi?",
        "Dosadno mi je",
    ),
}


def off_topic_examples() -> list[tuple[str, str]]:
    """(text, language) pairs of the built-in off-topic set."""
    return [(t, lang) for lang, texts in OFF_TOPIC.items() for t in texts]


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = 15) -> float:
    """Expected calibration error with equal-width bins (Guo et al. 2017)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() / conf.size * abs(conf[mask].mean() - ok[mask].mean())
    return float(total)


@dataclass
class Calibrator:
    """Conditional-logit model over a query's candidates plus a "none of them" option.

    P(candidate i is right) = exp(w·f_i) / (Σ_j exp(w·f_j) + exp(b)), fitted by maximum
    likelihood on held-out queries whose right article is known (or known to be absent). The
    competition between candidates is what makes the top-1 probability calibrated: two close
    candidates split the mass, a lone strong one takes it. Features per signal: the value and its
    gap to the best candidate on that signal.
    """

    n_signals: int
    #: Weights of the signals while nothing is fitted (a KB without example questions or
    #: labelled queries): a weighted mean, so stronger signals can count for more.
    prior: tuple[float, ...] = ()
    coef: FloatArray = field(default_factory=lambda: np.zeros(0))
    intercept: float = 0.0
    fitted: bool = False

    @staticmethod
    def features(signals: FloatArray) -> FloatArray:
        """signals: (k candidates × s signals) → (k × 2s) features."""
        if signals.size == 0:
            return np.zeros((0, signals.shape[1] * 2 if signals.ndim == 2 else 0))
        top = signals.max(axis=0, keepdims=True)
        return np.hstack([signals, signals - top])

    def fit(self, groups: Sequence[tuple[FloatArray, int | None]], *, l2: float = 1e-3) -> None:
        """groups: per held-out query, its candidates' signals and the index of the right
        candidate among them (None: the right article is not among them / out of scope)."""
        from scipy.optimize import minimize

        groups = [(sig, right) for sig, right in groups if sig.shape[0] > 0]
        if not groups or all(right is None for _, right in groups):
            return
        k = max(sig.shape[0] for sig, _ in groups)
        d = 2 * groups[0][0].shape[1]
        n = len(groups)
        feats = np.zeros((n, k, d))
        mask = np.zeros((n, k), dtype=bool)
        target = np.full(n, k)  # k means "none"
        for g, (sig, right) in enumerate(groups):
            feats[g, : sig.shape[0]] = self.features(sig)
            mask[g, : sig.shape[0]] = True
            if right is not None:
                target[g] = right
        onehot = np.zeros((n, k + 1))
        onehot[np.arange(n), target] = 1.0

        def nll(theta: FloatArray) -> tuple[float, FloatArray]:
            w, b = theta[:d], theta[d]
            logits = np.where(mask, feats @ w, -np.inf)
            full = np.concatenate([logits, np.full((n, 1), b)], axis=1)
            m = full.max(axis=1, keepdims=True)
            ex = np.exp(full - m)
            z = ex.sum(axis=1, keepdims=True)
            p = ex / z
            picked = np.where(onehot > 0, full, 0.0).sum()
            loss = float((np.log(z[:, 0]) + m[:, 0]).sum() - picked)
            diff = p - onehot
            grad_w = np.einsum("nk,nkd->d", diff[:, :k], feats) / n + 2 * l2 * w
            grad_b = diff[:, k].sum()
            return loss / n + l2 * float(w @ w), np.concatenate([grad_w, [grad_b / n]])

        theta0 = np.zeros(d + 1)
        theta0[:2] = 5.0
        res = minimize(nll, theta0, jac=True, method="L-BFGS-B")
        self.coef = res.x[:d].astype(np.float64)
        self.intercept = float(res.x[d])
        self.fitted = True

    def predict(self, signals: FloatArray) -> FloatArray:
        """Calibrated probability per candidate (unfitted: the prior-weighted mean signal)."""
        if signals.shape[0] == 0:
            return np.zeros(0)
        if not self.fitted:
            w = np.ones(signals.shape[1])
            if len(self.prior) == signals.shape[1]:
                w = np.asarray(self.prior, np.float64)
            base: FloatArray = np.clip(signals @ w / w.sum(), 0.0, 1.0).astype(np.float64)
            return base
        logits = np.concatenate([self.features(signals) @ self.coef, [self.intercept]])
        ex = np.exp(logits - logits.max())
        out: FloatArray = (ex / ex.sum())[:-1]
        return out


def tune_threshold(
    confidence: Sequence[float],
    correct: Sequence[bool],
    in_scope: Sequence[bool],
    *,
    out_of_scope_share: float = 0.0,
) -> float:
    """The threshold that maximises right answers minus wrong answers on held-out queries.

    An answer counts +1 when right and -1 when wrong (an out-of-scope query answered is
    wrong); abstaining counts 0: the customer is offered a person, which costs an agent's time
    but misleads nobody. With calibrated confidence this lands near P(right) = 0.5, where
    answering stops paying off.

    How many out-of-scope rows a held-out set has is an accident of how it was collected
    (a few off-topic sentences, a small labelled sample), while live chat traffic has plenty.
    ``out_of_scope_share`` is the least share of out-of-scope traffic assumed: when the
    held-out set has fewer, its out-of-scope rows are weighted up to that share (a prior-shift
    correction), never down.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    scope = np.asarray(in_scope, dtype=bool)
    ok = np.asarray(correct, dtype=bool) & scope
    if conf.size == 0:
        return 0.5
    n_out = int((~scope).sum())
    n_in = conf.size - n_out
    w_out = 1.0
    if n_out and n_in and 0.0 < out_of_scope_share < 1.0:
        wanted = out_of_scope_share / (1.0 - out_of_scope_share) * n_in / n_out
        w_out = max(1.0, wanted)
    order = np.argsort(-conf, kind="stable")
    gain = np.where(ok[order], 1.0, np.where(scope[order], -1.0, -w_out))
    utility = np.concatenate([[0.0], np.cumsum(gain)])  # answer the top i queries
    best = int(np.argmax(utility))
    if best == 0:
        return float(conf.max()) + 1e-6
    if best == conf.size:
        return float(conf.min())
    hi, lo = conf[order[best - 1]], conf[order[best]]
    return float((hi + lo) / 2)
