"""The languages TierZero speaks: one list for the bot, the KB, routing and the UI."""

from __future__ import annotations

from typing import Final

#: Serbian is one language written in two scripts (see ``SCRIPTS``).
SUPPORTED_LANGUAGES: Final = ("en", "el", "ru", "sr")
SCRIPTS: Final = ("Cyrl", "Latn")
DEFAULT_LANGUAGE: Final = "en"


def normalise_language(value: str | None) -> str | None:
    """``"sr-Latn"``, ``"EL_gr"`` → ``"sr"``, ``"el"``; anything unsupported → None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGUAGES else None


def script_of_tag(value: str | None) -> str | None:
    """The script subtag of a language tag (``sr-Cyrl`` → ``Cyrl``), if it names one we use."""
    if not value:
        return None
    for part in value.replace("_", "-").split("-")[1:]:
        if part.title() in SCRIPTS:
            return part.title()
    return None
