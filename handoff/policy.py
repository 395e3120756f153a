"""The support policy in YAML: plans and entitlement, response targets per plan and priority,
handling-time limits per tier, business hours per team. Loaded explicitly and validated, with
errors that name the file and line of the bad value."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handoff.lifecycle import Priority, Tier
from tierzero.errors import InvalidInput

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(InvalidInput):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    """Minutes of business time."""

    first_response: int = Field(gt=0, le=60 * 24 * 60)
    resolution: int = Field(gt=0, le=60 * 24 * 120)

    @model_validator(mode="after")
    def _order(self) -> Target:
        if self.resolution < self.first_response:
            raise ValueError("resolution must not come before the first response")
        return self


class Plan(_Strict):
    description: str = ""
    live_support: bool
    targets: dict[Priority, Target]
    #: Minutes a live handoff may wait unclaimed before the customer is told the truth and
    #: offered an email follow-up (the handoff then ends as ``no_agent``; the ticket stays
    #: queued). None: no such exit.
    claim_within: int | None = Field(default=None, gt=0, le=24 * 60)
    #: A breached target moves the ticket to the next tier (L1 → L2 → L3).
    escalate_on_breach: bool = False
    #: Targets for email tickets (business minutes per priority); unset: ``targets``.
    email_targets: dict[Priority, Target] | None = None
    #: The bot may answer a first email from the KB before a person sees it.
    email_bot: bool = True

    def targets_for(self, channel: str | None) -> dict[Priority, Target]:
        if channel == "email" and self.email_targets is not None:
            return self.email_targets
        return self.targets

    @field_validator("targets", "email_targets")
    @classmethod
    def _every_priority(cls, value: dict[Priority, Target] | None) -> dict[Priority, Target] | None:
        if value is None:
            return value
        missing = [p.value for p in Priority if p not in value]
        if missing:
            raise ValueError(f"targets missing for priority {', '.join(missing)}")
        return value


class HandlingLimit(_Strict):
    """Minutes a tier may hold a ticket it took: a warning, then it is passed on."""

    warn_after: int = Field(gt=0)
    limit: int = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> HandlingLimit:
        if self.warn_after >= self.limit:
            raise ValueError("warn_after must be less than limit")
        return self


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Team(_Strict):
    time_zone: str
    hours: dict[Weekday, tuple[str, str]]
    holidays: list[date] = []

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[Weekday, tuple[str, str]]) -> dict[Weekday, tuple[str, str]]:
        for day, (opens, closes) in value.items():
            if not (_CLOCK.match(opens) and _CLOCK.match(closes)):
                raise ValueError(f"{day}: hours are HH:MM")
            if opens >= closes:
                raise ValueError(f"{day}: opens ({opens}) must be before it closes ({closes})")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def window(self, day: date) -> tuple[time, time] | None:
        """Opening hours on a local date; None when closed (no hours or a holiday)."""
        if day in self.holidays:
            return None
        hours = self.hours.get(WEEKDAYS[day.weekday()])
        if hours is None:
            return None
        return time.fromisoformat(hours[0]), time.fromisoformat(hours[1])


class Policy(_Strict):
    anonymous_plan: str
    plans: dict[str, Plan]
    #: Warn when this share of a target's business time has passed without it being met.
    sla_warning_at: float = Field(default=0.8, gt=0, lt=1)
    #: A waiting customer whose chat has been gone this long (no widget open, no email left)
    #: has left: the handoff ends as ``abandoned``.
    abandoned_after_seconds: int = Field(default=180, ge=10, le=24 * 3600)
    handling_limits: dict[Tier, HandlingLimit] = {}
    teams: dict[str, Team]

    @model_validator(mode="after")
    def _references(self) -> Policy:
        if self.anonymous_plan not in self.plans:
            raise ValueError(f"anonymous_plan {self.anonymous_plan!r} is not one of the plans")
        if not self.teams:
            raise ValueError("at least one team with business hours is needed")
        return self

    def plan(self, name: str | None) -> tuple[str, Plan]:
        """The named plan, or the anonymous plan for an unknown or missing one."""
        key = name if name in self.plans else self.anonymous_plan
        return key, self.plans[key]

    @property
    def team(self) -> Team:
        """The team whose hours count (one team today; routing per team comes later)."""
        return next(iter(self.teams.values()))


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse(text: str, *, source: str = "policy") -> Policy:
    """A validated policy from YAML text; PolicyError names the source and line of a problem."""
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise PolicyError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the policy is a mapping (plans, teams, …)")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            line = _line_of(root, loc)
            path = ".".join(str(p) for p in loc) or "(top)"
            problems.append(f"{source}:{line} {path}: {error['msg']}")
        raise PolicyError("; ".join(problems)) from exc


def load(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy {path}: {exc.strerror}") from exc
    return parse(text, source=str(path))
