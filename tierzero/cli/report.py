"""`tierzero report`: the support figures of a period (docs/metrics.md) as a summary, as JSON
with every figure, or as a self-contained HTML file with charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tierzero.cli.console import clear_errors, console, load_settings, migrated_database
from tierzero.db import unit_of_work


def report(
    first: Annotated[
        str | None, typer.Option("--from", help="first day, e.g. 2026-11-01 (default: 30 days ago)")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="day after the last, e.g. 2026-12-01 (excluded)")
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="time zone of the days (default: the team's)")
    ] = None,
    bucket: Annotated[str, typer.Option(help="day | week")] = "day",
    window: Annotated[int, typer.Option(help="hours before an answer counts as resolved")] = 24,
    html: Annotated[
        Path | None, typer.Option(help="write a self-contained HTML report here")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print every figure as JSON")] = False,
) -> None:
    """Bot containment, handoffs, times in business hours, tiers, SLA, CSAT, articles, now."""
    from handoff.policy import load
    from insight import html as html_report
    from insight import reports
    from tierzero.clock import utcnow

    with clear_errors():
        policy = load(load_settings().policy_path)
        with unit_of_work(migrated_database(), read_only=True) as session:
            data = reports.build(
                session, policy, now=utcnow(), first=first, end=end, time_zone=tz,
                bucket=bucket, window_hours=window, with_charts=html is not None,
            )  # fmt: skip
        if html is not None:
            html.write_text(html_report.render(data), encoding="utf-8")
        if as_json:
            data.pop("charts", None)
            print(json.dumps(data, indent=2, ensure_ascii=False))
            return
    _summary(data)
    if html is not None:
        console.print(f"[green]wrote[/] {html}")


def _summary(data: dict) -> None:  # type: ignore[type-arg]
    from rich.table import Table

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.1f} %"

    c, t, p = data["conversations"], data["tickets"], data["period"]
    table = Table(title=f"{p['from']} to {p['to']} (excluded), {p['time_zone']}", show_header=False)
    rows = [
        ("conversations", str(c["conversations"])),
        ("bot containment: confirmed / confirmed + assumed",
         f"{pct(c['containment_confirmed'])} / {pct(c['containment'])}"),
        ("handoff rate", pct(c["handoff_rate"])),
        ("tickets handed off / resolved", f"{t['created']} / {t['resolved']}"),
        ("first response median / p90 (business min)",
         f"{t['first_response_business']['median']} / {t['first_response_business']['p90']}"),
        ("resolution median / p90 (business min)",
         f"{t['resolution_business']['median']} / {t['resolution_business']['p90']}"),
        ("resolved at L1 / L2 / L3",
         " / ".join(pct(v) for v in t["resolved_share_by_tier"].values())),
        ("reopen rate", pct(t["reopen_rate"])),
        ("SLA breaches", str(t["sla_breached"])),
        ("CSAT average (responses)", f"{t['csat']['average']} ({t['csat']['responses']})"),
        ("abandoned while waiting", f"{t['abandoned']} ({pct(t['abandoned_share'])})"),
    ]  # fmt: skip
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
