"""action_answer_from_kb: answer from the knowledge base, or offer choices or a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, yes_no_buttons
from actions.handoff import hand_off
from actions.runtime import get_runtime
from handoff import flows
from handoff.texts import say


class ActionAnswerFromKb(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        runtime = get_runtime()
        text = str(tracker.latest_message.get("text") or "")
        second = runtime.second_opinion
        if second is not None and second(text):
            # the learned model hears a request for a person the rules and Rasa's NLU missed:
            # asking for a person wins over an answer. Asked here, beside the search that needs
            # the same embedding, so the turn never waits for the encode before Rasa starts.
            return hand_off(dispatcher, tracker, flows.REQUEST_HUMAN)
        # the api keeps the conversation's language (sticky on short replies) in the slot
        language = language_of(tracker)
        result = runtime.kb.search(text, language=language)
        if result.decision == "answer" and result.best is not None:
            dispatcher.utter_message(
                json_message={
                    **flows.answer_reply(result.best, text, language),
                    "question": say("did_it_help", language),
                    "buttons": yes_no_buttons(language),
                }
            )
            return [SlotSet("pending", "feedback")]

        if result.decision == "clarify" and len(result.hits) > 1:
            buttons = [{"title": h.title, "payload": h.title} for h in result.hits[:3]]
            buttons.append({"title": say("none_of_these", language), "payload": "/request_human"})
            dispatcher.utter_message(
                json_message={
                    "kind": "clarify",
                    "text": say("clarify", language),
                    "buttons": buttons,
                }
            )
            return [SlotSet("pending", "clarify")]

        dispatcher.utter_message(
            json_message={
                "kind": "offer_person",
                "text": say("not_sure", language),
                "buttons": yes_no_buttons(language),
                # the question travels with a handoff and decides its reason
                flows.RECORD: {"unanswered": {"query": text, "missing": not result.hits}},
            }
        )
        return [SlotSet("pending", "handoff_offer")]
