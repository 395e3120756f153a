"""An editor's published change is what the bot answers on the customer's next message."""

from __future__ import annotations

import pytest

from tests.stack import Stack
from tests.widget_client import Customer, open_session

pytestmark = pytest.mark.integration

QUESTION = "can I bring my pet hamster to the Nimbus shop in Thessaloniki?"


def test_published_article_is_answered_on_the_next_message(stack: Stack) -> None:
    editor = stack.login("eve")
    customer = Customer(stack.ws_url, open_session(stack.base_url)["token"])
    try:
        with stack.client() as api:
            created = api.post(
                "/v1/kb/articles",
                headers=editor,
                json={
                    "key": "pets-in-shops",
                    "title": "Pets in Nimbus shops",
                    "answer": "Small pets like hamsters are welcome in every Nimbus shop.",
                    "questions": [
                        "can I bring my hamster to the shop",
                        "are pets allowed in Nimbus shops",
                        "may I come to the store with my dog",
                        "pet policy in your shops",
                        "is my pet welcome in the Thessaloniki shop",
                    ],
                    "category": "shops",
                },
            )
            assert created.status_code == 201, created.text
            article_id = created.json()["id"]
            published = api.post(
                f"/v1/kb/articles/{article_id}/translations/en/publish", headers=editor
            )
            assert published.status_code == 200, published.text

        after = customer.ask(QUESTION)
        assert after["payload"]["kind"] == "answer"
        assert "pets-in-shops" in after["payload"]["article"]["url"]
        assert after["text"] == "Small pets like hamsters are welcome in every Nimbus shop."

        with stack.client() as api:
            archived = api.post(
                f"/v1/kb/articles/{article_id}/translations/en/archive", headers=editor
            )
            assert archived.status_code == 200, archived.text
        gone = customer.ask(QUESTION)
        assert (
            gone["payload"].get("kind") != "answer"
            or "pets-in-shops" not in gone["payload"]["article"]["url"]
        )
    finally:
        customer.close()
