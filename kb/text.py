"""Text pipeline for KB search: cleaning, language detection, Serbian transliteration, folding,
spaCy tokenisation and lemmatisation, and the feature strings the index hashes.

Everything here is deterministic and cached per token, because the same pipeline runs over
every example question at build time and over every customer message at query time.
Languages: en, el, ru, sr (Serbian Cyrillic and Latin are one language: both are folded to
Latin without diacritics before lemmatisation, so ``Лозинка``, ``lozinka`` and ``šifra``/``sifra``
meet in the same token space).
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from tierzero.languages import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

LANGUAGES: Final = SUPPORTED_LANGUAGES

#: Raw input is cut to this many characters before any other work (a 100 kB paste costs nothing).
RAW_LIMIT: Final = 4000
#: What the pipeline keeps after cleaning; support questions are far shorter than this.
MAX_CHARS: Final = 1000

# ---------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """Cut, NFC-normalise, drop control/format characters and collapse whitespace.

    Never raises on any ``str``; non-str input is treated as empty.
    """
    if not isinstance(text, str):
        return ""
    text = text[:RAW_LIMIT]
    if text.isascii():  # fast path: only ASCII control characters to drop
        return _WS.sub(" ", _ASCII_CONTROL.sub(" ", text)).strip()[:max_chars]
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(" ")
        else:
            out.append(ch)
    return _WS.sub(" ", "".join(out)).strip()[:max_chars]


# ---------------------------------------------------------------------------------------------
# Serbian transliteration
# ---------------------------------------------------------------------------------------------

_SR_CYR_TO_LAT: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip
_SR_UPPER: Final = {k.upper(): (v[0].upper() + v[1:]) for k, v in _SR_CYR_TO_LAT.items()}
_SR_TABLE: Final = str.maketrans({**_SR_CYR_TO_LAT, **_SR_UPPER})

# Russian letters that Serbian lacks, so a unified Latin form exists for any Cyrillic text
# (used for character n-grams, which must not depend on a ru/sr guess).
_RU_EXTRA_TO_LAT: Final = {
    "ё": "e", "й": "j", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju", "я": "ja", "щ": "sc",
    "і": "i", "ї": "ji", "є": "je", "ґ": "g",
}  # fmt: skip
_UNIFIED_TABLE: Final = str.maketrans(
    {**_SR_CYR_TO_LAT, **_RU_EXTRA_TO_LAT, **_SR_UPPER}
    | {k.upper(): v for k, v in _RU_EXTRA_TO_LAT.items()}
)

_LAT_DIGRAPHS: Final = {"lj": "љ", "nj": "њ", "dž": "џ", "Lj": "Љ", "LJ": "Љ", "Nj": "Њ", "NJ": "Њ",
                        "Dž": "Џ", "DŽ": "Џ"}  # fmt: skip
_LAT_SINGLE: Final = {v: k for k, v in _SR_CYR_TO_LAT.items() if len(v) == 1}
_LAT_SINGLE.update({k.upper(): v.upper() for k, v in list(_LAT_SINGLE.items())})
_LAT_TO_CYR_RE: Final = re.compile("|".join(sorted(_LAT_DIGRAPHS, key=len, reverse=True)) + "|.",
                                   re.S)  # fmt: skip


def to_serbian_latin(text: str) -> str:
    """Serbian Cyrillic → Serbian Latin (gajica, with diacritics); other characters unchanged."""
    return text.translate(_SR_TABLE)


def to_serbian_cyrillic(text: str) -> str:
    """Serbian Latin (with diacritics) → Cyrillic; digraphs lj/nj/dž become one letter."""

    def sub(m: re.Match[str]) -> str:
        s = m.group(0)
        return _LAT_DIGRAPHS.get(s) or _LAT_SINGLE.get(s, s)

    return _LAT_TO_CYR_RE.sub(sub, text)


# ---------------------------------------------------------------------------------------------
# Folding
# ---------------------------------------------------------------------------------------------

_KEEP_BREVE: Final = {"й": "\ue000", "Й": "\ue001"}  # protect й from accent stripping (й ≠ и)
_RESTORE_BREVE: Final = str.maketrans({"\ue000": "й", "\ue001": "й"})
_SPECIAL_FOLD: Final = str.maketrans(
    {"đ": "dj", "Đ": "dj", "ς": "σ", "ß": "ss", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe"}
)


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case and strip accents/diacritics: Greek tonos, č/ć→c, š→s, ž→z, đ→dj, ё→е.

    Keeps the script (Cyrillic stays Cyrillic) and keeps й, which is a separate letter.
    """
    if text.isascii():
        return text.lower()
    text = text.casefold()
    if "й" in text:
        text = text.replace("й", _KEEP_BREVE["й"])
    text = text.translate(_SPECIAL_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).translate(_RESTORE_BREVE)


