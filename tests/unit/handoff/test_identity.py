"""Identity verification: the website's HMAC of a customer id, checked on every new session."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from handoff.identity import customer_for, user_hash, verify
from tierzero.errors import InvalidInput, Unauthorized

SECRET = "s3cret-shared-with-the-website"


def test_the_right_hash_passes_and_any_other_is_refused() -> None:
    good = user_hash(SECRET, "cust-42")
    verify(SECRET, "cust-42", good)
    verify(SECRET, "cust-42", good.upper())  # hex in either case
    for bad in (None, "", good[:-1], user_hash(SECRET, "cust-43"), user_hash("other", "cust-42")):
        with pytest.raises(Unauthorized):
            verify(SECRET, "cust-42", bad)


def test_without_a_secret_no_identity_is_accepted() -> None:
    with pytest.raises(InvalidInput, match="not set up"):
        verify(None, "cust-42", user_hash("", "cust-42"))


def test_a_verified_id_is_one_customer(session: Session) -> None:
    first = customer_for(session, "cust-42")
    assert customer_for(session, "cust-42").id == first.id
    assert customer_for(session, "cust-43").id != first.id
