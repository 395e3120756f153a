"""Imports every domain's models so Alembic and create_all see all tables.

The core imports no domain package elsewhere; this module exists only for migrations and tests.
"""

import contextlib

import handoff.models  # noqa: F401
import tierzero.scheduler  # noqa: F401

with contextlib.suppress(ModuleNotFoundError):  # kb models arrive with the KB storage layer
    import kb.models  # noqa: F401

import insight.models  # noqa: F401  (after kb.models: its foreign keys name kb_articles)
import mail.models  # noqa: F401
