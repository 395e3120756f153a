"""Service-level targets: a ticket's deadlines from its customer's plan and its priority,
counted in the team's business hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handoff.business_hours import add_business_minutes
from handoff.lifecycle import Priority
from handoff.policy import Policy


@dataclass(frozen=True)
class Deadlines:
    plan: str
    live_support: bool
    first_response_due_at: datetime
    resolution_due_at: datetime


def deadlines(
    policy: Policy,
    plan: str | None,
    priority: Priority,
    start: datetime,
    channel: str | None = None,
) -> Deadlines:
    """``channel``: email tickets follow the plan's ``email_targets`` when it has them."""
    name, entitlement = policy.plan(plan)
    target = entitlement.targets_for(channel)[priority]
    team = policy.team
    return Deadlines(
        plan=name,
        live_support=entitlement.live_support,
        first_response_due_at=add_business_minutes(team, start, target.first_response),
        resolution_due_at=add_business_minutes(team, start, target.resolution),
    )
