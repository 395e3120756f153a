"""Language detection on short customer messages: TierZero's own detector (``kb.text``) against
lingua (``lingua-language-detector``, a maintained library), on validation data only.

    .venv/bin/python -m bench.language_detection --json

Messages: the validation sets in ``tests/data/`` (never their test sets): the person-request
dev set (short chat messages, half of them asking for a person) and the two KB paraphrase
validation sets (customer questions), grouped en / el / ru / sr Cyrillic / sr Latin. A message
is right when the detector names its language (Serbian in either script is "sr"); "no guess"
counts as wrong and is also reported on its own (TierZero keeps the conversation's language
then). lingua is run restricted to our four languages, and again with Croatian and Bosnian
counted as Serbian (lingua's Serbian model is Cyrillic only). When lingua is not installed the
JSON says so and only TierZero's figures are given. JSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import yaml

from kb.text import detect_language
from tierzero.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
GROUPS = {"en": "en", "el": "el", "ru": "ru", "sr-Cyrl": "sr", "sr_cyrl": "sr", "sr-Latn": "sr",
          "sr_latn": "sr"}  # fmt: skip
GROUP_NAMES = {"sr_cyrl": "sr-Cyrl", "sr_latn": "sr-Latn"}


def messages() -> list[tuple[str, str, str]]:
    """(text, group, source) of every validation message."""
    out: list[tuple[str, str, str]] = []
    dev = yaml.safe_load((DATA / "person_requests_dev.yaml").read_text(encoding="utf-8"))
    for group, kinds in dev["groups"].items():
        for kind in ("person", "not_person"):
            out += [(t, group, "person_requests_dev") for t in kinds.get(kind) or []]
    for name in ("kb_paraphrases_valid.yaml", "kb_paraphrases_valid2.yaml"):
        data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        for group, rows in data.items():
            out += [(r["text"], GROUP_NAMES.get(group, group), name[:-5]) for r in rows]
    return out


def lingua_detectors() -> dict[str, Callable[[str], str | None]]:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return {}
    names = {Language.ENGLISH: "en", Language.GREEK: "el", Language.RUSSIAN: "ru",
             Language.SERBIAN: "sr", Language.CROATIAN: "sr", Language.BOSNIAN: "sr"}  # fmt: skip
    four = LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.GREEK, Language.RUSSIAN, Language.SERBIAN
    ).build()
    six = LanguageDetectorBuilder.from_languages(*names).build()

    def run(detector: Any) -> Callable[[str], str | None]:
        def detect(text: str) -> str | None:
            found = detector.detect_language_of(text)
            return names.get(found) if found is not None else None

        return detect

    return {"lingua (en, el, ru, sr)": run(four), "lingua (+ hr, bs as sr)": run(six)}


def length_bucket(text: str) -> str:
    n = len(text.split())
    return "1-2 words" if n <= 2 else "3-5 words" if n <= 5 else "6+ words"


def evaluate(
    detect: Callable[[str], str | None], rows: list[tuple[str, str, str]]
) -> dict[str, Any]:
    by_group: dict[str, list[int]] = {}
    by_length: dict[str, list[int]] = {}
    no_guess = 0
    wrong: list[dict[str, str | None]] = []
    started = time.perf_counter()
    for text, group, _ in rows:
        found = detect(text)
        right = found == GROUPS[group]
        no_guess += found is None
        for key, table in ((group, by_group), (length_bucket(text), by_length)):
            table.setdefault(key, [0, 0])
            table[key][0] += right
            table[key][1] += 1
        if not right and len(wrong) < 400:
            wrong.append({"text": text, "group": group, "found": found})
    seconds = time.perf_counter() - started

    def share(pair: list[int]) -> float:
        return round(100.0 * pair[0] / pair[1], 1)

    total = [sum(p[0] for p in by_group.values()), len(rows)]
    return {
        "accuracy": share(total),
        "right": total[0],
        "n": total[1],
        "no_guess": no_guess,
        "by_group": {g: share(p) for g, p in by_group.items()},
        "by_length": {b: share(p) for b, p in sorted(by_length.items())},
        "ms_per_message": round(1000.0 * seconds / max(1, len(rows)), 3),
        "wrong_examples": wrong[:12],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.language_detection", description=__doc__)
    parser.add_argument("--json", action="store_true", help="compact JSON on stdout")
    args = parser.parse_args(argv)
    rows = messages()
    detectors: dict[str, Callable[[str], str | None]] = {"tierzero (kb.text)": detect_language}
    lingua = lingua_detectors()
    detectors.update(lingua)
    result: dict[str, Any] = {
        "messages": len(rows),
        "sources": sorted({s for _, _, s in rows}),
        "lingua_installed": bool(lingua),
        "detectors": {name: evaluate(fn, rows) for name, fn in detectors.items()},
    }
    print(json.dumps(result, indent=None if args.json else 2, ensure_ascii=False))
    for name, figures in result["detectors"].items():
        summary = f"{figures['accuracy']} % of {figures['n']} (no guess {figures['no_guess']})"
        print(f"{name}: {summary} {figures['by_group']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
