"""action_feedback: the customer's "did this help?" yes/no about the last answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, intent_of, language_of, yes_no_buttons
from actions.runtime import get_runtime
from handoff import flows
from handoff.texts import say
from tierzero.db import unit_of_work


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        helpful = intent_of(tracker) == "affirm"
        language = language_of(tracker)
        conversation_id = conversation_of(tracker)
        if conversation_id is not None:
            with unit_of_work(get_runtime().session_factory) as session:
                flows.record_feedback(session, conversation_id=conversation_id, helpful=helpful)
        if helpful:
            dispatcher.utter_message(json_message={"kind": "text", "text": say("glad", language)})
            return [SlotSet("pending", None)]
        dispatcher.utter_message(
            json_message={
                "kind": "offer_person",
                "text": say("offer_person", language),
                "buttons": yes_no_buttons(language),
            }
        )
        return [SlotSet("pending", "handoff_offer")]
