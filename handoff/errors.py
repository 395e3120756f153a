"""Domain errors of conversations and tickets."""

from tierzero.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)


class ConversationNotFound(NotFound):
    pass


class TicketNotFound(NotFound):
    pass


class TicketAlreadyClaimed(Conflict):
    pass


class TicketNotAssignedToYou(Forbidden):
    pass


class TicketClosed(Conflict):
    pass


class InvalidCredentials(Unauthorized):
    pass


class AgentExists(Conflict):
    pass


class MessageRejected(InvalidInput):
    pass


class MessageTooLong(PayloadTooLarge):
    pass
