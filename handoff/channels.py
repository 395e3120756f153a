"""Channels that deliver a conversation's messages outside the live sockets (email) register
here; every message the desk stores for the customer (bot, agent, system) is handed to them in
the transaction that stores it, so a delivery is queued exactly when its message exists and
never for a message that was rolled back."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from handoff import repository as repo
from handoff.lifecycle import Sender
from handoff.models import Conversation, Message

Deliver = Callable[[Session, Conversation, Message], None]
_outbound: list[Deliver] = []


def register(deliver: Deliver) -> None:
    if deliver not in _outbound:
        _outbound.append(deliver)


def unregister(deliver: Deliver) -> None:
    if deliver in _outbound:
        _outbound.remove(deliver)


def stored(session: Session, message: Message) -> None:
    if not _outbound or message.sender == Sender.CUSTOMER.value:
        return
    conversation = repo.get_conversation(session, message.conversation_id)
    if conversation is None:
        return
    for deliver in list(_outbound):
        deliver(session, conversation, message)
