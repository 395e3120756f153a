"""Agents: accounts, roles, tiers, skills, languages, capacity and presence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.errors import AgentExists, AgentNotFound, InvalidCredentials, MessageRejected
from handoff.lifecycle import SUPERVISORS, Channel, Presence, Role, Tier
from handoff.models import Agent
from handoff.passwords import hash_password, verify_password
from tierzero.db import utcnow
from tierzero.languages import SUPPORTED_LANGUAGES


def visible_tiers(agent: Agent) -> tuple[Tier, ...]:
    """L1 sees the L1 queue, L2 sees L1 and L2; L3, leads and admins see every tier."""
    if Role(agent.role) in SUPERVISORS:
        return tuple(Tier)
    rank = Tier(agent.tier).rank
    return tuple(t for t in Tier if t.rank <= rank)


def is_supervisor(agent: Agent) -> bool:
    return Role(agent.role) in SUPERVISORS


def _languages(values: Sequence[str]) -> list[str]:
    unknown = [v for v in values if v not in SUPPORTED_LANGUAGES]
    if unknown:
        raise MessageRejected(
            f"unsupported language(s) {', '.join(unknown)}: use {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return sorted(set(values))


def _skills(values: Sequence[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def create_agent(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role = Role.AGENT,
    tier: Tier = Tier.L1,
    languages: Sequence[str] = ("en",),
    skills: Sequence[str] = (),
    chat_capacity: int = 5,
    email_capacity: int = 3,
) -> Agent:
    email = email.strip().lower()
    if repo.agent_by_email(session, email) is not None:
        raise AgentExists(f"an agent with email {email} already exists")
    if len(password) < 8:
        raise MessageRejected("password must have at least 8 characters")
    agent = Agent(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=Role(role).value,
        tier=Tier(tier).value,
        languages=_languages(languages),
        skills=_skills(skills),
        chat_capacity=chat_capacity,
        email_capacity=email_capacity,
        presence=Presence.OFFLINE.value,
    )
    session.add(agent)
    session.flush()
    return agent


def update_agent(session: Session, agent_id: int, **changes: Any) -> Agent:
    """Admin changes: name, role, tier, languages, skills, capacities, active, password."""
    agent = get_agent(session, agent_id)
    for field, value in changes.items():
        if value is None:
            continue
        if field == "languages":
            value = _languages(value)
        elif field == "skills":
            value = _skills(value)
        elif field == "role":
            value = Role(value).value
        elif field == "tier":
            value = Tier(value).value
        elif field == "password":
            if len(value) < 8:
                raise MessageRejected("password must have at least 8 characters")
            field, value = "password_hash", hash_password(value)
            revoke_tokens(agent)
        elif field not in ("name", "chat_capacity", "email_capacity", "active"):
            raise MessageRejected(f"unknown agent field {field!r}")
        setattr(agent, field, value)
    if not agent.active:
        agent.presence = Presence.OFFLINE.value
        agent.presence_changed_at = utcnow()
        revoke_tokens(agent)
    session.flush()
    return agent


def revoke_tokens(agent: Agent) -> None:
    """Every token issued to the agent so far stops working (logout, new password,
    deactivation); the caller tells their open sockets (a ``revoked`` frame closes them)."""
    agent.token_version = (agent.token_version or 0) + 1


def authenticate(session: Session, *, email: str, password: str) -> Agent:
    agent = repo.agent_by_email(session, email)
    valid = verify_password(agent.password_hash if agent else None, password)
    if agent is None or not valid or not agent.active:
        raise InvalidCredentials("wrong email or password")
    return agent


def get_agent(session: Session, agent_id: int) -> Agent:
    agent = repo.get_agent(session, agent_id)
    if agent is None:
        raise AgentNotFound("agent not found")
    return agent


def find_agent(session: Session, agent_id: int) -> Agent | None:
    return repo.get_agent(session, agent_id)


def get_agent_by_email(session: Session, email: str) -> Agent | None:
    return repo.agent_by_email(session, email)


def list_agents(session: Session) -> Sequence[Agent]:
    return repo.list_agents(session)


def set_presence(session: Session, agent: Agent, presence: Presence) -> Agent:
    """Online agents get offers; away keeps their chats but takes no new ones; offline agents'
    chats are re-queued after a grace period (handoff.offers.requeue_offline)."""
    if agent.presence != presence.value:
        agent.presence = presence.value
        agent.presence_changed_at = utcnow()
        session.flush()
    return agent


@dataclass(frozen=True)
class Load:
    chats: int
    emails: int

    def has_room(self, agent: Agent, channel: Channel) -> bool:
        if channel is Channel.EMAIL:
            return self.emails < agent.email_capacity
        return self.chats < agent.chat_capacity

    def share(self, agent: Agent) -> float:
        """How full the agent is, 0..1+, chats and emails weighed by their capacities."""
        return self.chats / max(agent.chat_capacity, 1) + self.emails / max(agent.email_capacity, 1)


def loads(session: Session, agent_ids: Sequence[int]) -> dict[int, Load]:
    """The open tickets each agent is working, per channel (what claims and routing count)."""
    counts = repo.open_load(session, agent_ids)
    return {
        agent_id: Load(
            chats=counts.get(agent_id, {}).get(Channel.WIDGET.value, 0),
            emails=counts.get(agent_id, {}).get(Channel.EMAIL.value, 0),
        )
        for agent_id in agent_ids
    }


def load_of(session: Session, agent_id: int) -> Load:
    return loads(session, [agent_id])[agent_id]


def has_room(session: Session, agent: Agent, channel: str) -> bool:
    return load_of(session, agent.id).has_room(agent, Channel(channel))
