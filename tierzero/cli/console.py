"""Shared console output: one clear red line for an error, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from tierzero.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Every failure of a command as one red line (settings, database, files, anything else)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from tierzero.errors import TierZeroError

    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except TierZeroError as exc:
        raise fail(exc.message) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"invalid settings: {problems}") from None
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0]
        raise fail(f"database error: {exc.__class__.__name__}: {first_line}") from None
    except (OSError, ValueError) as exc:
        raise fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except Exception as exc:
        raise fail(f"unexpected {type(exc).__name__}: {exc}") from None


def load_settings(**overrides: object) -> Settings:
    """The settings (command-line options over ``TIERZERO_*``), or one clear line saying which
    is wrong."""
    with clear_errors():
        return Settings(**overrides) if overrides else get_settings()  # type: ignore[arg-type]


def migrated_database() -> sessionmaker[Session]:
    """Sessions on the configured database, migrated to the current schema first."""
    from tierzero import migrate
    from tierzero.db import make_engine, make_session_factory

    settings = load_settings()
    migrate.upgrade(settings.database_url)
    return make_session_factory(make_engine(settings.database_url))
