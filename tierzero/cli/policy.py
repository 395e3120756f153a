"""`tierzero policy …`: check a support policy file and show what it promises."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tierzero.cli.console import clear_errors, console, load_settings

app = typer.Typer(help="Validate and show the support policy (plans, targets, hours).",
                  no_args_is_help=True)  # fmt: skip

PathArg = Annotated[Path | None, typer.Argument(help="policy file (default: the configured one)")]


def _load(path: Path | None):  # type: ignore[no-untyped-def]
    from handoff.policy import load

    return load(path or load_settings().policy_path)


@app.command("validate")
def validate(path: PathArg = None) -> None:
    """Check a policy file; errors name the line (exit 1)."""
    with clear_errors():
        policy = _load(path)
    console.print(
        f"[green]policy is valid[/]: {len(policy.plans)} plans, {len(policy.teams)} team(s)"
    )


@app.command("show")
def show(path: PathArg = None) -> None:
    """Plans, their targets per priority (business minutes) and the team's hours."""
    with clear_errors():
        policy = _load(path)
    table = Table("plan", "live support", "priority", "first response", "resolution")
    for name, plan in policy.plans.items():
        for priority, target in plan.targets.items():
            table.add_row(
                name + (" (anonymous)" if name == policy.anonymous_plan else ""),
                "yes" if plan.live_support else "email follow-up", priority.value,
                f"{target.first_response} min", f"{target.resolution} min",
            )  # fmt: skip
    console.print(table)
    for name, team in policy.teams.items():
        hours = ", ".join(f"{day} {o}–{c}" for day, (o, c) in team.hours.items())
        console.print(f"team {name} ({team.time_zone}): {hours}; {len(team.holidays)} holidays")
