"""Customer-facing routes: open a chat session, the chat WebSocket, and history.

Who may call: ``POST /sessions`` anyone (it creates an anonymous customer); everything else only
the holder of that session's signed customer token, for that token's conversation only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import tokens
from api.deps import CurrentCustomer, ReadSessionDep, SessionDep, StateDep
from api.errors import refusals
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
from handoff import conversations, identity, tickets, timers, waiting
from handoff.flows import Stored
from handoff.frames import ack_frame, error_frame, message_frame, typing_frame
from handoff.schemas import (
    ContactCreate,
    CsatCreate,
    MessageRead,
    SessionCreate,
    SessionCreated,
)
from tierzero.db import MAX_DB_INT, unit_of_work, utcnow
from tierzero.errors import InvalidInput, TierZeroError, TooManyRequests, Unauthorized
from tierzero.hub import OVERFLOW, Subscription, conversation_topic

# every route but /sessions needs the customer token (a wrong signed identity there is 401 too)
router = APIRouter(prefix="/v1/widget", tags=["widget"], responses=refusals(401, 413))
log = logging.getLogger("tierzero.widget")


class ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = "message"
    client_msg_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    text: str = Field(max_length=100_000)
    payload: str | None = Field(default=None, max_length=100)


class ClientControl(BaseModel):
    """Frames without a message: ``typing`` and ``cancel_waiting`` (leave the queue)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=20)


@router.post("/sessions", status_code=201, responses=refusals(400, 429))
def create_session(
    body: SessionCreate, session: SessionDep, state: StateDep, request: Request
) -> SessionCreated:
    """Anyone (rate-limited per client IP): a new conversation and its signed token — anonymous,
    or for the customer whose id the website signed (``user_id`` + ``user_hash``; a wrong hash is
    401). An identified customer still being helped continues that conversation."""
    client = request.client.host if request.client else "unknown"
    if not state.limits.sessions.allow(client):
        raise TooManyRequests("too many new chats from this address; wait a minute")
    settings = state.settings
    conversation_id: int | None = None
    customer = None
    if body.user_id is not None:
        identity.verify(settings.identity_secret, body.user_id, body.user_hash)
        customer = identity.customer_for(session, body.user_id)
        conversation_id = identity.conversation_to_continue(session, customer)
    elif body.user_hash is not None:
        raise InvalidInput("user_hash needs the user_id it signs")
    if conversation_id is None:
        conversation = conversations.start_conversation(
            session, name=body.name, email=body.email, language=body.language,
            page_url=body.page_url, customer=customer,
        )  # fmt: skip
        conversation_id, customer_id = conversation.id, conversation.customer_id
    else:
        assert customer is not None
        customer_id = customer.id
    token = tokens.issue(
        settings.secret_key,
        kind="customer",
        subject=customer_id,
        conversation_id=conversation_id,
        ttl_seconds=settings.customer_token_ttl_seconds,
    )
    ws_scheme = "wss" if request.url.scheme == "https" else "ws"
    return SessionCreated(
        token=token,
        conversation_id=conversation_id,
        customer_id=customer_id,
        expires_in=settings.customer_token_ttl_seconds,
        ws_url=f"{ws_scheme}://{request.url.netloc}/v1/widget/ws",
    )


@router.get("/messages")
def history(
    customer: CurrentCustomer, session: ReadSessionDep, since: int = Query(0, ge=0, le=MAX_DB_INT)
) -> list[MessageRead]:
    """The token's customer: messages of their conversation after ``since``."""
    assert customer.conversation_id is not None
    messages = conversations.transcript(session, customer.conversation_id, since)
    return [MessageRead.model_validate(m) for m in messages]


@router.post("/csat", status_code=204, responses=refusals(400, 404, 409))
def rate(body: CsatCreate, customer: CurrentCustomer, session: SessionDep, state: StateDep) -> None:
    """The token's customer: rate a resolved request of their conversation (1–5, a comment); a
    second rating replaces the first."""
    assert customer.conversation_id is not None
    tickets.rate(
        session, state.hub, conversation_id=customer.conversation_id, ticket_id=body.ticket_id,
        score=body.score, comment=body.comment,
    )  # fmt: skip


