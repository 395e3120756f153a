"""action_handoff: turn the conversation into a ticket for a person (idempotent)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, intent_of, language_of
from actions.runtime import get_runtime
from handoff import availability, flows, waiting
from handoff.texts import say
from tierzero.db import unit_of_work, utcnow


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
        runtime = get_runtime()
        with unit_of_work(runtime.session_factory) as session:
            result = flows.hand_off_from_bot(
                session,
                runtime.hub,
                conversation_id=conversation_id,
                intent=intent_of(tracker),
                policy=runtime.policy,
            )
            ticket_id = result.ticket.id
            position = waiting.position_of(session, result.ticket)
            policy = runtime.policy
            found = (
                availability.availability(session, policy, result.ticket, utcnow())
                if policy is not None
                else None
            )
            if found is not None and result.created:
                availability.remember(result.ticket, found)
        message: dict[str, Any] = {
            "kind": "handoff",
            "text": say("handed_off", language, ticket=ticket_id),
            "ticket_id": ticket_id,
            "queue": {"position": position.position, "eta_seconds": position.eta_seconds},
        }
        if found is not None and policy is not None and not found.live:
            # the truth: nobody can take it now; when to expect an answer; email follow-up
            message["text"] = say(
                availability.TEXT_KEYS[found.path], language, ticket=ticket_id,
                when=availability.when(policy, found.expected_by),
                opens=availability.when(policy, found.opens_at),
            )  # fmt: skip
            message["follow_up"] = availability.follow_up(found.path, found.expected_by, language)
        dispatcher.utter_message(json_message=message)
        return [SlotSet("pending", None)]
