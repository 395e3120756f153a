"""Signed tokens: a customer token is not an agent token, and tampering is detected."""

import pytest

from api import tokens
from tierzero.errors import Unauthorized

SECRET = "s" * 32


def test_customer_token_round_trips_its_conversation() -> None:
    token = tokens.issue(SECRET, kind="customer", subject=7, conversation_id=42, ttl_seconds=60)
    claims = tokens.verify(SECRET, token, kind="customer")
    assert (claims.subject, claims.conversation_id) == (7, 42)


def test_customer_token_is_not_an_agent_token() -> None:
    token = tokens.issue(SECRET, kind="customer", subject=7, conversation_id=42, ttl_seconds=60)
    with pytest.raises(Unauthorized):
        tokens.verify(SECRET, token, kind="agent")


def test_expired_token_is_refused() -> None:
    token = tokens.issue(SECRET, kind="agent", subject=1, ttl_seconds=-1)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(SECRET, token, kind="agent")


def test_token_signed_with_another_secret_is_refused() -> None:
    token = tokens.issue("x" * 32, kind="agent", subject=1, ttl_seconds=60)
    with pytest.raises(Unauthorized, match="invalid"):
        tokens.verify(SECRET, token, kind="agent")
