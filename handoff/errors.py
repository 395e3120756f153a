"""Domain errors of conversations, tickets, offers and agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tierzero.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)

if TYPE_CHECKING:
    from handoff.lifecycle import Action
    from handoff.models import Ticket


class ConversationNotFound(NotFound):
    pass


class TicketNotFound(NotFound):
    pass


class AgentNotFound(NotFound):
    pass


class OfferNotFound(NotFound):
    pass


class TicketConflict(Conflict):
    """A change lost to another one (or the ticket is in a state that refuses it): the body
    carries the ticket as it is now, so the client can show it and decide again."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data

    @classmethod
    def for_ticket(cls, ticket: Ticket, action: Action | str) -> TicketConflict:
        from handoff.schemas import TicketRead

        name = getattr(action, "value", action)
        return cls(
            f"cannot {str(name).replace('_', '-')} a ticket that is {ticket.status} "
            f"(version {ticket.version}); reload it and try again",
            {"ticket": TicketRead.model_validate(ticket).model_dump(mode="json")},
        )


class TicketAlreadyClaimed(TicketConflict):
    pass


class ReplyCollision(Conflict):
    """The customer or another agent wrote since the message this reply was written against."""

    def __init__(self, message: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.data = data


class TicketNotAssignedToYou(Forbidden):
    pass


class TicketClosed(Conflict):
    pass


class OverCapacity(Conflict):
    pass


class InvalidCredentials(Unauthorized):
    pass


class AgentExists(Conflict):
    pass


class MessageRejected(InvalidInput):
    pass


class MessageTooLong(PayloadTooLarge):
    pass


class InvalidPeriod(InvalidInput):
    """A report period the figures cannot be computed for (ends before it starts, too long)."""

    status_code = 422
