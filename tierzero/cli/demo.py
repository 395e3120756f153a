"""`tierzero demo seed`: a generated, clearly marked month of support activity for a fresh
database, so the reports and the editors' views have something to show (``insight.demo``)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from tierzero.cli.console import clear_errors, console, load_settings, migrated_database
from tierzero.settings import Settings

if TYPE_CHECKING:
    from insight.demo import SeedSummary

app = typer.Typer(
    help="A generated demo month for the reports (marked, never mixed with real data).",
    no_args_is_help=True,
)

COMMAND = "tierzero demo seed --days 30"
QUESTION = (
    "Fill it with a generated demo month for the reports? "
    "(clearly marked, never mixed with real data)"
)


@app.command("seed")
def seed_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="days up to today")] = 30,
    seed: Annotated[int, typer.Option(help="the same seed gives the same month")] = 7,
) -> None:
    """Generate a marked demo month: conversations, tickets, escalations, ratings, an outage.

    Refused when the database holds real conversations, or demo data already.
    """
    settings = load_settings()
    with clear_errors():
        _seed(settings, migrated_database(), days=days, seed=seed)


def _seed(settings: Settings, factory: sessionmaker[Session], *, days: int, seed: int) -> None:
    from handoff.policy import load
    from insight import demo

    policy = load(settings.policy_path)
    started = time.monotonic()
    with console.status(f"generating {days} days of demo support activity…"):
        summary = demo.seed(
            factory, policy, days=days, seed=seed, kb_demo_path=settings.kb_demo_path
        )
    _print(summary, time.monotonic() - started)


def _print(summary: SeedSummary, seconds: float) -> None:
    from rich.table import Table

    table = Table(title=f"demo month {summary.first_day} – {summary.last_day}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("conversations", summary.conversations),
        ("tickets", summary.tickets),
        ("escalations", summary.escalations),
        ("tickets past an SLA deadline", summary.sla_breaches),
        ("ratings", summary.ratings),
        ("login outage", f"{summary.spike_day} ({summary.spike_conversations} conversations)"
         if summary.spike_day else "none (period too short)"),
    ):  # fmt: skip
        table.add_row(label, str(value))
    console.print(table)
    console.print(
        f"[green]generated in {seconds:.1f} s[/]; every customer is marked demo "
        "(external ids demo-…), agents are demo-…@example.test; see it with `tierzero report`"
    )


def offer_on_fresh_database(settings: Settings) -> None:
    """`tierzero run` on a database without conversations: offer the demo month (asked on a
    terminal, otherwise one line naming the command)."""
    from rich.prompt import Confirm
    from sqlalchemy import select

    from handoff.models import Conversation
    from tierzero.db import make_engine, make_session_factory, unit_of_work

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        with unit_of_work(factory, read_only=True) as session:
            if session.scalar(select(Conversation.id).limit(1)) is not None:
                return
        if not sys.stdin.isatty():
            console.print(f"no conversations yet; for demo reports run: {COMMAND}", soft_wrap=True)
        elif Confirm.ask(QUESTION, default=False, console=console):
            _seed(settings, factory, days=30, seed=7)
    finally:
        engine.dispose()
