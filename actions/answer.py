"""action_answer_from_kb: answer from the knowledge base, or offer choices or a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_of, language_of, yes_no_buttons
from actions.messages import say
from actions.runtime import get_runtime
from handoff import service as handoff_service
from kb import service as kb_service
from kb.text import detect_language
from tierzero.db import unit_of_work


class ActionAnswerFromKb(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        runtime = get_runtime()
        text = str(tracker.latest_message.get("text") or "")
        slot_language = language_of(tracker)
        # the message's own language wins; short or mixed texts keep the conversation's language
        language = detect_language(text) or slot_language
        result = runtime.kb.search(text, language=language)
        events: list[dict[str, Any]] = []
        if language != slot_language:
            events.append(SlotSet("language", language))
        conversation_id = conversation_of(tracker)

        if result.decision == "answer" and result.best is not None:
            hit = result.best
            note = say("fallback_note", language) if hit.language != language else ""
            dispatcher.utter_message(
                json_message={
                    "kind": "answer",
                    "text": hit.answer,
                    "note": note,
                    "article": {
                        "id": hit.article_id,
                        "title": hit.title,
                        "url": hit.url,
                        "language": hit.language,
                        "confidence": round(hit.confidence, 3),
                    },
                    "question": say("did_it_help", language),
                    "buttons": yes_no_buttons(language),
                }
            )
            self._remember(conversation_id, text, language, hit)
            return [*events, SlotSet("pending", "feedback")]

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
            return [*events, SlotSet("pending", "clarify")]

        if conversation_id is not None:
            with unit_of_work(runtime.session_factory) as session:
                conversation = handoff_service.get_conversation(session, conversation_id)
                conversation.context = {**conversation.context, "low_confidence": text[:500]}
        dispatcher.utter_message(
            json_message={
                "kind": "offer_person",
                "text": say("not_sure", language),
                "buttons": yes_no_buttons(language),
            }
        )
        return [*events, SlotSet("pending", "handoff_offer")]

    @staticmethod
    def _remember(conversation_id: int | None, query: str, language: str, hit: Any) -> None:
        """Keep the last answer with the conversation: feedback and handoff refer to it."""
        if conversation_id is None:
            return
        with unit_of_work(get_runtime().session_factory) as session:
            conversation = handoff_service.get_conversation(session, conversation_id)
            last = {
                "article_id": hit.article_id,
                "language": hit.language,
                "title": hit.title,
                "confidence": float(hit.confidence),
                "query": query[:500],
            }
            conversation.context = {**conversation.context, "last_answer": last}
            conversation.language = language
            kb_service.record_answer_shown(
                session,
                article_id=hit.article_id,
                language=hit.language,
                query=query[:500],
                confidence=float(hit.confidence),
                conversation_id=conversation_id,
            )
