"""Rasa's action calls, served in-process through rasa_sdk's ActionExecutor.

Who may call: only a loopback client holding the internal service token (the Rasa server).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import zlib
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from api.deps import StateDep
from tierzero.errors import Forbidden, InvalidInput

router = APIRouter(prefix="/internal/rasa", tags=["internal"], include_in_schema=False)

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def build_executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def _authorise(request: Request, token: str) -> None:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK:
        raise Forbidden("internal endpoint is loopback-only")
    given = request.query_params.get("token") or request.headers.get("authorization", "")
    given = given.removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Forbidden("invalid internal token")


@router.post("/actions")
async def run_action(request: Request, state: StateDep) -> JSONResponse:
    _authorise(request, state.settings.internal_token)
    body = await request.body()
    if request.headers.get("content-encoding") == "deflate":
        body = zlib.decompress(body)
    try:
        action_call: dict[str, Any] = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("action call is not valid JSON") from exc
    executor: ActionExecutor = state.extras["executor"]

    def _run() -> Any:
        # Actions do blocking work (search, database): run them off the event loop.
        return asyncio.run(executor.run(action_call))

    try:
        result = await to_thread.run_sync(_run)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 404)
    return JSONResponse(result.model_dump() if result else None)
