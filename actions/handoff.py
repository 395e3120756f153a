"""action_handoff: turn the conversation into a ticket for a person (idempotent)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, intent_of, language_of
from actions.runtime import get_runtime
from handoff import flows
from tierzero.db import unit_of_work


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return hand_off(dispatcher, tracker, intent_of(tracker))


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str | None
) -> list[dict[str, Any]]:
    """Make (or find) the conversation's ticket and tell the customer; ``intent`` is why."""
    conversation_id = conversation_of(tracker)
    language = language_of(tracker)
    if conversation_id is None:  # not a TierZero conversation (e.g. rasa shell)
        return [SlotSet("pending", None)]
    runtime = get_runtime()
    with unit_of_work(runtime.session_factory) as session:
        message = flows.hand_off_and_tell(
            session, runtime.hub, conversation_id=conversation_id, intent=intent,
            language=language, policy=runtime.policy,
        )  # fmt: skip
        # stored with the ticket, in one transaction: no agent can take the ticket (and say
        # they joined) before the customer has been told it was made
        flows.store_bot_replies(
            session, runtime.hub, conversation_id=conversation_id,
            outputs=[{"custom": message}],
        )  # fmt: skip
    dispatcher.utter_message(json_message={**message, flows.ALREADY_STORED: True})
    return [SlotSet("pending", None)]
