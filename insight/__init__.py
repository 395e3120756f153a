"""Insight: what the desk and the bot did, measured from the stored events.

- ``insight.models``: the facts recorded for it (every bot answer with its article version,
  agents' flags on answers, the questions the bot could not answer and their review);
- ``insight.recording``: the functions the conversation flow calls to write them;
- ``insight.periods``: report periods, time zones and day/week buckets;
- ``insight.sqlparts``: SQL pieces shared by the figures (business time, JSON fields, ranks);
- ``insight.outcomes``: one outcome record per conversation (bot confirmed / assumed / ...);
- ``insight.figures``: the report itself (containment, times, tiers, SLA, CSAT, now);
- ``insight.charts`` / ``insight.html``: the charts and the self-contained HTML report;
- ``insight.reports``: the one entry point of the CLI and the API; ``insight.citations``:
  which article versions recent answers cited;
- ``insight.content``: the content loop (the editors' queue and its review, topic clusters
  across languages, spike detection and its webhook);
- ``insight.demo``: ``tierzero demo seed``, a generated, marked month for a fresh database.

The definitions are in ``docs/metrics.md``.
"""
