"""Shared console output: one clear red line for an error, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    from sqlalchemy.exc import SQLAlchemyError

    from tierzero.errors import TierZeroError

    try:
        yield
    except TierZeroError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise fail(
            f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        ) from None
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
