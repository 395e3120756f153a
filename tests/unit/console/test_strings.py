"""The console's UI words (web/console/strings.js): every language has every English key, with the
same {placeholders}, in its own script; the keyboard keys in ``shortcuts`` stay the keys."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STRINGS_JS = Path(__file__).resolve().parents[3] / "web" / "console" / "strings.js"

PLACEHOLDER = re.compile(r"\{(\w+)\}")
LATIN = re.compile(r"[A-Za-z]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
GREEK = re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]")
# Latin words Serbian Cyrillic keeps: abbreviations, the product, keyboard keys, tier names.
CYRILLIC_KEEPS_LATIN = {
    *("SLA", "KB", "TierZero", "Markdown"),
    *("Ctrl", "Enter", "Esc", "n", "r", "e", "d"),
    *("L1", "L2", "L3"),
}
# The first word after ": " or "· " in ``shortcuts`` is a key (n, r, Ctrl+Enter, /, ...).
KEY_NAME = re.compile(r"(?<=: |· )\S+")


@pytest.fixture(scope="module")
def module() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        "const m = await import(process.argv[1]);"
        " console.log(JSON.stringify({ languages: m.LANGUAGES, strings: m.STRINGS }));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, STRINGS_JS.as_uri()],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def words(text: str) -> str:
    """``text`` without its {placeholders}."""
    return PLACEHOLDER.sub(" ", text)


def translations(module: dict[str, Any]) -> list[str]:
    return [code for code, _ in module["languages"] if code != "en"]


def test_every_language_has_its_strings(module: dict[str, Any]) -> None:
    codes = [code for code, _ in module["languages"]]
    assert codes[0] == "en" and {"el", "ru", "sr-latn", "sr-cyrl"} <= set(codes)
    for code in codes:
        assert isinstance(module["strings"].get(code), dict), f"STRINGS[{code!r}] is missing"
    assert set(module["strings"]) == set(codes)


def test_every_language_has_exactly_the_english_keys(module: dict[str, Any]) -> None:
    english = set(module["strings"]["en"])
    assert len(english) > 250
    for code in translations(module):
        keys = set(module["strings"][code])
        missing, extra = sorted(english - keys), sorted(keys - english)
        assert not missing and not extra, f"{code}: missing {missing}, extra {extra}"


def test_placeholders_match_english_and_nothing_is_empty(module: dict[str, Any]) -> None:
    english = module["strings"]["en"]
    problems = []
    for code, strings in module["strings"].items():
        for key, text in strings.items():
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{code}.{key} is empty")
            elif key in english and placeholders(text) != placeholders(english[key]):
                wanted = sorted(placeholders(english[key]))
                problems.append(f"{code}.{key}: {sorted(placeholders(text))}, English {wanted}")
    assert not problems, "\n".join(problems)


def test_serbian_scripts_do_not_mix(module: dict[str, Any]) -> None:
    problems = []
    for key, text in module["strings"]["sr-latn"].items():
        if CYRILLIC.search(text):
            problems.append(f"sr-latn.{key} has Cyrillic: {text!r}")
    for key, text in module["strings"]["sr-cyrl"].items():
        latin = [w for w in re.findall(r"[A-Za-z0-9]+", words(text)) if LATIN.search(w)]
        stray = [w for w in latin if w not in CYRILLIC_KEEPS_LATIN]
        if stray:
            problems.append(f"sr-cyrl.{key} has Latin {stray}: {text!r}")
    assert not problems, "\n".join(problems)


def test_serbian_cyrillic_is_the_latin_text_transliterated(module: dict[str, Any]) -> None:
    latin, cyrillic = module["strings"]["sr-latn"], module["strings"]["sr-cyrl"]
    assert cyrillic["screen_reports"] == "Извештаји"
    assert cyrillic["article_key"] == "Кључ (слова, цифре, цртице)"
    assert cyrillic["search_kb"] == "Претражи базу знања"
    for key in latin:
        assert placeholders(cyrillic[key]) == placeholders(latin[key])
        assert len(cyrillic[key]) <= len(latin[key]), key  # lj, nj, dž become one letter


def test_greek_and_russian_are_written_in_their_scripts(module: dict[str, Any]) -> None:
    problems = []
    for code, script in (("el", GREEK), ("ru", CYRILLIC)):
        for key, text in module["strings"][code].items():
            if len(text) > 3 and re.search(r"[^\W\d_]", words(text)) and not script.search(text):
                problems.append(f"{code}.{key} is not in its script: {text!r}")
    assert not problems, "\n".join(problems)


def test_shortcut_keys_stay_the_keys(module: dict[str, Any]) -> None:
    english = KEY_NAME.findall(module["strings"]["en"]["shortcuts"])
    assert english[:2] == ["n", "r"] and "Ctrl+Enter" in english and "/" in english
    for code in translations(module):
        assert KEY_NAME.findall(module["strings"][code]["shortcuts"]) == english, code
    assert re.search(r"\bn\b", module["strings"]["en"]["pick_a_ticket"])
    for code in translations(module):
        assert re.search(r"\bn\b", module["strings"][code]["pick_a_ticket"]), code
