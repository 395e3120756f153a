"""The report's charts as plain data (title, kind, labels, series): the console's reports page
and the HTML report draw the same specs with Chart.js (``web/console/charts.js``), and each
also renders as a table for screen readers and printing."""

from __future__ import annotations

from typing import Any

from insight.outcomes import Outcome

PERCENT, MINUTES, COUNT = "percent", "minutes", "count"
#: Met green, warned amber, breached red; what is not judged (excluded, pending) in greys.
SLA_COLOURS = {
    "met": "#16a34a",
    "warned": "#f59e0b",
    "breached": "#dc2626",
    "excluded": "#9ca3af",
    "pending": "#cbd5e1",
}


def _spec(
    key: str,
    title: str,
    kind: str,
    labels: list[str],
    series: list[tuple[str, list[Any]]],
    *,
    unit: str = COUNT,
    stacked: bool = False,
    horizontal: bool = False,
    colours: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "kind": kind,
        "unit": unit,
        "stacked": stacked,
        "horizontal": horizontal,
        "colours": colours,
        "labels": labels,
        "series": [{"label": label, "data": data} for label, data in series],
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    series = report["series"]
    buckets = [s["bucket"] for s in series]
    tickets = report["tickets"]
    out = [
        _spec(
            "outcomes", "Conversations by outcome", "bar", buckets,
            [(o.value.replace("_", " "), [s["outcomes"][o.value] for s in series])
             for o in Outcome],
            stacked=True,
        ),
        _spec(
            "containment", "Bot containment (share of decided conversations)", "line", buckets,
            [("confirmed", [_pct(s["containment_confirmed"]) for s in series]),
             ("confirmed + assumed", [_pct(s["containment"]) for s in series]),
             ("handed off", [_pct(s["handoff_rate"]) for s in series])],
            unit=PERCENT,
        ),
        _spec(
            "tickets", "Tickets: handed off, resolved, abandoned", "bar", buckets,
            [("handed off", [s["tickets"] for s in series]),
             ("resolved", [s["resolved"] for s in series]),
             ("abandoned", [s["abandoned"] for s in series])],
        ),
        _spec(
            "times", "Median first response and resolution (business minutes)", "line", buckets,
            [("first response", [s["first_response_median_minutes"] for s in series]),
             ("resolution", [s["resolution_median_minutes"] for s in series])],
            unit=MINUTES,
        ),
        _spec(
            "tiers",
            "Resolved per tier",
            "bar",
            list(tickets["resolved_by_tier"]),
            [("resolved", list(tickets["resolved_by_tier"].values()))],
        ),
        _spec(
            "escalations",
            "Escalation rate per tier",
            "bar",
            list(tickets["escalation_rate_by_tier"]),
            [("escalated", [_pct(v) for v in tickets["escalation_rate_by_tier"].values()])],
            unit=PERCENT,
        ),
        _spec(
            "reasons", "Handoff reasons", "bar",
            [k.replace("_", " ") for k in tickets["handoff_reasons"]],
            [("tickets", list(tickets["handoff_reasons"].values()))], horizontal=True,
        ),
        _spec(
            "sla",
            "SLA per target",
            "bar",
            [t.replace("_", " ") for t in tickets["sla"]],
            [(c, [tickets["sla"][t][c] for t in tickets["sla"]]) for c in SLA_COLOURS],
            stacked=True,
            colours=list(SLA_COLOURS.values()),
        ),
        _spec(
            "csat", "CSAT ratings", "bar", list(tickets["csat"]["distribution"]),
            [("ratings", list(tickets["csat"]["distribution"].values()))],
        ),
    ]  # fmt: skip
    articles = report["articles"][:12]
    if articles:
        out.append(
            _spec(
                "articles",
                "Answers per KB article",
                "bar",
                [a["key"] for a in articles],
                [
                    ("shown", [a["shown"] for a in articles]),
                    ("not helpful", [a["not_helpful"] for a in articles]),
                    ("handoff after", [a["handoff_after"] for a in articles]),
                ],
                horizontal=True,
            )
        )
    by_language = report["breakdowns"].get("language", {}).get("conversations", {})
    if by_language:
        langs = list(by_language)
        out.append(
            _spec(
                "languages",
                "Containment per language",
                "bar",
                langs,
                [
                    ("confirmed + assumed", [_pct(by_language[k]["containment"]) for k in langs]),
                    ("handed off", [_pct(by_language[k]["handoff_rate"]) for k in langs]),
                ],
                unit=PERCENT,
            )
        )
    by_topic = report["breakdowns"].get("topic", {}).get("tickets", {})
    if by_topic:
        top = sorted(by_topic, key=lambda k: -by_topic[k]["created"])[:12]
        out.append(
            _spec(
                "topics",
                "Tickets per topic",
                "bar",
                top,
                [
                    ("handed off", [by_topic[k]["created"] for k in top]),
                    ("SLA breached", [by_topic[k]["sla_breached"] for k in top]),
                ],
                horizontal=True,
            )
        )
    return out
