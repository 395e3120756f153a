"""The conversation's language and, for Serbian, its script: what the bot replies in.

The customer's language changes only on real evidence: "да", "ok", "2" or 👍 answer the bot's
question, they do not choose a language. Serbian is written in Cyrillic or Latin; the bot
follows the script the customer writes, transliterating its own texts with ``render``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final, Literal

from kb.text import clean, detect_language, fold, to_serbian_cyrillic, to_serbian_latin

__all__ = ["SUPPORTED_LANGUAGES", "Script", "next_language", "render", "script_of"]

from tierzero.languages import SUPPORTED_LANGUAGES

#: Serbian's two scripts (ISO 15924 codes); other languages have one and carry None.
Script = Literal["Cyrl", "Latn"]
CYRILLIC: Final[Script] = "Cyrl"
LATIN: Final[Script] = "Latn"

_WORD: Final = re.compile(r"[^\W\d_]+")


def _folded(words: str) -> frozenset[str]:
    """A space-separated word list as a set of folded words (the form messages are compared in)."""
    return frozenset(fold(w) for w in words.split())


#: Replies that say nothing about the language: kept whatever the conversation's language.
_NEUTRAL: Final = _folded(
    "ok okay okey oke k kk yes no yep nope ок окей оке lol hm hmm mhm aha ah oh eh uh xd"
)

#: Short replies each language uses, folded (Serbian in both scripts). A reply made only of
#: words the current language also uses keeps that language ("да" for a Russian customer).
_SHORT_REPLIES: Final[dict[str, frozenset[str]]] = {
    "en": _folded(
        "yeah yup sure thanks thank you thx ty please pls hi hello hey bye fine great cool right "
        "correct good nice perfect done"
    ),
    "ru": _folded(
        "да нет не ага угу спасибо пожалуйста привет здравствуйте так хорошо ладно "
        "конечно понятно ясно норм отлично верно точно пока"
    ),
    "sr": _folded(
        "да не ne da nije jeste može moze може hvala хвала molim молим zdravo здраво ћао "
        "ćao cao важи važi vazi добро dobro јасно jasno наравно naravno тако tako так па pa "
        "super супер ок"
    ),
    "el": _folded(
        "ναι όχι οχι οκ ευχαριστώ ευχαριστω παρακαλώ γεια εντάξει ενταξει καλά σωστά τέλεια"
    ),
}

#: How many content words make a message more than a short reply.
_SHORT_MAX_WORDS: Final = 2

# Letters only one of the two Cyrillic languages has, and words that tell them apart (words
# both use, like "да", "не", "на", "так", are no evidence either way).
_RU_LETTERS: Final = frozenset("ёйъыьэюящ")
_SR_LETTERS: Final = frozenset("ђјљњћџ")
_RU_WORDS: Final = _folded(
    "я меня мне мой моя моё мое что чтобы это почему когда нет есть уже ещё еще был была "
    "было были будет хочу можно нужно надо очень сейчас спасибо пожалуйста привет как здравствуйте "
    "помогите вы вход войти"
)
_SR_WORDS: Final = _folded(
    "ја мени мене мој моја моје шта што зашто када како нема има није јесте већ хоћу "
    "желим треба ћу ће сам смо сте су хвала молим здраво ви би био била"
)


def script_of(text: str) -> str | None:
    """The script most of the letters are in ("Cyrl", "Latn" or "Grek"); None without letters."""
    cyrillic = latin = greek = 0
    for ch in text:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if 0x0400 <= o <= 0x052F:
            cyrillic += 1
        elif 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF:
            greek += 1
        elif o < 0x0250 or 0x1E00 <= o <= 0x1EFF:
            latin += 1
    best = max(cyrillic, latin, greek)
    if best == 0:
        return None
    return CYRILLIC if cyrillic == best else LATIN if latin == best else "Grek"


def _serbian_script(text: str, current_script: str | None) -> str | None:
    """Serbian follows the script the customer writes; a message without letters keeps it."""
    script = script_of(text)
    if script in (CYRILLIC, LATIN):
        return script
    return current_script if current_script in (CYRILLIC, LATIN) else None


def _result(
    language: str | None, text: str, current_script: str | None
) -> tuple[str | None, str | None]:
    if language == "sr":
        return language, _serbian_script(text, current_script)
    return language, None


def _cyrillic_switch(words: list[str], text: str, current: str) -> bool:
    """Between Russian and Serbian Cyrillic only distinctive letters and words are evidence."""
    low = text.casefold()
    ru = 3 * sum(ch in _RU_LETTERS for ch in low) + sum(w in _RU_WORDS for w in words)
    sr = 3 * sum(ch in _SR_LETTERS for ch in low) + sum(w in _SR_WORDS for w in words)
    return ru > sr if current == "sr" else sr > ru


def next_language(
    text: str, current: str | None, current_script: str | None
) -> tuple[str | None, str | None]:
    """The (language, script) to reply in after this customer message.

    ``script`` is "Cyrl"/"Latn" for Serbian and None otherwise. With no current language the
    message's detected language is used; afterwards the language switches only on evidence:
    a reply of neutral words ("ok", "2", 👍) or of short words the current language also uses
    ("да", "ne") keeps it; so does a Cyrillic message without Russian- or Serbian-only letters
    or words. Serbian's script follows the letters the customer writes.
    """
    if current not in SUPPORTED_LANGUAGES:
        current = None
    cleaned = clean(text)
    words = [fold(w) for w in _WORD.findall(cleaned.casefold())]
    content = [w for w in words if w not in _NEUTRAL]
    if current is None:
        detected = detect_language(cleaned) if words else None
        return _result(detected, cleaned, current_script)
    if not content:
        # letters-free or neutral ("ok"): the language and the script stay as they are
        return current, current_script if current == "sr" else None
    if len(content) <= _SHORT_MAX_WORDS:
        if all(w in _SHORT_REPLIES[current] for w in content):
            return _result(current, cleaned, current_script)
        candidates = [
            lang for lang in SUPPORTED_LANGUAGES if all(w in _SHORT_REPLIES[lang] for w in content)
        ]
        if candidates:
            detected = detect_language(cleaned)
            return _result(detected if detected in candidates else candidates[0], cleaned, None)
    detected = detect_language(cleaned)
    if detected is None or detected == current:
        return _result(current, cleaned, current_script)
    if {detected, current} == {"ru", "sr"} and script_of(cleaned) == "Cyrl":
        if not _cyrillic_switch(content, cleaned, current):
            return _result(current, cleaned, current_script)
    elif len(content) <= _SHORT_MAX_WORDS and _fits_script(current, cleaned):
        # a word or two the detector does not place in the current language ("Gmail", "reset")
        # is no reason to switch, nor to change Serbian's script
        return current, current_script if current == "sr" else None
    return _result(detected, cleaned, None)


def _fits_script(language: str, text: str) -> bool:
    script = script_of(text)
    if language == "sr":
        return script in (CYRILLIC, LATIN)
    return script == {"en": "Latn", "ru": "Cyrl", "el": "Grek"}[language]


# ---------------------------------------------------------------------------------------------
# Rendering the bot's texts in the customer's script
# ---------------------------------------------------------------------------------------------

_PROTECTED_PARTS: Final = (
    r"```.*?```",  # fenced code
    r"`[^`\n]*`",  # inline code
    r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)",  # Markdown link target
    r"<[^<>\s]+>",  # autolinks and tags
    r"\b(?:https?|ftp)://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]",  # URLs
    r"\bwww\.[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
    r"\{\{.*?\}\}|\{[^{}\s]*\}|%\(\w+\)[sd]|%[sd]",  # placeholders
    r"&(?:\w+|#\d+);",  # HTML entities
    r"\b[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\b",  # domains, file names, versions
    r"\b\w*\d\w*\b",  # tokens with digits: 2FA, H264, order numbers
    r"\b[A-Z][A-Z0-9&]+\b",  # acronyms: VPN, SMS, PDF, IBAN
    r"\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b",  # inner capitals: iPhone, TierZero, PayPal
    r"\b[A-Za-z]*[QWXYqwxy][A-Za-z]*\b",  # letters Serbian lacks: Windows, Dropbox, Apple Pay
)
_PROTECTED: Final = re.compile("|".join(f"(?:{p})" for p in _PROTECTED_PARTS), re.S)


def render(
    text: str,
    language: str | None,
    script: str | None,
    *,
    keep_latin: Collection[str] = (),
) -> str:
    """``text`` in the customer's script: Serbian is transliterated to ``script``.

    URLs, e-mail addresses, ``{placeholders}``, Markdown link targets, code in backticks,
    tokens with digits, ALL-CAPS acronyms, CamelCase names and the words in ``keep_latin``
    (product names) are left as written. Other languages are returned unchanged.
    """
    if language != "sr" or script not in (CYRILLIC, LATIN):
        return text
    convert = to_serbian_cyrillic if script == CYRILLIC else to_serbian_latin
    protected = _PROTECTED
    if keep_latin:
        names = "|".join(re.escape(n) for n in sorted(keep_latin, key=len, reverse=True) if n)
        if names:
            protected = re.compile(rf"(?:\b(?:{names})\b)|{_PROTECTED.pattern}", re.S)
    out: list[str] = []
    pos = 0
    for match in protected.finditer(text):
        out.append(convert(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(convert(text[pos:]))
    return "".join(out)
