"""The agent WebSocket: offers, queue changes, the viewed tickets' messages, notes, typing and
who else is looking — each authorised on the server.

Who may call: an agent, lead or admin with a valid agent token, sent as the first frame
(``{"type": "auth", "token": …}``). On connect it hears its own ``agent:{id}`` topic and the
queues of the tiers it may see. Client frames: ``{"type": "view", "ticket_id": n}`` (only a
ticket of a visible tier: its conversation and its agent-only topic), ``{"type": "unview",
"ticket_id": n}``, ``{"type": "typing", "ticket_id": n}`` (only the assignee; the customer sees
it) and ``{"type": "ping"}``. Every ticket-bearing frame is checked again before it is sent: a
ticket that left the agent's tiers is dropped from view. When an online agent's last socket
closes, they go offline (no new offers; their chats are re-queued after the grace period unless
they come back).
"""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import tokens
from api.sockets import (
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    BadFrame,
    open_socket,
    parse_frame,
    receive_text,
    run_pair,
)
from api.state import AppState
from handoff import agents, tickets
from handoff.frames import error_frame, typing_frame, viewers_frame
from handoff.lifecycle import TICKET_WORKERS, Presence, Role, Tier
from handoff.models import Agent
from tierzero.db import unit_of_work
from tierzero.errors import TierZeroError, Unauthorized
from tierzero.hub import (
    OVERFLOW,
    Subscription,
    agent_topic,
    conversation_topic,
    queue_topic,
    ticket_topic,
)

router = APIRouter(prefix="/v1/agent", tags=["agent"])
log = logging.getLogger("tierzero.agent_ws")


class AgentFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=20)
    ticket_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class _Connection:
    def __init__(self, websocket: WebSocket, state: AppState, agent: Agent) -> None:
        self.websocket = websocket
        self.state = state
        self.agent = agent
        self.tiers = {t.value for t in agents.visible_tiers(agent)}
        #: ticket id → conversation id (negative: an old ticket, viewed without live messages)
        self.viewing: dict[int, int] = {}
        self.subscription: Subscription = state.hub.subscribe(
            [agent_topic(agent.id), *(queue_topic(t) for t in sorted(self.tiers))]
        )

    def _authorised_ticket(self, ticket_id: int) -> tuple[int, bool]:
        """(conversation id, whether the ticket is the conversation's latest)."""
        with unit_of_work(self.state.session_factory, read_only=True) as session:
            ticket = tickets.ticket_for(session, self.agent, ticket_id)
            return ticket.conversation_id, tickets.transcript_end(session, ticket) is None

    async def view(self, ticket_id: int) -> None:
        conversation_id, live = await to_thread.run_sync(self._authorised_ticket, ticket_id)
        if ticket_id in self.viewing:
            return
        # an old ticket of a conversation that moved on is history: no live messages from the
        # later part, which may belong to a tier this agent does not see
        self.viewing[ticket_id] = conversation_id if live else -ticket_id
        if live:
            self.subscription.add(conversation_topic(conversation_id))
        self.subscription.add(ticket_topic(ticket_id))
        present = self.state.viewers.add(ticket_id, self.agent.id, self.agent.name)
        self.state.hub.publish(ticket_topic(ticket_id), viewers_frame(ticket_id, present))

    def unview(self, ticket_id: int) -> None:
        conversation_id = self.viewing.pop(ticket_id, None)
        if conversation_id is None:
            return
        if conversation_id > 0 and conversation_id not in self.viewing.values():
            self.subscription.discard(conversation_topic(conversation_id))
        self.subscription.discard(ticket_topic(ticket_id))
        present = self.state.viewers.remove(ticket_id, self.agent.id)
        self.state.hub.publish(ticket_topic(ticket_id), viewers_frame(ticket_id, present))

    def typing(self, ticket_id: int) -> None:
        conversation_id = self.viewing.get(ticket_id)
        if conversation_id is None or conversation_id < 0:
            raise Unauthorized("view the ticket first")
        self.state.hub.publish(
            conversation_topic(conversation_id),
            typing_frame(conversation_id, "agent", agent_id=self.agent.id),
        )

    def allowed(self, frame: dict[str, Any]) -> bool:
        """Re-check every frame before sending it: ticket-bearing frames against the agent's
        tiers, a viewed ticket's frames against what the agent still views."""
        kind = frame.get("type")
        if kind in ("note", "viewers", "email"):
            return frame.get("ticket_id") in self.viewing
        if kind in ("message", "typing"):
            return frame.get("conversation_id") in self.viewing.values()
        ticket = frame.get("ticket") or (frame.get("offer") or {}).get("ticket")
        if isinstance(ticket, dict) and ticket.get("tier") not in self.tiers:
            ticket_id = ticket.get("id")
            if isinstance(ticket_id, int) and ticket_id in self.viewing:
                self.unview(ticket_id)
            # the agent's own ticket leaving their tiers still tells them it left
            return frame.get("topic") == agent_topic(self.agent.id)
        return True

    def close(self) -> None:
        for ticket_id in list(self.viewing):
            self.unview(ticket_id)
        self.subscription.close()


