"""Rasa's action calls, served in-process through rasa_sdk's ActionExecutor.

Who may call: only a loopback client holding the internal service token (the Rasa server).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import zlib
from collections.abc import Mapping
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from api.deps import StateDep
from tierzero.errors import Forbidden, InvalidInput

router = APIRouter(prefix="/internal/rasa", tags=["internal"], include_in_schema=False)

FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def build_executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def is_direct_loopback(host: str | None, headers: Mapping[str, str]) -> bool:
    """A loopback peer that was not proxied (a proxy on this host would look local)."""
    return is_loopback(host) and not any(name in headers for name in FORWARDING_HEADERS)


def bearer_matches(headers: Mapping[str, str], token: str | None) -> bool:
    """The request's ``Authorization: Bearer`` is ``token`` (compared in constant time)."""
    given = headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), str(token).encode())


def authorise(host: str | None, headers: Mapping[str, str], token: str) -> None:
    """Only the local Rasa server: a loopback peer that was not proxied, with the service token."""
    if not is_direct_loopback(host, headers):
        raise Forbidden("internal endpoint is loopback-only")
    if not bearer_matches(headers, token):
        raise Forbidden("invalid internal token")


@router.post("/actions")
async def run_action(request: Request, state: StateDep) -> JSONResponse:
    host = request.client.host if request.client else None
    authorise(host, request.headers, state.settings.internal_token)
    body = await request.body()
    try:
        if request.headers.get("content-encoding") == "deflate":
            body = zlib.decompress(body)
        action_call: dict[str, Any] = json.loads(body)
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("action call is not valid (deflated) JSON") from exc
    executor = state.executor

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
