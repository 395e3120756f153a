"""Pydantic v2 shapes of conversations, messages, tickets, offers and agents as the API shows
them, the bodies the agent API accepts, and the leads' screens (the policy, the overview)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from handoff.business_hours import is_open
from handoff.lifecycle import Presence, Priority, Role, Tier
from handoff.policy import WEEKDAYS, Policy, Target

if TYPE_CHECKING:
    from handoff.models import Ticket, TicketOffer

Language = Literal["en", "el", "ru", "sr"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SessionCreate(Strict):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=16)
    page_url: str | None = Field(default=None, max_length=2000)
    #: A logged-in customer's id on the company's site, and its HMAC-SHA256 under the identity
    #: secret (hex); verified on every session, a wrong one is refused.
    user_id: str | None = Field(default=None, min_length=1, max_length=200,
                                pattern=r"^[^\x00-\x1f\x7f]+$")  # fmt: skip
    user_hash: str | None = Field(default=None, max_length=128)


class CsatCreate(Strict):
    ticket_id: int = Field(ge=1, le=2**31 - 1)
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class ContactCreate(Strict):
    email: str = Field(min_length=3, max_length=254)


class SessionCreated(BaseModel):
    token: str
    conversation_id: int
    customer_id: int
    expires_in: int
    ws_url: str


class MessageRead(Read):
    seq: int
    sender: str
    text: str
    payload: dict[str, Any]
    client_msg_id: str | None
    agent_id: int | None
    created_at: datetime


class TicketEventRead(Read):
    id: int
    kind: str
    actor: str
    agent_id: int | None
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]
    created_at: datetime


class TicketRead(Read):
    id: int
    conversation_id: int
    customer_id: int
    status: str
    tier: str
    priority: str
    language: str | None
    channel: str
    subject: str
    topic: str | None
    handoff_reason: str
    end_reason: str | None
    assignee_id: int | None
    version: int
    needs_lead: bool
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    #: the next deadline that counts (what the queue sorts by)
    due_at: datetime | None
    csat_score: int | None
    csat_comment: str | None
    csat_at: datetime | None


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


class CustomerRead(Read):
    id: int
    external_id: str | None
    name: str | None
    email: str | None
    plan: str
    language: str | None


class TicketDetail(TicketRead):
    bot_attempts: list[dict[str, Any]]
    packet: dict[str, Any]
    handoff_seq: int
    customer: CustomerRead
    transcript: list[MessageRead]
    events: list[TicketEventRead]
    notes: list[TicketEventRead]
    earlier_tickets: list[TicketRead]


class SuggestionRead(Read):
    """A KB article offered to the agent for the conversation (copilot)."""

    article_id: int
    title: str
    answer: str
    url: str
    language: str
    version: int
    confidence: float
    #: the customer message that matched it best
    matched: str


class ConversationSummaryRead(BaseModel):
    id: int
    channel: str
    mode: str
    language: str | None
    messages: int
    created_at: datetime
    updated_at: datetime


class CustomerUpdate(Strict):
    plan: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    language: Language | None = None


class CustomerStoryRead(BaseModel):
    customer: CustomerRead
    #: What the plan promises (live support, targets per priority in business minutes).
    entitlement: dict[str, Any]
    conversations: list[ConversationSummaryRead]
    tickets: list[TicketRead]
    open_tickets: list[TicketRead]


class CannedCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    language: Language
    text: str = Field(min_length=1, max_length=10_000)


class CannedRead(Read):
    id: int
    title: str
    language: str
    text: str
    updated_at: datetime


class CannedFilled(BaseModel):
    canned_id: int
    text: str


class PromoteRequest(Strict):
    title: str | None = Field(default=None, max_length=200)
    answer: str | None = Field(default=None, max_length=20_000)
    questions: list[str] | None = Field(default=None, max_length=50)


class PromotedRead(BaseModel):
    article_id: int
    key: str
    language: str
    status: str
    source_ticket_id: int


class OfferRead(BaseModel):
    id: int
    ticket_id: int
    status: str
    created_at: datetime
    expires_at: datetime
    ticket: TicketRead

    @classmethod
    def from_offer(cls, offer: TicketOffer, ticket: Ticket) -> OfferRead:
        return cls(
            id=offer.id,
            ticket_id=offer.ticket_id,
            status=offer.status,
            created_at=offer.created_at,
            expires_at=offer.expires_at,
            ticket=TicketRead.model_validate(ticket),
        )


# --- request bodies --------------------------------------------------------------------------


class Versioned(Strict):
    #: The ticket version the client saw; a change in between answers 409 with the fresh state.
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ClaimRequest(Versioned):
    pass


class ReleaseRequest(Versioned):
    reason: str | None = Field(default=None, max_length=2000)


class TransferRequest(Versioned):
    agent_id: int = Field(ge=1, le=2**31 - 1)
    reason: str | None = Field(default=None, max_length=2000)


class TierChangeRequest(Versioned):
    note: str = Field(min_length=1, max_length=10_000)


class ResolveRequest(Versioned):
    note: str | None = Field(default=None, max_length=10_000)


class ReturnToBotRequest(Versioned):
    note: str | None = Field(default=None, max_length=10_000)


class ReopenRequest(Versioned):
    reason: str | None = Field(default=None, max_length=2000)


class AgentReply(Strict):
    text: str = Field(min_length=1, max_length=10_000)
    #: The last message seq the agent had seen; omitted only by clients without a live view.
    last_seen_seq: int | None = Field(default=None, ge=0, le=2**31 - 1)
    #: Chosen by the console for each reply it writes: a retry after a lost connection stores it
    #: once (the stored reply comes back), however often it is sent.
    client_msg_id: str | None = Field(
        default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"
    )


class NoteCreate(Strict):
    text: str = Field(min_length=1, max_length=10_000)


class DeclineRequest(Strict):
    reason: str | None = Field(default=None, max_length=2000)


class PresenceUpdate(Strict):
    presence: Presence


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class AgentCreate(Strict):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1000)
    role: Role = Role.AGENT
    tier: Tier = Tier.L1
    languages: list[Language] = Field(default=["en"], max_length=10)
    skills: list[str] = Field(default_factory=list, max_length=50)
    chat_capacity: int = Field(default=5, ge=0, le=50)
    email_capacity: int = Field(default=3, ge=0, le=50)


class AgentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    role: Role | None = None
    tier: Tier | None = None
    languages: list[Language] | None = Field(default=None, max_length=10)
    skills: list[str] | None = Field(default=None, max_length=50)
    chat_capacity: int | None = Field(default=None, ge=0, le=50)
    email_capacity: int | None = Field(default=None, ge=0, le=50)
    active: bool | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    agent: AgentRead


class AgentRead(Read):
    id: int
    email: str
    name: str
    role: str
    tier: str
    languages: list[str]
    skills: list[str]
    chat_capacity: int
    email_capacity: int
    presence: str
    active: bool


# --- the leads' screens ----------------------------------------------------------------------


class TargetRead(BaseModel):
    """A plan's promise for one priority, in business minutes (the team's open hours)."""

    priority: str
    first_response_minutes: int
    resolution_minutes: int


class PlanRead(BaseModel):
    name: str
    description: str
    #: The plan of visitors nobody identified (and of customers on an unknown plan).
    anonymous: bool
    #: False: no live handoff, the ticket waits for an email follow-up.
    live_support: bool
    #: Minutes a live handoff may wait unclaimed before the customer is offered email (None: no
    #: such exit).
    claim_within_minutes: int | None
    #: A missed target moves the ticket up a tier.
    escalate_on_breach: bool
    targets: list[TargetRead]
    #: Targets for email tickets (None: the same as ``targets``).
    email_targets: list[TargetRead] | None = None
    #: The bot may answer a first email from the KB.
    email_bot: bool = True


class OpeningHoursRead(BaseModel):
    day: str
    #: Local "HH:MM" of the team's time zone; both None on a closed day.
    opens: str | None
    closes: str | None


class TeamRead(BaseModel):
    name: str
    time_zone: str
    hours: list[OpeningHoursRead]
    holidays: list[date]
    open_now: bool


class HandlingLimitRead(BaseModel):
    """Wall-clock minutes a tier may hold a ticket it took (None: no limit for the tier)."""

    tier: str
    warn_after_minutes: int | None
    limit_minutes: int | None


def _targets(targets: Mapping[Priority, Target]) -> list[TargetRead]:
    return [
        TargetRead(priority=p.value, first_response_minutes=t.first_response,
                   resolution_minutes=t.resolution)
        for p, t in sorted(targets.items(), key=lambda pt: pt[0].rank)
    ]  # fmt: skip


class PolicyRead(BaseModel):
    """The support policy as loaded at start: plans, business hours, handling limits."""

    anonymous_plan: str
    #: The share of a target's business time after which agents are warned.
    sla_warning_at: float
    abandoned_after_seconds: int
    plans: list[PlanRead]
    teams: list[TeamRead]
    handling_limits: list[HandlingLimitRead]

    @classmethod
    def from_policy(cls, policy: Policy, now: datetime) -> PolicyRead:
        return cls(
            anonymous_plan=policy.anonymous_plan,
            sla_warning_at=policy.sla_warning_at,
            abandoned_after_seconds=policy.abandoned_after_seconds,
            plans=[
                PlanRead(
                    name=name,
                    description=plan.description,
                    anonymous=name == policy.anonymous_plan,
                    live_support=plan.live_support,
                    claim_within_minutes=plan.claim_within,
                    escalate_on_breach=plan.escalate_on_breach,
                    targets=_targets(plan.targets),
                    email_targets=_targets(plan.email_targets) if plan.email_targets else None,
                    email_bot=plan.email_bot,
                )
                for name, plan in policy.plans.items()
            ],
            teams=[
                TeamRead(
                    name=name,
                    time_zone=team.time_zone,
                    hours=[
                        OpeningHoursRead(day=day, opens=opens, closes=closes)
                        for day in WEEKDAYS
                        for opens, closes in [team.hours.get(day, (None, None))]
                    ],
                    holidays=sorted(team.holidays),
                    open_now=is_open(team, now),
                )
                for name, team in policy.teams.items()
            ],
            handling_limits=[
                HandlingLimitRead(
                    tier=tier.value,
                    warn_after_minutes=limit.warn_after if limit else None,
                    limit_minutes=limit.limit if limit else None,
                )
                for tier in Tier
                for limit in [policy.handling_limits.get(tier)]
            ],
        )


class TierNowRead(Read):
    tier: str
    queued: int
    assigned: int
    waiting_on_customer: int
    #: Seconds since the handoff of the longest-waiting queued ticket (None: nothing queued).
    oldest_queued_seconds: float | None
    #: Open tickets whose next deadline has passed.
    overdue: int


class AgentLoadRead(Read):
    id: int
    name: str
    role: str
    tier: str
    presence: str
    #: Open tickets being worked, per channel (what claims and routing count against capacity).
    chats: int
    chat_capacity: int
    emails: int
    email_capacity: int
    #: Offers waiting for the agent's answer (routing holds a chat slot for each).
    pending_offers: int
    #: Chats and emails weighed by their capacities (1.0 = full).
    load: float


class TierShareRead(Read):
    tier: str
    count: int
    #: Of all tickets resolved in the period (None when none was).
    share: float | None


class PeriodRead(Read):
    """What happened in [since, until) (see ``handoff.overview`` for what each figure counts;
    durations are wall-clock seconds)."""

    since: datetime
    until: datetime
    created: int
    handoff_reasons: dict[str, int]
    end_reasons: dict[str, int]
    resolved: int
    resolved_by_tier: list[TierShareRead]
    escalations: int
    automatic_escalations: int
    first_responses: int
    first_response_median_seconds: float | None
    resolution_median_seconds: float | None
    sla_warnings: int
    sla_breaches: int
    csat_count: int
    csat_average: float | None


class OverviewRead(Read):
    now: datetime
    tiers: list[TierNowRead]
    agents: list[AgentLoadRead]
    period: PeriodRead


class PriorityParam(BaseModel):
    priority: Priority


TokenResponse.model_rebuild()
OfferRead.model_rebuild()
