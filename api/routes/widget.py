"""Customer-facing routes: open a chat session, the chat WebSocket, and history.

Who may call: ``POST /sessions`` anyone (it creates an anonymous customer); everything else only
the holder of that session's signed customer token, for that token's conversation only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import tokens
from api.chat import ALLOWED_INTENT_PAYLOADS, ChatFlow
from api.deps import CurrentCustomer, ReadSessionDep, SessionDep, StateDep
from api.frames import ack_frame, error_frame, message_frame
from api.hub import OVERFLOW, offer
from api.state import AppState
from handoff import service as handoff_service
from handoff.schemas import MessageRead, SessionCreate, SessionCreated
from tierzero.db import unit_of_work
from tierzero.errors import TierZeroError, TooManyRequests, Unauthorized

router = APIRouter(prefix="/v1/widget", tags=["widget"])
log = logging.getLogger("tierzero.widget")

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_UNSUPPORTED = 1003
CLOSE_TRY_AGAIN = 1013


class ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = "message"
    client_msg_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    text: str = Field(max_length=100_000)
    payload: str | None = Field(default=None, max_length=100)


@router.post("/sessions", status_code=201)
def create_session(
    body: SessionCreate, session: SessionDep, state: StateDep, request: Request
) -> SessionCreated:
    """Anyone (rate-limited per client IP): a new anonymous conversation and its signed token."""
    client = request.client.host if request.client else "unknown"
    if not state.limits.sessions.allow(client):
        raise TooManyRequests("too many new chats from this address; wait a minute")
    conversation = handoff_service.start_conversation(
        session,
        name=body.name,
        email=body.email,
        language=body.language,
        page_url=body.page_url,
    )
    settings = state.settings
    token = tokens.issue(
        settings.secret_key,
        kind="customer",
        subject=conversation.customer_id,
        conversation_id=conversation.id,
        ttl_seconds=settings.customer_token_ttl_seconds,
    )
    ws_scheme = "wss" if request.url.scheme == "https" else "ws"
    return SessionCreated(
        token=token,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        expires_in=settings.customer_token_ttl_seconds,
        ws_url=f"{ws_scheme}://{request.url.netloc}/v1/widget/ws",
    )


@router.get("/messages")
def history(
    customer: CurrentCustomer, session: ReadSessionDep, since: int = Query(0, ge=0)
) -> list[MessageRead]:
    """The token's customer: messages of their conversation after ``since``."""
    assert customer.conversation_id is not None
    messages = handoff_service.transcript(session, customer.conversation_id, since)
    return [MessageRead.model_validate(m) for m in messages]


def _state(websocket: WebSocket) -> AppState:
    state: AppState = websocket.app.state.tierzero
    return state


def _replay(state: AppState, conversation_id: int, since: int) -> list[dict[str, Any]]:
    with unit_of_work(state.session_factory, read_only=True) as session:
        handoff_service.get_conversation(session, conversation_id)
        messages = handoff_service.transcript(session, conversation_id, since)
        return [message_frame(m) for m in messages]


# Bot turns outlive the socket that started them (the reply is stored and replayed later).
_bot_turns: set[asyncio.Task[None]] = set()


@router.websocket("/ws")
async def chat_socket(
    websocket: WebSocket, token: str = Query(""), since: int = Query(0, ge=0)
) -> None:
    """The token's customer only: their conversation, live, replaying what came after ``since``."""
    state = _state(websocket)
    await websocket.accept()
    try:
        claims = tokens.verify(state.settings.secret_key, token, kind="customer")
        if claims.conversation_id is None:
            raise Unauthorized("token names no conversation")
        conversation_id = claims.conversation_id
    except TierZeroError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
        return

    # Subscribe first, then replay: a message committed in between is in the queue, the replay,
    # or both (sent once: the writer skips seqs already sent) — never in neither.
    queue = state.hub.subscribe(conversation_id)
    try:
        backlog = await to_thread.run_sync(_replay, state, conversation_id, since)
        sent: set[int] = set()
        for frame in backlog:
            await websocket.send_json(frame)
            sent.add(frame["seq"])
        reader = asyncio.create_task(_read(websocket, state, conversation_id, queue))
        writer = asyncio.create_task(_write(websocket, queue, sent))
        done, pending = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending | done:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
    except WebSocketDisconnect:
        pass
    except TierZeroError as exc:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=exc.message)
    finally:
        state.hub.unsubscribe(conversation_id, queue)


async def _write(
    websocket: WebSocket, queue: asyncio.Queue[dict[str, Any]], sent: set[int]
) -> None:
    while True:
        frame = await queue.get()
        if frame is OVERFLOW:
            await websocket.close(code=CLOSE_TRY_AGAIN, reason="too far behind; reconnect")
            return
        seq = frame.get("seq") if frame.get("type") == "message" else None
        if seq is not None:
            if seq in sent:
                continue
            sent.add(seq)
        await websocket.send_json(frame)


async def _read(
    websocket: WebSocket,
    state: AppState,
    conversation_id: int,
    queue: asyncio.Queue[dict[str, Any]],
) -> None:
    settings = state.settings
    flow: ChatFlow = state.extras["chat"]
    while True:
        event = await websocket.receive()
        if event["type"] == "websocket.disconnect":
            return
        raw = event.get("text")
        if raw is None:
            await websocket.close(code=CLOSE_UNSUPPORTED, reason="send JSON text frames")
            return
        if len(raw.encode("utf-8", errors="replace")) > settings.max_frame_bytes:
            await websocket.close(
                code=CLOSE_TOO_BIG, reason=f"frame too large (max {settings.max_frame_bytes} bytes)"
            )
            return
        try:
            incoming = ClientMessage.model_validate(json.loads(raw))
        except json.JSONDecodeError:
            offer(queue, error_frame(400, "frame is not valid JSON"))
            continue
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            offer(queue, error_frame(400, f"invalid message: {where} {problem.get('msg')}"))
            continue
        if incoming.type != "message":
            offer(queue, error_frame(400, f"unknown frame type {incoming.type!r}"))
            continue
        if not state.limits.messages.allow(f"conversation:{conversation_id}"):
            offer(
                queue, error_frame(429, "too many messages; wait a moment", incoming.client_msg_id)
            )
            continue
        intent = incoming.payload if incoming.payload in ALLOWED_INTENT_PAYLOADS else None
        try:
            stored = await flow.receive(
                conversation_id, incoming.client_msg_id, incoming.text, intent
            )
        except TierZeroError as exc:
            offer(queue, error_frame(exc.status_code, exc.message, incoming.client_msg_id))
            continue
        offer(queue, ack_frame(incoming.client_msg_id, stored.seq, duplicate=not stored.created))
        if stored.created and stored.bot_mode:
            task = asyncio.create_task(flow.bot_turn(conversation_id, stored))
            _bot_turns.add(task)
            task.add_done_callback(_bot_turns.discard)