def unify_script(folded: str) -> str:
    """Folded text → one comparable form: Cyrillic (Serbian or Russian) goes to Latin."""
    return fold(folded.translate(_UNIFIED_TABLE))


_SR_FOLD_TABLE: Final = str.maketrans(
    {k: fold(v.replace("đ", "dj")) for k, v in _SR_CYR_TO_LAT.items()}
    | {k.upper(): fold(v.replace("đ", "dj")) for k, v in _SR_CYR_TO_LAT.items()}
)


def fold_serbian(text: str) -> str:
    """Serbian in any script, with or without diacritics → Latin without diacritics."""
    return fold(text.translate(_SR_FOLD_TABLE))


#: ``fold`` without its cache, for building lemma tables: 250k table forms through the cache
#: would fill it with words customers rarely write and keep ~40 MB of strings alive.
_fold_once: Final = fold.__wrapped__


def _fold_serbian_once(text: str) -> str:
    return str(_fold_once(text.translate(_SR_FOLD_TABLE)))


# ---------------------------------------------------------------------------------------------
# Language detection (short messages)
# ---------------------------------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_RU_ONLY: Final = frozenset("ёйъыьэюящ")
_SR_ONLY: Final = frozenset("ђјљњћџ")
_SR_LATIN_MARKS: Final = frozenset("čćšžđ")

_RU_WORDS: Final = _wordset(
    "я ты он она мы вы они мне меня мой моя мое мои как что это почему где когда можно нужно "
    "нет есть уже ещё еще или но если чтобы был была было были будет хочу могу не ни на в с "
    "по из за от для при к у о об то так же ли бы только очень"
)
_SR_CYR_WORDS: Final = _wordset(
    "ја ти он она ми ви они мени мене мој моја моје моји како шта што зашто где када може "
    "треба нема има није јесте већ или али ако да је се сам си смо сте су ћу ће хоћу желим "
    "могу не ни на у са из за од до код при ка о то тако ли би само врло баш"
)
_SR_LAT_WORDS: Final = _wordset(
    "ja ti mi vi oni meni mene moj moja moje moji kako sta zasto gde gdje kada moze treba "
    "nema ima nije jeste vec ili ali ako da je se sam si smo ste su cu ce hocu zelim mogu ne "
    "ni na sa iz za od do kod pri ka to tako li bi samo vrlo bas nalog lozinka lozinku racun "
    "racuna kartica karticu kartice pomoc molim hvala zdravo dobar dan"
)
_EN_WORDS: Final = _wordset(
    "the a an i you he she we they me my your our is are was were be been am do does did how "
    "what why where when who which can could would should will not no yes to of in on at for "
    "with from by and or but if it this that there have has had get got please help want need "
    "account password card reset login log sign"
)
_WORD_RE: Final = re.compile(r"[^\W\d_]+", re.U)


def _script(ch: str) -> str | None:
    o = ord(ch)
    if 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF:
        return "greek"
    if 0x0400 <= o <= 0x04FF or 0x0500 <= o <= 0x052F:
        return "cyrillic"
    if ch.isascii() and ch.isalpha():
        return "latin"
    if 0x00C0 <= o <= 0x024F or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if ch.isalpha():
        return "other"
    return None


