"""Who the customer is, when the company's website says so: identity verification.

A logged-in customer's page embeds the widget with their id and an HMAC-SHA256 of that id under
a secret the company shares with TierZero (``TIERZERO_IDENTITY_SECRET``), computed on the
company's server. The api recomputes it on every new session and refuses a wrong one, so a
visitor cannot claim someone else's history or plan by editing the page. A verified id finds
(or creates) the customer with that ``external_id``: their conversations, tickets and plan
follow them from device to device.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.lifecycle import OPEN_STATUSES, Channel
from handoff.models import Conversation, Customer, Ticket
from tierzero.errors import InvalidInput, Unauthorized


def user_hash(secret: str, user_id: str) -> str:
    """What the company's server puts in ``data-user-hash`` (hex HMAC-SHA256 of the id)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify(secret: str | None, user_id: str, given_hash: str | None) -> None:
    if not secret:
        raise InvalidInput("identity verification is not set up on this desk")
    if not given_hash or not hmac.compare_digest(
        user_hash(secret, user_id), given_hash.strip().lower()
    ):
        raise Unauthorized("the customer's identity could not be verified")


def customer_for(session: Session, external_id: str) -> Customer:
    """The customer with this verified id, created on their first chat."""
    found = session.scalar(select(Customer).where(Customer.external_id == external_id))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            customer = Customer(external_id=external_id)
            session.add(customer)
            session.flush()
            return customer
    except IntegrityError:  # the same customer's other tab at the same moment
        return session.scalars(select(Customer).where(Customer.external_id == external_id)).one()


def conversation_to_continue(session: Session, customer: Customer) -> int | None:
    """A chat the customer is still being helped in (an open ticket), to continue on this
    device rather than start a second one beside it (an open email request stays in email)."""
    return session.scalar(
        select(Ticket.conversation_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.status.in_([s.value for s in OPEN_STATUSES]),
            Conversation.channel == Channel.WIDGET.value,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )
