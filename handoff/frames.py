"""The live frames of the widget and agent protocols, built in one place.

Customers only ever receive ``message``, ``ack``, ``error``, ``queue`` and ``typing`` frames of
their own conversation; internal notes and ticket events travel on agent-only topics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff.models import Message, Ticket, TicketEvent, TicketOffer

Frame = dict[str, Any]


def message_frame(message: Message) -> Frame:
    return {
        "type": "message",
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "payload": message.payload,
        "client_msg_id": message.client_msg_id,
        "agent_id": message.agent_id,
        "created_at": message.created_at.isoformat(),
    }


def ack_frame(client_msg_id: str, seq: int, *, duplicate: bool) -> Frame:
    return {"type": "ack", "client_msg_id": client_msg_id, "seq": seq, "duplicate": duplicate}


def error_frame(status: int, detail: str, client_msg_id: str | None = None) -> Frame:
    return {"type": "error", "status": status, "detail": detail, "client_msg_id": client_msg_id}


def ticket_frame(ticket: Ticket, event: TicketEvent | None = None) -> Frame:
    from handoff.schemas import TicketEventRead, TicketRead

    return {
        "type": "ticket",
        "ticket": TicketRead.model_validate(ticket).model_dump(mode="json"),
        "event": TicketEventRead.model_validate(event).model_dump(mode="json") if event else None,
    }


def offer_frame(offer: TicketOffer, ticket: Ticket) -> Frame:
    from handoff.schemas import OfferRead

    return {"type": "offer", "offer": OfferRead.from_offer(offer, ticket).model_dump(mode="json")}


def offer_closed_frame(offer: TicketOffer) -> Frame:
    return {"type": "offer_closed", "offer_id": offer.id, "status": offer.status}


def note_frame(ticket: Ticket, event: TicketEvent) -> Frame:
    from handoff.schemas import TicketEventRead

    return {
        "type": "note",
        "ticket_id": ticket.id,
        "event": TicketEventRead.model_validate(event).model_dump(mode="json"),
    }


def queue_position_frame(
    ticket_id: int | None,
    status: str,
    position: int | None,
    eta_seconds: int | None,
    text: str | None,
    leave_label: str | None = None,
) -> Frame:
    return {
        "type": "queue",
        "ticket_id": ticket_id,
        "status": status,
        "position": position,
        "eta_seconds": eta_seconds,
        "text": text,
        "leave_label": leave_label,
    }


def typing_frame(conversation_id: int, who: str, *, agent_id: int | None = None) -> Frame:
    return {
        "type": "typing",
        "conversation_id": conversation_id,
        "sender": who,
        "agent_id": agent_id,
    }


def viewers_frame(ticket_id: int, agents: list[dict[str, Any]]) -> Frame:
    return {"type": "viewers", "ticket_id": ticket_id, "agents": agents}
