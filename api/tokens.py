"""Signed bearer tokens (JWT, HS256) for customers and agents.

A customer token names the conversation it may use, so the WebSocket never trusts a
client-chosen id; an agent token is short-lived and re-checked against the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import jwt

from tierzero.errors import Unauthorized

ALGORITHM = "HS256"
AUDIENCE = {"customer": "tierzero-widget", "agent": "tierzero-agent"}


@dataclass(frozen=True)
class Claims:
    kind: Literal["customer", "agent"]
    subject: int  # customer id or agent id
    conversation_id: int | None
    expires_at: int
    #: agents: the ``Agent.token_version`` the token was issued under
    version: int = 0


def issue(
    secret: str,
    *,
    kind: Literal["customer", "agent"],
    subject: int,
    ttl_seconds: int,
    conversation_id: int | None = None,
    version: int | None = None,
) -> str:
    now = int(time.time())
    payload: dict[str, object] = {
        "sub": str(subject),
        "aud": AUDIENCE[kind],
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if conversation_id is not None:
        payload["conv"] = conversation_id
    if version is not None:
        payload["ver"] = version
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str, *, kind: Literal["customer", "agent"]) -> Claims:
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE[kind])
        conversation = payload.get("conv")
        return Claims(
            kind=kind,
            subject=int(payload["sub"]),
            conversation_id=int(conversation) if conversation is not None else None,
            expires_at=int(payload["exp"]),
            version=int(payload.get("ver", 0)),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid token") from exc
