"""Is the customer telling us it is urgent? A small multilingual lexicon over folded text.

Urgency raises a ticket's priority (it is served before older normal tickets) and, when nothing
else explains the handoff, becomes its reason. Deliberately narrow: words people use to say
"now, it's critical", not every mention of time.
"""

from __future__ import annotations

import re
from typing import Final

from kb.text import fold, fold_serbian

# Folded forms (no accents/diacritics; Serbian Cyrillic to Latin) of urgency words and stems.
_STEMS: Final = (
    # en
    r"urgent\w*", r"asap", r"emergenc\w*", r"immediately", r"critical",
    r"as soon as possible", r"losing (?:money|customers|business)", r"business is down",
    # el (folded: no tonos)
    r"επειγ\w*", r"αμεσα", r"τωρα αμεσως", r"κρισιμ\w*",
    # ru
    r"срочн\w*", r"немедленно", r"критичн\w*", r"как можно скорее", r"авари\w*",
    # sr (Latin after folding; Cyrillic is transliterated first)
    r"hitn\w*", r"odmah", r"sto pre", r"kriticn\w*",
)  # fmt: skip
_URGENT: Final = re.compile(r"(?<!\w)(?:" + "|".join(_STEMS) + r")(?!\w)")
_NEGATED: Final = re.compile(r"(?<!\w)(?:not|no|nothing|не|ne|nista|nije|δεν)\s+(?:\w+\s+)?$")


def is_urgent(text: str) -> bool:
    """True when the message says it is urgent (and does not say it is *not*)."""
    # Cyrillic is read twice: as it is (Russian stems) and transliterated (Serbian stems)
    for folded in {fold(text), fold_serbian(text)}:
        for match in _URGENT.finditer(folded):
            if not _NEGATED.search(folded[: match.start()][-30:]):
                return True
    return False