def detect_language(text: str) -> str | None:
    """Best guess among en/el/ru/sr for a (possibly very short) message; None if undetectable.

    Script decides first (dominant script among letters). Cyrillic: letters unique to Russian or
    Serbian, then function words. Latin: Serbian diacritics and common Serbian words against
    common English words; Latin text with other diacritics and no evidence is not guessed.
    """
    text = clean(text)
    counts: dict[str, int] = {}
    for ch in text:
        s = _script(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return None
    script = max(counts, key=lambda k: counts[k])
    if script == "other":
        return None
    if script == "greek":
        return "el"
    low = text.casefold()
    words = _WORD_RE.findall(low)
    if script == "cyrillic":
        ru = 3 * sum(ch in _RU_ONLY for ch in low) + sum(w in _RU_WORDS for w in words)
        sr = 3 * sum(ch in _SR_ONLY for ch in low) + sum(w in _SR_CYR_WORDS for w in words)
        return "sr" if sr > ru else "ru"
    folded = [fold(w) for w in words]
    sr = 3 * sum(ch in _SR_LATIN_MARKS for ch in low) + sum(w in _SR_LAT_WORDS for w in folded)
    en = sum(w in _EN_WORDS for w in words)
    if sr > en:
        return "sr"
    if en > 0:
        return "en"
    # No function words either way: plain ASCII reads as English; foreign diacritics do not.
    foreign = any(not ch.isascii() for ch in low if _script(ch) == "latin")
    return None if foreign else "en"


# ---------------------------------------------------------------------------------------------
# Tokenisation and lemmatisation
# ---------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_TOKENIZERS: dict[str, Any] = {}
_LEMMA_TABLES: dict[str, Callable[[str], str]] = {}


def _lookups_dir() -> Path | None:
    try:
        import spacy_lookups_data
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    return Path(spacy_lookups_data.__file__).parent / "data"


def _load_json_gz(name: str) -> Any:
    base = _lookups_dir()
    if base is None or not (base / name).exists():
        return None
    with gzip.open(base / name, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _tokenizer(lang: str) -> Any:
    tok = _TOKENIZERS.get(lang)
    if tok is None:
        with _LOCK:
            tok = _TOKENIZERS.get(lang)
            if tok is None:
                import spacy

                tok = spacy.blank(lang).tokenizer
                _TOKENIZERS[lang] = tok
    return tok


def _lemma_table(lang: str) -> Callable[[str], str]:
    """A folded-form → folded-lemma function for ``lang`` (built once, then cached)."""
    fn = _LEMMA_TABLES.get(lang)
    if fn is not None:
        return fn
    with _LOCK:
        fn = _LEMMA_TABLES.get(lang)
        if fn is None:
            fn = _build_lemmatizer(lang)
            _LEMMA_TABLES[lang] = fn
    return fn


def _identity(word: str) -> str:
    return word


class CompactLookup:
    """A large form → lemma table in ~12 bytes a form instead of ~200 (a dict of str): the
    forms' 64-bit hashes sorted, and an index into the distinct lemmas. The Serbian table has
    253k forms: ~60 MB as a dict in every api process, ~4 MB here. Hashes are Python's own
    (salted per process, but the table is built in the process that reads it); two forms of
    one table sharing a 64-bit hash is vanishingly unlikely (~2e-9 at 253k forms)."""

    def __init__(self, pairs: Iterable[tuple[str, str | None]]) -> None:
        index: dict[str, int] = {}
        keys: list[int] = []
        values: list[int] = []
        for form, lemma in pairs:
            keys.append(hash(form))
            values.append(-1 if lemma is None else index.setdefault(lemma, len(index)))
        arr = np.asarray(keys, np.int64)
        order = np.argsort(arr, kind="stable")  # equal forms: the first one given wins
        arr = arr[order]
        first = np.ones(arr.shape[0], bool)
        first[1:] = arr[1:] != arr[:-1]
        self._keys = arr[first]
        self._values = np.asarray(values, np.int32)[order][first]
        self._lemmas = tuple(index)

    def __len__(self) -> int:
        return int(self._keys.shape[0])

    def _find(self, form: str) -> int:
        h = hash(form)
        i = int(np.searchsorted(self._keys, h))
        return i if i < self._keys.shape[0] and int(self._keys[i]) == h else -1

    def __contains__(self, form: object) -> bool:
        return isinstance(form, str) and self._find(form) >= 0

    def get(self, form: str, default: str) -> str:
        i = self._find(form)
        if i < 0:
            return default
        v = int(self._values[i])
        return self._lemmas[v] if v >= 0 else default


def _build_lemmatizer(lang: str) -> Callable[[str], str]:
    if lang == "en":
        raw = _load_json_gz("en_lemma_lookup.json.gz") or {}
        table = {k.lower(): v.lower() for k, v in raw.items() if k.isalpha() or "-" in k}
        return lambda w: table.get(w, w)
    if lang == "sr":
        raw = _load_json_gz("sr_lemma_lookup.json.gz") or {}
        table_sr = CompactLookup(
            (_fold_serbian_once(form), _fold_serbian_once(lemma)) for form, lemma in raw.items()
        )
        del raw
        return lambda w: table_sr.get(w, w)
    if lang == "ru":
        try:
            import pymorphy3

            morph = pymorphy3.MorphAnalyzer()
        except Exception:  # pragma: no cover - optional at run time
            logger.warning("pymorphy3 unavailable; Russian is not lemmatised")
            return _identity

        def ru(word: str) -> str:
            if not word.isalpha():
                return word
            return fold(morph.parse(word)[0].normal_form)

        return ru
    if lang == "el":
        return _greek_lemmatizer()
    return _identity


def _greek_lemmatizer() -> Callable[[str], str]:
    """spaCy's Greek rules and lemma index without a POS tagger: try each POS's suffix rules on
    the accent-folded word and keep the first candidate that is a known lemma."""
    index = _load_json_gz("el_lemma_index.json.gz") or {}
    rules = _load_json_gz("el_lemma_rules.json.gz") or {}
    exc = _load_json_gz("el_lemma_exc.json.gz") or {}
    known = CompactLookup((_fold_once(w), None) for words in index.values() for w in words)
    del index
    exceptions: dict[str, str] = {}
    for table in exc.values():
        for form, lemmas in table.items():
            if lemmas:
                exceptions.setdefault(fold(form), fold(lemmas[0]))
    folded_rules = [
        (fold(old), fold(new)) for pos in ("noun", "verb", "adj") for old, new in rules.get(pos, [])
    ]

    def el(word: str) -> str:
        if word in exceptions:
            return exceptions[word]
        if word in known:
            return word
        for old, new in folded_rules:
            if old and word.endswith(old):
                cand = word[: len(word) - len(old)] + new
                if cand in known:
                    return cand
        return word

    return el


_TOKEN_CACHE: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
_TOKEN_CACHE_MAX: Final = 500_000


def chunk_tokens(chunk: str, lang: str) -> tuple[tuple[str, str], ...]:
    """(lemma, surface) pairs of one whitespace-free chunk, both folded and script-unified."""
    key = (lang, chunk)
    hit = _TOKEN_CACHE.get(key)
    if hit is not None:
        return hit
    out: list[tuple[str, str]] = []
    lemmatize = _lemma_table(lang)
    for tok in _tokenizer(lang)(chunk):
        raw = tok.text
        if not any(ch.isalnum() for ch in raw):
            continue
        f = fold_serbian(raw) if lang == "sr" else fold(raw)
        f = f.strip("-'’._")
        if not f:
            continue
        lemma = lemmatize(f)
        out.append((unify_script(lemma), unify_script(f)))
    result = tuple(out)
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[key] = result
    return result


def tokens(text: str, lang: str | None) -> list[tuple[str, str]]:
    """(lemma, surface) pairs for ``text`` read as ``lang`` (English rules when unknown).

    spaCy's tokenizer works per whitespace-separated chunk, so chunks are tokenised once and
    cached: the output equals ``spacy.blank(lang)`` tokenisation at a fraction of the cost.
    """
    lang = lang if lang in LANGUAGES else "en"
    out: list[tuple[str, str]] = []
    for chunk in clean(text).split(" "):
        if chunk:
            out.extend(chunk_tokens(chunk, lang))
    return out


def normalized_tokens(text: str, lang: str | None) -> list[str]:
    """Lemmas as the index sees them (folded, Serbian in Latin, Cyrillic unified)."""
    return [lemma for lemma, _ in tokens(text, lang)]


@lru_cache(maxsize=300_000)
def char_ngrams(surface: str, lo: int = 2, hi: int = 5) -> tuple[str, ...]:
    """Character n-grams of one word padded with spaces (like scikit-learn's ``char_wb``): they
    survive typos and inflection because most of a misspelt word's n-grams are still right."""
    padded = f" {surface} "
    grams: list[str] = []
    for n in range(lo, hi + 1):
        if n > len(padded):
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


def word_features(lemmas: Iterable[str]) -> list[str]:
    """Unigrams and bigrams of lemmas."""
    seq = list(lemmas)
    feats = list(seq)
    feats.extend(f"{a} {b}" for a, b in itertools.pairwise(seq))
    return feats


def has_content(text: str) -> bool:
    """True when the text has at least one letter or digit worth searching for."""
    return any(ch.isalnum() for ch in clean(text))
