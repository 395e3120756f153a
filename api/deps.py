"""Annotated dependencies: every route states who may call it through one of these."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import tokens
from api.state import AppState
from handoff import agents
from handoff.lifecycle import Role
from handoff.models import Agent
from kb.search import KbIndex
from tierzero.db import unit_of_work
from tierzero.errors import Forbidden, ServiceUnavailable, Unauthorized
from tierzero.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.tierzero
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One unit of work per request, committed before the response is sent."""
    with unit_of_work(state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(state: StateDep) -> Iterator[Session]:
    """A read-only unit: on SQLite it takes no write lock, so reads never queue behind writes."""
    with unit_of_work(state.session_factory, read_only=True) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    return credentials.credentials


def get_current_agent(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Agent:
    claims = tokens.verify(state.settings.secret_key, _bearer_token(credentials), kind="agent")
    with unit_of_work(state.session_factory, read_only=True) as session:
        agent = agents.find_agent(session, claims.subject)
    if agent is None or not agent.active:
        raise Unauthorized("agent no longer active")
    if claims.version != agent.token_version:
        raise Unauthorized("this token was revoked (logged out or password changed); log in again")
    return agent


CurrentAgent = Annotated[Agent, Depends(get_current_agent)]


def require_roles(*roles: Role) -> Any:
    def _check(agent: CurrentAgent) -> Agent:
        if agent.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
        return agent

    return Depends(_check)


EditorDep = Annotated[Agent, require_roles(Role.EDITOR, Role.ADMIN)]
# Tickets are worked by agents (any tier), leads and admins; editors keep the KB.
TicketWorkerDep = Annotated[Agent, require_roles(Role.AGENT, Role.LEAD, Role.ADMIN)]
LeadDep = Annotated[Agent, require_roles(Role.LEAD, Role.ADMIN)]
AdminDep = Annotated[Agent, require_roles(Role.ADMIN)]
# What the bot answered and how it fared: editors fix the KB, leads run the desk.
EditorOrLeadDep = Annotated[Agent, require_roles(Role.EDITOR, Role.LEAD, Role.ADMIN)]


def get_current_customer(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tokens.Claims:
    return tokens.verify(settings.secret_key, _bearer_token(credentials), kind="customer")


CurrentCustomer = Annotated[tokens.Claims, Depends(get_current_customer)]


def get_kb(state: StateDep) -> KbIndex:
    if state.kb is None or not state.kb_loaded:
        raise ServiceUnavailable("knowledge base index is not loaded yet")
    return state.kb


KbDep = Annotated[KbIndex, Depends(get_kb)]
