"""A hand-built month of desk history with known answers, written through the real flow
functions (bot replies stored by the flow, votes, handoffs, claims, replies, escalations,
resolutions, ratings) at frozen clock times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from handoff import conversations, flows, tickets
from handoff.lifecycle import Role, Tier
from handoff.models import Agent, Conversation, Customer
from handoff.policy import Policy
from kb import service as kb_service
from tests.unit.handoff.builders import HUB, make_agent, say
from tierzero import clock


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def article(session: Session, key: str, category: str) -> int:
    view = kb_service.create_article(
        session, key=key, language="en", title=key.replace("-", " "), answer=f"About {key}.",
        questions=[f"question about {key}"], category=category, author="editor@example.test",
    )  # fmt: skip
    return int(view.article.id)


class History:
    def __init__(self, session: Session, policy: Policy) -> None:
        self.session, self.policy = session, policy

    def customer(self, external_id: str, plan: str = "standard") -> Customer:
        customer = Customer(external_id=external_id, plan=plan, language="en")
        self.session.add(customer)
        self.session.flush()
        return customer

    def conversation(
        self, customer: Customer, moment: str, text: str, language: str = "en"
    ) -> Conversation:
        clock.freeze(at(moment))
        conversation = conversations.start_conversation(
            self.session, language=language, customer=customer
        )
        say(self.session, conversation, text)
        return conversation

    def customer_says(self, conversation: Conversation, moment: str, text: str) -> None:
        clock.freeze(at(moment))
        say(self.session, conversation, text)

    def bot(self, conversation: Conversation, moment: str, output: dict[str, Any]) -> None:
        clock.freeze(at(moment))
        flows.store_bot_replies(
            self.session, HUB, conversation_id=conversation.id, outputs=[{"custom": output}]
        )

    def answer(self, conversation: Conversation, moment: str, article_id: int, query: str) -> None:
        self.bot(conversation, moment, {
            "kind": "answer", "text": "An answer.",
            "article": {"id": article_id, "language": "en", "version": 1},
            flows.RECORD: {"answer": {
                "query": query, "article_id": article_id, "language": "en",
                "title": "t", "version": 1, "confidence": 0.9,
            }},
        })  # fmt: skip

    def offer_person(self, conversation: Conversation, moment: str, query: str | None) -> None:
        output: dict[str, Any] = {"kind": "offer_person", "text": "Shall I get a person?"}
        if query is not None:
            output[flows.RECORD] = {"unanswered": {"query": query, "missing": True}}
        self.bot(conversation, moment, output)

    def vote(self, conversation: Conversation, moment: str, helpful: bool) -> None:
        clock.freeze(at(moment))
        flows.record_feedback(self.session, conversation_id=conversation.id, helpful=helpful)

    def hand_off(self, conversation: Conversation, moment: str, intent: str | None) -> int:
        clock.freeze(at(moment))
        result = flows.hand_off_from_bot(
            self.session, HUB, conversation_id=conversation.id, intent=intent, policy=self.policy
        )
        return result.ticket.id

    def agent(self, name: str, tier: Tier) -> Agent:
        agent = make_agent(self.session, tier=tier, role=Role.AGENT, name=name)
        return agent

    def claim(self, agent: Agent, ticket_id: int, moment: str) -> None:
        clock.freeze(at(moment))
        tickets.claim(self.session, HUB, agent=agent, ticket_id=ticket_id)

    def reply(self, agent: Agent, ticket_id: int, moment: str) -> None:
        clock.freeze(at(moment))
        tickets.reply(
            self.session, HUB, agent=agent, ticket_id=ticket_id, text="Let me help.",
            client_msg_id=None,
        )  # fmt: skip

    def escalate(self, agent: Agent, ticket_id: int, moment: str) -> None:
        clock.freeze(at(moment))
        tickets.escalate(self.session, HUB, agent=agent, ticket_id=ticket_id, note="for L2")

    def resolve(self, agent: Agent, ticket_id: int, moment: str) -> None:
        clock.freeze(at(moment))
        tickets.resolve(self.session, HUB, agent=agent, ticket_id=ticket_id)

    def reopen(self, agent: Agent, ticket_id: int, moment: str) -> None:
        clock.freeze(at(moment))
        tickets.reopen(self.session, HUB, agent=agent, ticket_id=ticket_id, reason="not fixed")

    def rate(self, conversation: Conversation, ticket_id: int, moment: str, score: int) -> None:
        clock.freeze(at(moment))
        tickets.rate(
            self.session, HUB, conversation_id=conversation.id, ticket_id=ticket_id, score=score
        )
