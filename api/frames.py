"""The WebSocket frames of the widget protocol, built in one place."""

from __future__ import annotations

from typing import Any

from handoff.models import Message


def message_frame(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "payload": message.payload,
        "client_msg_id": message.client_msg_id,
        "created_at": message.created_at.isoformat(),
    }


def ack_frame(client_msg_id: str, seq: int, *, duplicate: bool) -> dict[str, Any]:
    return {"type": "ack", "client_msg_id": client_msg_id, "seq": seq, "duplicate": duplicate}


def error_frame(status: int, detail: str, client_msg_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "status": status, "detail": detail, "client_msg_id": client_msg_id}
