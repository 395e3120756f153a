"""Domain errors of the knowledge base; the HTTP status lives on the base class."""

from __future__ import annotations

from typing import Any

from tierzero.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge


class ArticleNotFound(NotFound):
    pass


class TranslationNotFound(NotFound):
    pass


class ArticleVersionNotFound(NotFound):
    pass


class ArticleKeyTaken(Conflict):
    pass


class TranslationExists(Conflict):
    pass


class InvalidArticle(InvalidInput):
    """Content that breaks a limit or carries unsafe HTML; nothing is written."""


class UnsafeContent(InvalidArticle):
    pass


class ImportFormatError(InvalidInput):
    """The file as a whole cannot be read (not YAML/JSON/CSV, wrong top-level shape)."""


class ImportTooLarge(PayloadTooLarge):
    pass


class InvalidTransition(Conflict):
    """E.g. archiving a translation that was never published."""


class VersionConflict(Conflict):
    """The editor saved on top of a version someone else already replaced.

    Carries the version now current so the client can reload and merge; nothing was written.
    """

    def __init__(self, message: str, *, current_version: int | None) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.data: dict[str, Any] = {"current_version": current_version}
