"""Insight: what the desk and the bot did, measured from the stored events.

- ``insight.models``: the facts recorded for it (every bot answer with its article version,
  agents' flags on answers, the questions the bot could not answer and their review);
- ``insight.recording``: the functions the conversation flow calls to write them;
- ``insight.periods``: report periods, time zones and day/week buckets;
- ``insight.sqlparts``: SQL pieces shared by the figures (business time, JSON fields, ranks);
- ``insight.outcomes``: one outcome record per conversation (bot confirmed / assumed / ...);
- ``insight.figures``: the report itself (containment, times, tiers, SLA, CSAT, now);
- ``insight.charts`` / ``insight.html``: the charts and the self-contained HTML report.

The definitions are in ``docs/metrics.md``.
"""
