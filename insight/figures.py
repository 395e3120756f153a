"""The report: every figure of ``docs/metrics.md`` for a period, per day or week and per
channel, tier, team, agent, language, topic and plan, plus the desk as it is now.

The records come from the database (``insight.outcomes``, ``insight.ticket_records``, the
article query below); this module puts them into buckets and groups and counts them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased

from handoff import overview
from handoff.lifecycle import OPEN_STATUSES, HandoffReason, Tier
from handoff.models import Agent, Ticket
from handoff.policy import Policy
from insight.models import AnswerFlag, BotAnswer, Decision, Verdict
from insight.outcomes import (
    BOT_RESOLVED,
    DEFAULT_WINDOW_HOURS,
    Outcome,
    OutcomeRecord,
    outcome_records,
)
from insight.periods import Period, Window
from insight.queue_wait import spells
from insight.stats import count_summary, minutes_summary, share
from insight.ticket_records import TicketRecord, ticket_records

CONVERSATION_DIMENSIONS = ("channel", "language", "plan", "topic")
TICKET_DIMENSIONS = ("channel", "tier", "team", "agent", "language", "topic", "plan")
SLA_CLASSES = ("met", "warned", "breached", "excluded", "pending")
ENDS = ("resolved", "cancelled", "abandoned", "returned_to_bot")


# --- conversations -------------------------------------------------------------------------


def containment(
    records: list[OutcomeRecord], *, as_of: datetime, window_hours: int
) -> dict[str, Any]:
    """Outcome counts and the rates over *decided* conversations: not pending, and started at
    least one window before ``as_of`` — a recent handoff is final at once while a recent
    answer is still pending, so counting recent conversations would bias today towards
    handoffs (its rates are None until the window has passed)."""
    counts = Counter(r.outcome.value for r in records)
    settled = as_of - timedelta(hours=window_hours)
    decided = [r for r in records if r.outcome != Outcome.PENDING and r.started_at <= settled]
    done = Counter(r.outcome.value for r in decided)
    confirmed, assumed = done[Outcome.BOT_CONFIRMED.value], done[Outcome.BOT_ASSUMED.value]
    n = len(decided)
    return {
        "conversations": len(records),
        "decided": n,
        "outcomes": {o.value: counts[o.value] for o in Outcome},
        "containment_confirmed": share(confirmed, n),
        "containment_assumed": share(assumed, n),
        "containment": share(confirmed + assumed, n),
        "uncounted_share": share(done[Outcome.UNCOUNTED.value], n),
        "handoff_rate": share(done[Outcome.HANDED_OFF.value], n),
    }


# --- tickets -------------------------------------------------------------------------------


def _sla_target(
    t: TicketRecord,
    due: datetime | None,
    done: datetime | None,
    elapsed: float | None,
    target: float | None,
    warning_at: float,
    as_of: datetime,
) -> tuple[str, datetime] | None:
    """(class, attribution instant) of one target of one ticket; None without a deadline."""
    if due is None:
        return None
    if done is not None:
        if done > due:
            return "breached", due
        warned = elapsed is not None and target and elapsed > warning_at * target
        return ("warned" if warned else "met"), done
    if t.status in OPEN_STATUSES:
        return ("breached", due) if as_of >= due else ("pending", t.created_at)
    return "excluded", t.created_at  # ended without it (cancelled, abandoned, resolved unanswered)


def sla_classes(
    t: TicketRecord, warning_at: float, as_of: datetime
) -> dict[str, tuple[str, datetime]]:
    targets = {
        "first_response": (t.first_response_due_at, t.first_response_at,
                           t.first_response_business, t.first_response_target_business),
        "resolution": (t.resolution_due_at, t.resolved_at, t.resolution_business,
                       t.resolution_target_business),
    }  # fmt: skip
    out = {}
    for name, (due, done, elapsed, target) in targets.items():
        found = _sla_target(t, due, done, elapsed, target, warning_at, as_of)
        if found:
            out[name] = found
    return out


class TicketFigures:
    """Ticket figures for one group of records, each attributed to its own instant."""

    def __init__(self, span: Period | Window, policy: Policy, as_of: datetime) -> None:
        self.period, self.policy, self.as_of = span, policy, as_of

    def block(self, records: Iterable[TicketRecord]) -> dict[str, Any]:
        p = self.period
        records = list(records)
        created = [t for t in records if p.contains(t.created_at)]
        answered = [t for t in records if p.contains(t.first_response_at)]
        resolved = [t for t in records if p.contains(t.resolved_at)]
        first_resolved = [t for t in records if p.contains(t.first_resolved_at)]
        ended = [t for t in created if t.end_reason in ENDS and t.status not in OPEN_STATUSES]
        by_tier = Counter(t.resolved_tier for t in resolved)
        entered = {tier.value: [t for t in created if tier.value in t.entered] for tier in Tier}
        sla: dict[str, Counter[str]] = {"first_response": Counter(), "resolution": Counter()}
        for t in records:
            for target, (cls, when) in sla_classes(
                t, self.policy.sla_warning_at, self.as_of
            ).items():
                if p.contains(when):
                    sla[target][cls] += 1
        rated = [t.csat_score for t in resolved if t.csat_score is not None]
        return {
            "created": len(created),
            "handoff_reasons": {r.value: sum(t.handoff_reason == r.value for t in created)
                                for r in HandoffReason},
            "ended": {e: sum(t.end_reason == e for t in ended) for e in ENDS},
            "good_handoff_share": share(sum(t.end_reason == "resolved" for t in ended), len(ended)),
            "first_response_business": minutes_summary(
                [t.first_response_business or 0.0 for t in answered]),
            "first_response_wall": minutes_summary(
                [(t.first_response_at - t.created_at).total_seconds() for t in answered
                 if t.first_response_at]),
            "resolution_business": minutes_summary(
                [t.resolution_business or 0.0 for t in resolved]),
            "resolution_wall": minutes_summary(
                [(t.resolved_at - t.created_at).total_seconds() for t in resolved
                 if t.resolved_at]),
            "messages_until_resolution": count_summary(
                [t.customer_messages or 0 for t in resolved]),
            "resolved": len(resolved),
            "resolved_by_tier": {tier.value: by_tier[tier.value] for tier in Tier},
            "resolved_share_by_tier": {tier.value: share(by_tier[tier.value], len(resolved))
                                       for tier in Tier},
            "escalation_rate_by_tier": {
                tier: share(sum(tier in t.escalated_from for t in group), len(group))
                for tier, group in entered.items()
            },
            "reopen_rate": share(sum(t.reopened for t in first_resolved), len(first_resolved)),
            "sla": {target: {c: counts[c] for c in SLA_CLASSES} for target, counts in sla.items()},
            "sla_breached": sum(c["breached"] for c in sla.values()),
            "csat": {
                "population": len(resolved),
                "responses": len(rated),
                "response_rate": share(len(rated), len(resolved)),
                "average": round(sum(rated) / len(rated), 3) if rated else None,
                "distribution": {str(s): rated.count(s) for s in range(1, 6)},
            },
            "abandoned": sum(t.abandoned for t in created),
            "abandoned_share": share(sum(t.abandoned for t in created), len(created)),
            "left_queue": sum(t.left_queue for t in created),
            "no_agent": sum(t.no_agent for t in created),
        }  # fmt: skip


def _ticket_key(dimension: str, team: str, agents: dict[int, str]) -> Callable[[TicketRecord], str]:
    def agent_name(agent_id: int | None) -> str:
        return agents.get(agent_id, f"agent {agent_id}") if agent_id else "(none)"

    keys: dict[str, Callable[[TicketRecord], str]] = {
        "channel": lambda t: t.channel,
        "language": lambda t: t.language or "(unknown)",
        "topic": lambda t: t.topic or "(none)",
        "plan": lambda t: t.plan,
        "team": lambda t: team,
        # a ticket counts in the tier (and for the agent) that resolved it, else that answered
        # it first, else where it was handed off (L1)
        "tier": lambda t: t.resolved_tier or t.first_response_tier or Tier.L1.value,
        "agent": lambda t: agent_name(t.resolved_agent or t.first_response_agent),
    }
    return keys[dimension]


# --- queue wait ---------------------------------------------------------------------------


def queue_wait(session: Session, period: Period) -> dict[str, Any]:
    """Waits in a queue that ended in the period: those ended by an agent taking the ticket
    (wall-clock minutes, overall and per tier) and how many ended otherwise."""
    found = spells(session, start=period.start, end=period.end)
    taken = [s for s in found if s.taken]
    return {
        "taken": minutes_summary([s.seconds for s in taken]),
        "taken_by_tier": {
            tier.value: minutes_summary([s.seconds for s in taken if s.tier == tier.value])
            for tier in Tier
        },
        "ended_otherwise": dict(Counter(s.ended_by for s in found if not s.taken)),
    }


# --- articles ------------------------------------------------------------------------------


def article_figures(session: Session, period: Period) -> list[dict[str, Any]]:
    """Per KB article: answers shown in the period, votes, flags, and handoffs that followed
    (a ticket of the conversation before its next answer)."""
    from kb.models import Article

    later = aliased(BotAnswer, name="later")
    handed_off = case(
        (
            exists().where(
                Ticket.conversation_id == BotAnswer.conversation_id,
                Ticket.created_at >= BotAnswer.created_at,
                ~exists().where(
                    later.conversation_id == BotAnswer.conversation_id,
                    later.decision == Decision.ANSWER.value,
                    later.message_seq > BotAnswer.message_seq,
                    later.created_at <= Ticket.created_at,
                ),
            ),
            1,
        ),
        else_=0,
    )
    flags = select(func.count()).where(AnswerFlag.bot_answer_id == BotAnswer.id).scalar_subquery()
    stmt = (
        select(
            BotAnswer.article_id,
            Article.key,
            func.count(),
            func.sum(case((BotAnswer.verdict == Verdict.HELPFUL.value, 1), else_=0)),
            func.sum(case((BotAnswer.verdict == Verdict.NOT_HELPFUL.value, 1), else_=0)),
            func.sum(handed_off),
            func.sum(flags),
        )
        .join(Article, Article.id == BotAnswer.article_id)
        .where(
            BotAnswer.decision == Decision.ANSWER.value,
            BotAnswer.created_at >= period.start,
            BotAnswer.created_at < period.end,
        )
        .group_by(BotAnswer.article_id, Article.key)
        .order_by(func.count().desc(), BotAnswer.article_id)
    )
    out = []
    for article_id, key, shown, helpful, unhelpful, after, flagged in session.execute(stmt):
        helpful, unhelpful = int(helpful or 0), int(unhelpful or 0)
        out.append(
            {
                "article_id": article_id,
                "key": key,
                "shown": shown,
                "helpful": helpful,
                "not_helpful": unhelpful,
                "helpful_rate": share(helpful, helpful + unhelpful),
                "vote_rate": share(helpful + unhelpful, shown),
                "handoff_after": int(after or 0),
                "flags": int(flagged or 0),
            }
        )
    return out


# --- the report ----------------------------------------------------------------------------


def _attribute(name: str) -> Callable[[OutcomeRecord], str]:
    return lambda r: str(getattr(r, name) or "(unknown)")


def _grouped(items: Iterable[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return dict(sorted(groups.items()))


def report(
    session: Session,
    policy: Policy,
    period: Period,
    *,
    as_of: datetime,
    window_hours: int = DEFAULT_WINDOW_HOURS,
    now: bool = True,
) -> dict[str, Any]:
    team_name = next(iter(policy.teams))
    conversations = outcome_records(session, period, as_of=as_of, window_hours=window_hours)
    tickets = ticket_records(session, policy.team, start=period.start, end=period.end, as_of=as_of)
    agents = {a.id: a.name for a in session.scalars(select(Agent))}
    tf = TicketFigures(period, policy, as_of)
    decided_by: dict[str, Any] = {"as_of": as_of, "window_hours": window_hours}

    bot_messages = [
        r.customer_messages_to_answer or 0 for r in conversations if r.outcome in BOT_RESOLVED
    ]
    series = []
    conv_by_bucket = _grouped(conversations, lambda r: period.bucket_of(r.started_at) or "")
    for label, start, end in period.buckets():
        block = TicketFigures(Window(start, end), policy, as_of).block(tickets)
        series.append(
            {
                "bucket": label,
                "start": start.isoformat(),
                **containment(conv_by_bucket.get(label, []), **decided_by),
                "tickets": block["created"],
                "resolved": block["resolved"],
                "first_response_median_minutes": block["first_response_business"]["median"],
                "resolution_median_minutes": block["resolution_business"]["median"],
                "csat_average": block["csat"]["average"],
                "sla_breached": block["sla_breached"],
                "abandoned": block["abandoned"],
            }
        )
    breakdowns: dict[str, Any] = {}
    for dim in CONVERSATION_DIMENSIONS:
        groups = _grouped(conversations, _attribute(dim))
        breakdowns.setdefault(dim, {})["conversations"] = {
            k: containment(v, **decided_by) for k, v in groups.items()
        }
    for dim in TICKET_DIMENSIONS:
        key = _ticket_key(dim, team_name, agents)
        breakdowns.setdefault(dim, {})["tickets"] = {
            k: tf.block(v) for k, v in _grouped(tickets, key).items()
        }
    result: dict[str, Any] = {
        "definitions": "docs/metrics.md",
        "as_of": as_of.isoformat(timespec="seconds"),
        "period": period.describe(),
        "window_hours": window_hours,
        "team": team_name,
        "conversations": {
            **containment(conversations, **decided_by),
            "identified_share": share(sum(r.identified for r in conversations), len(conversations)),
            "bot_messages_until_resolution": count_summary(bot_messages),
        },
        "tickets": tf.block(tickets),
        # SLA per policy: the plan and priority fixed at handoff decide the targets
        "sla_by_policy": {
            key: tf.block(group)["sla"]
            for key, group in _grouped(tickets, lambda t: f"{t.plan} / {t.priority}").items()
        },
        "queue_wait": queue_wait(session, period),
        "articles": article_figures(session, period),
        "series": series,
        "breakdowns": breakdowns,
    }
    if now:
        result["now"] = {
            "tiers": [x.model_dump(mode="json") for x in overview.tiers_now(session, as_of)],
            "agents": [x.model_dump(mode="json") for x in overview.agents_now(session)],
        }
    return result
