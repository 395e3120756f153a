"""action_feedback: the customer's "did this help?" yes/no about the last answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, intent_of, language_of, yes_no_buttons
from actions.messages import say
from actions.runtime import get_runtime
from handoff import service as handoff_service
from kb import service as kb_service
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
                conversation = handoff_service.get_conversation(session, conversation_id)
                last = conversation.context.get("last_answer")
                if isinstance(last, dict):
                    kb_service.record_feedback(
                        session,
                        article_id=int(last["article_id"]),
                        language=str(last["language"]),
                        query=str(last["query"]),
                        confidence=float(last["confidence"]),
                        helpful=helpful,
                        conversation_id=conversation_id,
                    )
                if not helpful:
                    conversation.unhelpful_answers += 1
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