def _agent_for(state: AppState, token: str) -> Agent:
    claims = tokens.verify(state.settings.secret_key, token, kind="agent")
    with unit_of_work(state.session_factory, read_only=True) as session:
        agent = agents.find_agent(session, claims.subject)
    if agent is None or not agent.active or Role(agent.role) not in TICKET_WORKERS:
        raise Unauthorized("this socket is for agents with tickets")
    if claims.version != agent.token_version:
        raise Unauthorized("this token was revoked; log in again")
    _ = Tier(agent.tier)
    return agent


@router.websocket("/ws")
async def agent_socket(websocket: WebSocket) -> None:
    """Agents, leads and admins (agent token, sent in the first frame: ``{"type": "auth",
    "token": …}``): live desk events, authorised per event."""
    state: AppState = websocket.app.state.tierzero
    settings = state.settings
    token = await open_socket(websocket, settings.console_origins, settings.max_frame_bytes)
    if token is None:
        return
    try:
        agent = await to_thread.run_sync(_agent_for, state, token)
    except TierZeroError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return
    connection = _Connection(websocket, state, agent)
    state.connected.opened(agent.id)
    try:
        await websocket.send_json(
            {"type": "hello", "agent_id": agent.id, "tiers": sorted(connection.tiers)}
        )
        await run_pair(_read(connection), _write(connection))
    except WebSocketDisconnect:
        pass
    finally:
        connection.close()
        if state.connected.closed(agent.id):
            # the desk is closed (tab closed, network gone): no new offers; open chats are
            # re-queued once the grace period passes, unless the agent comes back and goes online
            await to_thread.run_sync(_went_offline, state, agent.id)


def _went_offline(state: AppState, agent_id: int) -> None:
    with unit_of_work(state.session_factory) as session:
        agent = agents.find_agent(session, agent_id)
        if agent is not None and agent.presence != Presence.OFFLINE.value:
            agents.set_presence(session, agent, Presence.OFFLINE)


async def _write(connection: _Connection) -> None:
    while True:
        frame = await connection.subscription.get()
        if frame is OVERFLOW or frame.get("type") == "overflow":
            await connection.websocket.close(code=CLOSE_TRY_AGAIN, reason="too far behind")
            return
        if frame.get("type") == "revoked":  # deactivated, or tier/role changed: log in again
            await connection.websocket.close(code=CLOSE_UNAUTHORIZED, reason="access changed")
            return
        if connection.allowed(frame):
            await connection.websocket.send_json(frame)


async def _read(connection: _Connection) -> None:
    websocket, state = connection.websocket, connection.state
    while True:
        raw = await receive_text(websocket, state.settings.max_frame_bytes)
        if raw is None:
            return
        try:
            incoming = AgentFrame.model_validate(parse_frame(raw))
        except BadFrame as exc:
            connection.subscription.offer(error_frame(400, str(exc)))
            continue
        except ValidationError:
            connection.subscription.offer(error_frame(400, "invalid frame"))
            continue
        try:
            if incoming.type == "ping":
                connection.subscription.offer({"type": "pong"})
            elif incoming.type in ("view", "unview", "typing") and incoming.ticket_id is None:
                connection.subscription.offer(error_frame(400, f"{incoming.type} needs ticket_id"))
            elif incoming.type == "view":
                await connection.view(incoming.ticket_id)  # type: ignore[arg-type]
                connection.subscription.offer(
                    {"type": "viewing", "ticket_id": incoming.ticket_id,
                     "viewers": state.viewers.of(incoming.ticket_id)}  # type: ignore[arg-type]
                )  # fmt: skip
            elif incoming.type == "unview":
                connection.unview(incoming.ticket_id)  # type: ignore[arg-type]
            elif incoming.type == "typing":
                connection.typing(incoming.ticket_id)  # type: ignore[arg-type]
            else:
                connection.subscription.offer(
                    error_frame(400, f"unknown frame type {incoming.type!r}")
                )
        except TierZeroError as exc:
            connection.subscription.offer(error_frame(exc.status_code, exc.message))
