"""`tierzero backup --to FILE` and `tierzero restore FILE`: the database as one checked file
(see tierzero/backup.py for what is in it and docs/operations.md for the procedure)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierzero.cli.console import clear_errors, console, load_settings

app = typer.Typer(help="Back up and restore the database.")

#: The rows people recognise, in the summary lines (every table is in the manifest).
SUMMARY_TABLES = ("conversations", "messages", "tickets", "agents", "kb_articles")


def _summary(rows: dict[str, int]) -> str:
    return ", ".join(f"{rows[name]} {name}" for name in SUMMARY_TABLES if name in rows)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


@app.command()
def backup(
    to: Annotated[Path, typer.Option("--to", help="the backup file to write")],
    force: Annotated[bool, typer.Option(help="Replace FILE if it exists.")] = False,
) -> None:
    """Back up the database to one file; safe while TierZero runs (a consistent snapshot)."""
    from tierzero import backup as backups

    settings = load_settings()
    with clear_errors():
        source = backups.describe(settings.database_url)
        with console.status(f"backing up the {source}…"):
            manifest = backups.create(settings.database_url, to, overwrite=force)
    console.print(
        f"[green]backed up[/] the {source} (schema {manifest.schema_revision}; "
        f"{_summary(manifest.rows)}) to {to} ({_size(to)})",
        highlight=False,
    )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `tierzero backup`")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before replacing.")] = False,
) -> None:
    """Replace the database with a backup and migrate it to this version. Stop TierZero first."""
    from tierzero import backup as backups

    settings = load_settings()
    with clear_errors():
        manifest = backups.check(file, settings.database_url)
        target = backups.describe(settings.database_url)
    console.print(
        f"{file}: {backups.ENGINE_NAMES[manifest.engine]} backup of "
        f"{manifest.created_at:%Y-%m-%d %H:%M} UTC, schema {manifest.schema_revision}, "
        f"TierZero {manifest.tierzero_version} ({_summary(manifest.rows)})",
        highlight=False,
    )
    if not yes:
        typer.confirm(f"Replace everything in the {target} with it?", abort=True)
    with clear_errors(), console.status("restoring…"):
        restored = backups.restore(settings.database_url, file)
    upgraded = (
        f"; migrated from schema {manifest.schema_revision} to {restored.schema_revision}"
        if restored.schema_revision != manifest.schema_revision
        else ""
    )
    console.print(f"[green]restored[/] the {target}{upgraded}", highlight=False)
    console.print("Rasa's dialogue state starts afresh; start TierZero with `tierzero run`.")