@router.post("/contact", status_code=204, responses=refusals(400))
def leave_contact(
    body: ContactCreate, customer: CurrentCustomer, session: SessionDep, state: StateDep
) -> None:
    """The token's customer: an email address for the follow-up when nobody can answer live."""
    assert customer.conversation_id is not None
    tickets.follow_up_by_email(
        session, state.hub, conversation_id=customer.conversation_id, email=body.email
    )


@router.post("/handoff/cancel", status_code=204, responses=refusals(404, 409))
def cancel_waiting(customer: CurrentCustomer, session: SessionDep, state: StateDep) -> None:
    """The token's customer: leave the queue for a person and go back to the bot (409 once an
    agent has taken the conversation)."""
    assert customer.conversation_id is not None
    tickets.cancel_waiting(session, state.hub, conversation_id=customer.conversation_id)


def _state(websocket: WebSocket) -> AppState:
    state: AppState = websocket.app.state.tierzero
    return state


def _replay(state: AppState, conversation_id: int, since: int) -> list[dict[str, Any]]:
    """What the customer missed, then where they stand in the queue (if they are waiting)."""
    with unit_of_work(state.session_factory, read_only=True) as session:
        conversations.get_conversation(session, conversation_id)
        messages = conversations.transcript(session, conversation_id, since)
        frames = [message_frame(m) for m in messages]
        position = waiting.frame_for_conversation(session, conversation_id)
        return frames + ([position] if position else [])


def _cancel(state: AppState, conversation_id: int) -> None:
    with unit_of_work(state.session_factory) as session:
        tickets.cancel_waiting(session, state.hub, conversation_id=conversation_id)


# Bot turns outlive the socket that started them (the reply is stored and replayed later).
_bot_turns: set[asyncio.Task[None]] = set()


async def _timed(state: AppState, turn: Coroutine[Any, Any, None]) -> None:
    with state.metrics.bot_turn.time():
        await turn


def _start_turn(state: AppState, conversation_id: int, stored: Stored) -> None:
    task = asyncio.create_task(_timed(state, state.flow.bot_turn(conversation_id, stored)))
    _bot_turns.add(task)
    task.add_done_callback(_bot_turns.discard)


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket, since: int = Query(0, ge=0, le=MAX_DB_INT)) -> None:
    """The token's customer only (sent in the first frame, ``{"type": "auth", "token": …}``):
    their conversation, live, replaying what came after ``since``."""
    state = _state(websocket)
    settings = state.settings
    token = await open_socket(websocket, settings.cors_origins, settings.max_frame_bytes)
    if token is None:
        return
    try:
        claims = tokens.verify(state.settings.secret_key, token, kind="customer")
        if claims.conversation_id is None:
            raise Unauthorized("token names no conversation")
        conversation_id = claims.conversation_id
    except TierZeroError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return
    if not state.kb_loaded:
        # still starting: the bot's actions need the KB index, so a turn now would fail (the
        # widget keeps unsent messages and reconnects)
        await websocket.close(code=CLOSE_TRY_AGAIN, reason="starting; reconnect in a moment")
        return

    # Subscribe first, then replay: a message committed in between is in the queue, the replay,
    # or both (sent once: the writer skips seqs already sent) — never in neither.
    subscription = state.hub.subscribe([conversation_topic(conversation_id)])
    state.customers.opened(conversation_id)
    try:
        backlog = await to_thread.run_sync(_replay, state, conversation_id, since)
        if any(f.get("type") == "queue" and f.get("status") == "queued" for f in backlog):
            # only a customer waiting in the queue can have a "they left" timer to cancel (no
            # write transaction on every other connect)
            await to_thread.run_sync(_returned, state, conversation_id)
        sent: set[int] = set()
        for frame in backlog:
            await websocket.send_json(frame)
            if frame.get("type") == "message":
                sent.add(frame["seq"])
        # turns a stop of the api cut off (their messages acked, never answered) run again
        for stored in await state.flow.unfinished_turns(conversation_id):
            _start_turn(state, conversation_id, stored)
        await run_pair(
            _read(websocket, state, conversation_id, subscription),
            _write(websocket, subscription, sent),
        )
    except WebSocketDisconnect:
        pass
    except TierZeroError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
    finally:
        subscription.close()
        if state.customers.closed(conversation_id):
            await _left(state, conversation_id)


