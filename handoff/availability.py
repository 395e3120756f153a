"""Can a person take this ticket now? The honest answer a customer gets at handoff: live help
when someone who could take it is online (routing offers it to them, business hours or not), or
— on a plan without live support, outside business hours, or with nobody online who could take
it — when to expect an answer, with the offer of an email follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from handoff.business_hours import is_open, next_opening
from handoff.models import Ticket
from handoff.offers import candidates, need_of
from handoff.policy import Policy
from handoff.routing import matches
from handoff.texts import say


class Path(StrEnum):
    LIVE = "live"
    CLOSED = "closed"  # outside business hours
    NO_AGENT = "no_agent"  # open, but nobody who could take it is online
    EMAIL_ONLY = "email_only"  # the plan has no live support


@dataclass(frozen=True)
class Availability:
    path: Path
    #: when the customer can expect a first answer (the ticket's first-response deadline)
    expected_by: datetime | None
    opens_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.path is Path.LIVE


def availability(session: Session, policy: Policy, ticket: Ticket, now: datetime) -> Availability:
    _, plan = policy.plan(ticket.packet.get("plan"))
    expected = ticket.first_response_due_at
    if not plan.live_support:
        return Availability(Path.EMAIL_ONLY, expected)
    # someone who could take it is online (even working late): that is the truth to tell, and
    # routing offers it to them; business hours still set the deadlines
    need = need_of(ticket)
    if any(matches(c, need) for c in candidates(session)):
        return Availability(Path.LIVE, expected)
    team = policy.team
    if not is_open(team, now):
        return Availability(Path.CLOSED, expected, next_opening(team, now))
    return Availability(Path.NO_AGENT, expected)


def remember(ticket: Ticket, found: Availability) -> None:
    """Keep what the customer was told at handoff (the timed exits only follow a live one)."""
    ticket.packet = {**ticket.packet, "availability": found.path.value}


def follow_up(
    path: Path, expected_by: datetime | None, language: str | None, *, ask_email: bool = True
) -> dict[str, Any]:
    """What the widget needs to offer an email follow-up when nobody answers live."""
    return {
        "path": path.value,
        "expected_by": expected_by.isoformat() if expected_by else None,
        "ask_email": ask_email,
        "email_label": say("email_label", language),
    }


def when(policy: Policy, moment: datetime | None) -> str:
    """A moment as the team's local time, unambiguous in any language ("2026-12-07 08:15 CET")."""
    if moment is None:
        return "—"
    local = moment.astimezone(policy.team.zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


#: The catalogue text that tells the customer the truth, per path.
TEXT_KEYS = {
    Path.LIVE: "handed_off",
    Path.CLOSED: "closed_now",
    Path.NO_AGENT: "nobody_available",
    Path.EMAIL_ONLY: "no_live_support",
}
