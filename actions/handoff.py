"""action_handoff: turn the conversation into a ticket for a person (idempotent)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, intent_of, language_of
from actions.messages import say
from actions.runtime import get_runtime
from handoff import service as handoff_service
from kb import service as kb_service
from tierzero.db import unit_of_work


def handoff_reason(intent: str | None, context: dict[str, Any], unhelpful_answers: int) -> str:
    if intent == "request_human":
        return "asked_for_person"
    if unhelpful_answers > 0:
        return "unhelpful_answers"
    if context.get("low_confidence"):
        return "low_confidence"
    return "asked_for_person"


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        conversation_id = conversation_of(tracker)
        language = language_of(tracker)
        if conversation_id is None:  # not a TierZero conversation (e.g. rasa shell)
            return [SlotSet("pending", None)]
        with unit_of_work(get_runtime().session_factory) as session:
            conversation = handoff_service.get_conversation(session, conversation_id)
            reason = handoff_reason(
                intent_of(tracker), conversation.context, conversation.unhelpful_answers
            )
            last = conversation.context.get("last_answer")
            result = handoff_service.hand_off(
                session,
                conversation_id=conversation_id,
                reason=reason,
                topic=last.get("title") if isinstance(last, dict) else None,
            )
            if result.created and isinstance(last, dict):
                kb_service.record_handoff_after(
                    session, article_id=int(last["article_id"]), conversation_id=conversation_id
                )
            ticket_id = result.ticket.id
        dispatcher.utter_message(
            json_message={
                "kind": "handoff",
                "text": say("handed_off", language, ticket=ticket_id),
                "ticket_id": ticket_id,
            }
        )
        return [SlotSet("pending", None)]