def _returned(state: AppState, conversation_id: int) -> None:
    """The customer is here (again): a pending "they left the queue" timer is cancelled."""
    try:
        with unit_of_work(state.session_factory) as session:
            timers.customer_returned(session, conversation_id)
    except Exception:  # the chat works regardless; at worst a timer fires and finds them here
        log.exception("could not cancel the abandoned-queue timer")


async def _left(state: AppState, conversation_id: int) -> None:
    """The customer's last window on this worker closed: a waiting customer who stays away
    counts as gone (the scheduler decides after the policy's grace period)."""

    def plan() -> None:
        # read first: most customers who leave are not waiting in the queue, and a write
        # transaction per closed window would queue behind every other writer for nothing
        with unit_of_work(state.session_factory, read_only=True) as session:
            if timers.waiting_ticket(session, conversation_id) is None:
                return
        with unit_of_work(state.session_factory) as session:
            timers.customer_left(session, state.policy, conversation_id, utcnow())

    try:
        await to_thread.run_sync(plan)
    except Exception:  # the customer is gone either way; a lost timer only keeps the ticket
        log.exception("could not plan the abandoned-queue timer")


#: What a customer's socket may carry; anything else on the conversation topic is for agents.
CUSTOMER_FRAMES = frozenset({"message", "ack", "error", "queue", "typing"})


async def _write(websocket: WebSocket, subscription: Subscription, sent: set[int]) -> None:
    while True:
        frame = await subscription.get()
        if frame is OVERFLOW or frame.get("type") == "overflow":
            await websocket.close(code=CLOSE_TRY_AGAIN, reason="too far behind; reconnect")
            return
        kind = frame.get("type")
        if kind not in CUSTOMER_FRAMES or (kind == "typing" and frame.get("sender") != "agent"):
            continue
        seq = frame.get("seq") if kind == "message" else None
        if seq is not None:
            if seq in sent:
                continue
            sent.add(seq)
        frame = {k: v for k, v in frame.items() if k not in ("topic", "agent_id")}
        await websocket.send_json(frame)


async def _read(
    websocket: WebSocket,
    state: AppState,
    conversation_id: int,
    subscription: Subscription,
) -> None:
    settings = state.settings
    flow = state.flow
    while True:
        raw = await receive_text(websocket, settings.max_frame_bytes)
        if raw is None:
            return
        try:
            data = parse_frame(raw)
            if isinstance(data, dict) and data.get("type") in ("typing", "cancel_waiting"):
                control = ClientControl.model_validate(data)
                await _control(state, conversation_id, subscription, control.type)
                continue
            incoming = ClientMessage.model_validate(data)
        except BadFrame as exc:
            subscription.offer(error_frame(400, str(exc)))
            continue
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            subscription.offer(error_frame(400, f"invalid message: {where} {problem.get('msg')}"))
            continue
        if incoming.type != "message":
            subscription.offer(error_frame(400, f"unknown frame type {incoming.type!r}"))
            continue
        if not state.limits.messages.allow(f"conversation:{conversation_id}"):
            subscription.offer(
                error_frame(429, "too many messages; wait a moment", incoming.client_msg_id)
            )
            continue
        try:
            stored = await flow.receive(
                conversation_id, incoming.client_msg_id, incoming.text, incoming.payload
            )
        except TierZeroError as exc:
            subscription.offer(error_frame(exc.status_code, exc.message, incoming.client_msg_id))
            continue
        subscription.offer(
            ack_frame(incoming.client_msg_id, stored.seq, duplicate=not stored.created)
        )
        if stored.created and stored.bot_mode:
            _start_turn(state, conversation_id, stored)


async def _control(
    state: AppState, conversation_id: int, subscription: Subscription, kind: str
) -> None:
    if kind == "typing":  # agents viewing the ticket see it; the customer's own socket skips it
        if not state.limits.typing.allow(f"conversation:{conversation_id}"):
            return  # a typing flood is dropped silently; messages are limited separately
        state.hub.publish(
            conversation_topic(conversation_id), typing_frame(conversation_id, "customer")
        )
        return
    try:
        await to_thread.run_sync(_cancel, state, conversation_id)
    except TierZeroError as exc:
        subscription.offer(error_frame(exc.status_code, exc.message))
