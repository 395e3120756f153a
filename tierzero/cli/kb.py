"""`tierzero kb`: import, export, search and evaluate the knowledge base from a terminal.

Every command migrates the database first, so it works on a fresh checkout; errors are one red
line, never a traceback. Imports write to the database: a running api picks them up through
its index sync (or on restart), no Rasa retraining.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from tierzero.cli.console import clear_errors, console, err_console, fail, load_settings
from tierzero.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(no_args_is_help=True, help="Import, export, search and evaluate the KB.")

DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "datasets"


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from tierzero import migrate
    from tierzero.db import make_engine, make_session_factory, unit_of_work

    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A .yaml/.yml, .json or .csv file.")],
    publish: Annotated[
        bool, typer.Option("--publish/--draft", help="Publish imported rows or keep drafts.")
    ] = True,
    author: Annotated[str, typer.Option(help="Recorded as the author of new versions.")] = "cli",
) -> None:
    """Import articles; bad rows are listed and skipped, the rest imported (exit 1 if any)."""
    from kb import service

    settings = load_settings()
    if not path.is_file():
        raise fail(f"no such file: {path}")
    with (
        clear_errors(),
        _session(settings) as session,
        Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("rows", total=None)
        report = service.import_file(
            session,
            path,
            author=author,
            publish=publish,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    for error in report.errors:
        where = " ".join(x for x in (error.key, error.language) if x)
        err_console.print(
            f"[red]✗[/] {error.location}{f' ({where})' if where else ''}: {error.message}",
            highlight=False,
        )
    console.print(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"published {report.published}, failed {report.failed}",
        highlight=False,
    )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def export(
    format_: Annotated[str, typer.Option("--format", "-f", help="yaml, json or csv.")] = "yaml",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout).")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Newest drafts of non-archived translations too.")
    ] = False,
) -> None:
    """Export the published KB (importable as it is)."""
    from kb import importers, service

    if format_ not in importers.FORMATS:
        raise fail(f"unknown format {format_!r}: use yaml, json or csv")
    with clear_errors(), _session(load_settings()) as session:
        text = service.export(session, format_, include_unpublished=all_)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            err_console.print(f"wrote {out}", highlight=False)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="What a customer would type.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="en, el, ru or sr (default: detect).")
    ] = None,
    dense: Annotated[
        str | None, typer.Option(help="on/off: multilingual embeddings (default: settings).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20)] = 3,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the published KB the way the bot does: top matches, confidence, decision."""
    from kb import service

    settings = load_settings()
    use_dense = _on_off(dense or settings.kb_dense, "--dense")
    if lang is not None and lang not in ("en", "el", "ru", "sr"):
        raise fail(f"unknown language {lang!r}: use en, el, ru or sr")
    with clear_errors(), _session(settings) as session:
        with console.status("building the index…"):
            index = service.new_index(settings, dense=use_dense)
            count = service.load_index(session, index)
        result = index.search(text, language=lang, limit=limit)
        keys = service.keys_for(session, (hit.article_id for hit in result.hits))
    if json_:
        payload = {
            "query": result.query,
            "language": result.language,
            "decision": result.decision,
            "hits": [
                {
                    "key": keys.get(hit.article_id),
                    "article_id": hit.article_id,
                    "language": hit.language,
                    "title": hit.title,
                    "version": hit.version,
                    "confidence": round(hit.confidence, 4),
                    "url": hit.url,
                }
                for hit in result.hits
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{count} published translations; language: {result.language or '?'}")
    for column in ("#", "key", "lang", "title", "confidence"):
        table.add_column(column, justify="right" if column in ("#", "confidence") else "left")
    for rank, hit in enumerate(result.hits, start=1):
        table.add_row(
            str(rank),
            keys.get(hit.article_id, str(hit.article_id)),
            hit.language,
            hit.title,
            f"{hit.confidence:.2f}",
        )
    console.print(table)
    colour = {"answer": "green", "clarify": "yellow", "abstain": "red"}[result.decision]
    console.print(f"decision: [bold {colour}]{result.decision}[/]")


@app.command("eval")
def eval_(
    dataset: Annotated[str | None, typer.Option(help="banking77, clinc150 or stackfaq.")] = None,
    data_dir: Annotated[
        Path, typer.Option(help="Where the public datasets are.")
    ] = DEFAULT_DATA_DIR,
    train: Annotated[Path | None, typer.Option(help="CSV text,label (custom data).")] = None,
    test: Annotated[Path | None, typer.Option(help="CSV text,label (custom data).")] = None,
    valid: Annotated[Path | None, typer.Option(help="CSV text,label (custom data).")] = None,
    oos_label: Annotated[
        str | None, typer.Option(help="Label meaning out of scope (custom data).")
    ] = None,
    dense: Annotated[str, typer.Option(help="on/off: multilingual embeddings.")] = "on",
    dense_en: Annotated[
        str, typer.Option(help="on/off: English MiniLM vectors next to e5 (with --dense on).")
    ] = "on",
    on_validation: Annotated[
        bool,
        typer.Option(help="Tuning: report on the validation split; the test split is not read."),
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the JSON result only.")] = False,
) -> None:
    """Evaluate search quality on a public dataset (or your own CSV splits)."""
    if dataset is not None and dataset not in ("banking77", "clinc150", "stackfaq"):
        raise fail(f"unknown dataset {dataset!r}: use banking77, clinc150 or stackfaq")
    if dataset is None and (train is None or test is None):
        raise fail("give --dataset, or --train and --test CSV files")
    use_dense = _on_off(dense, "--dense")
    use_en = _on_off(dense_en, "--dense-en")
    from kb.eval import run_eval

    settings = load_settings()

    def progress(message: str) -> None:
        if not json_:
            err_console.print(f"[dim]{message}[/]", highlight=False)

    with clear_errors():  # a missing or malformed dataset is a ValueError: one red line
        result = run_eval(
            dataset=dataset,
            data_dir=data_dir,
            train=train,
            test=test,
            valid=valid,
            oos_label=oos_label,
            dense=use_dense,
            dense_english=use_en,
            on_validation=on_validation,
            progress=progress,
            cache_dir=settings.var_dir / "cache" / "embeddings",
        )
    if json_:
        typer.echo(json.dumps(result, sort_keys=True))
        return
    console.print(_metrics_table(result))


def _on_off(value: str, option: str) -> bool:
    if value not in ("on", "off"):
        raise fail(f"{option} takes on or off, not {value!r}")
    return value == "on"


def _metrics_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"KB search on {result.get('dataset', '?')}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(result.items()):
        if isinstance(value, float):
            shown = f"{value:.4f}"
        elif isinstance(value, dict | list):
            continue
        else:
            shown = str(value)
        table.add_row(name, shown)
    return table
