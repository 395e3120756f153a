"""A generated month of support activity for a fresh database (``tierzero demo seed``), so the
reports and the editors' views have something to show before real customers arrive.

Every day of the period gets conversations shaped like a desk's week (busy business hours,
quiet nights and weekends) in English, Greek, Russian and Serbian (Cyrillic and Latin): the
published articles' example questions with light variation, or questions the KB does not
cover. The bot answers (some answers confirmed, some voted down, most left alone), offers a
person or hands off; demo agents of L1–L3 claim, answer (a few too late for the SLA), escalate,
resolve and reopen; customers rate, leave the queue or give up waiting, and some come back
within a day. One weekday about five days before the end has a three-hour login outage. All of
it goes through the real flow functions (``handoff.flows``, ``handoff.tickets``) at frozen
clock times, so the ticket events, the KB's answer stats and insight's records are what real
traffic would leave; a story that would run past the end stops where it is, as the desk is now.

Marked, and never mixed with real data: every customer has ``attributes["demo"] = True`` (the
identified ones an external id ``demo-…``), agents are ``demo-…@example.test`` and named
"(demo)"; :func:`seed` refuses a database that holds any other conversation, or demo data.

- ``insight.demo.seeding``: :func:`seed` — the refusals, the KB import, a transaction a day,
  the :class:`SeedSummary`;
- ``insight.demo.schedule``: the calendar — days, volumes, visit times, languages, stories,
  the spike day;
- ``insight.demo.bot`` / ``insight.demo.desk``: a story's bot part and desk part;
- ``insight.demo.stage``: the state they share (the world, a day's stage, the frozen clock);
- ``insight.demo.articles``: what the KB offers; ``insight.demo.phrases``: what people write,
  the names.
"""

from insight.demo.schedule import day_visits
from insight.demo.seeding import DemoRefused, SeedSummary, seed

__all__ = ["DemoRefused", "SeedSummary", "day_visits", "seed"]
