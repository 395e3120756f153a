"""The desk's promises end to end, through the API of the real stack, with the api's clock moved
(the one thing mocked): a Greek premium customer in business hours gets a 15-business-minute
first-response deadline, the queue sorts by it, the agent answers with the copilot's article,
resolves, the customer rates, and the 360° view shows it; a trial customer at night is told the
truth and leaves an email; an unanswered ticket breaches once the clock moves on, after the
customer was told nobody could take it in time.

"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from handoff.identity import user_hash
from handoff.policy import load
from tests.agent_client import AgentClient
from tests.stack import AGENTS, IDENTITY_SECRET, PASSWORD, Stack, a_past_wednesday, wait_until
from tests.widget_client import Customer, open_session
from tierzero.scheduler import ScheduledJob
from tierzero.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

POLICY = load(PROJECT_ROOT / "config" / "policy.yaml")
BELGRADE = ZoneInfo("Europe/Belgrade")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


@pytest.fixture
def admin(stack: Stack) -> Iterator[AgentClient]:
    for email, role, _ in AGENTS.values():
        if role != "editor":
            client = AgentClient(stack.base_url, email, PASSWORD)
            client.presence("offline")
            client.close()
    client = AgentClient(stack.base_url, AGENTS["dave"][0], PASSWORD)
    yield client
    # what is still open goes back to the bot: later tests see their own tickets first in the
    # queue (these carry the past Wednesday's deadlines, ahead of everyone's)
    while _HANDED_OFF:
        client.post(f"/v1/agent/tickets/{_HANDED_OFF.pop()}/return-to-bot")
    client.close()
    stack.set_clock(None)


_HANDED_OFF: list[int] = []


def greek_l1(stack: Stack, admin: AgentClient) -> AgentClient:
    email = f"l1-el-{uuid.uuid4().hex[:8]}@nimbus.test"
    made = admin.post("/v1/agent/agents", {"email": email, "name": "Eleni", "password": PASSWORD,
                                           "tier": "L1", "languages": ["el"]})  # fmt: skip
    assert made.status_code == 201, made.text
    return AgentClient(stack.base_url, email, PASSWORD)


def set_plan(admin: AgentClient, customer_id: int, plan: str) -> None:
    response = admin.http.patch(f"/v1/agent/customers/{customer_id}", json={"plan": plan})
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == plan


def hand_off(customer: Customer) -> dict:  # type: ignore[type-arg]
    customer.ask("Ξέχασα τον κωδικό πρόσβασής μου, πώς τον αλλάζω;")
    handed = customer.ask("θέλω να μιλήσω με έναν άνθρωπο")
    assert handed["payload"]["kind"] == "handoff", handed
    _HANDED_OFF.append(handed["payload"]["ticket_id"])
    return handed


class TestDeskPromises:
    def test_premium_in_hours_trial_at_night_and_a_breach(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        morning = a_past_wednesday(10)
        stack.set_clock(morning)
        agent = greek_l1(stack, admin)
        agent.connect()
        agent.presence("online")
        session = open_session(stack.base_url, language="el")
        set_plan(admin, session["customer_id"], "premium")
        customer = Customer(stack.ws_url, session["token"])
        try:
            handed = hand_off(customer)
            ticket_id = handed["payload"]["ticket_id"]
            assert "follow_up" not in handed["payload"]  # live: someone can take it
            ticket = agent.get(f"/v1/agent/tickets/{ticket_id}").json()
            assert ticket["packet"]["plan"] == "premium" and ticket["language"] == "el"
            created = parse(ticket["created_at"])
            due = parse(ticket["first_response_due_at"])
            assert abs(created - morning) < timedelta(minutes=2)
            assert due - created == timedelta(minutes=15)  # 15 business minutes, in hours
            # the queue is sorted by that deadline
            queue = admin.get("/v1/agent/tickets", sort="deadline", limit=200).json()["items"]
            dues = [parse(t["due_at"]) for t in queue if t["due_at"]]
            seen = [(t["id"], t["due_at"], t["priority"], t["status"]) for t in queue[:10]]
            assert dues == sorted(dues), seen
            assert ticket_id in [t["id"] for t in queue], seen

            # (other tests' open tickets may be offered too: this agent has room for five)
            offer = agent.wait_for(
                lambda f: f["type"] == "offer" and f["offer"]["ticket_id"] == ticket_id
            )["offer"]
            assert agent.post(f"/v1/agent/offers/{offer['id']}/accept").status_code == 200
            suggestion = agent.get(f"/v1/agent/tickets/{ticket_id}/suggestions").json()[0]
            assert "password-reset" in suggestion["url"] and suggestion["language"] == "el"
            sent = agent.post(f"/v1/agent/tickets/{ticket_id}/messages",
                              {"text": suggestion["answer"]})  # fmt: skip
            assert sent.status_code == 201, sent.text
            customer.wait_for(lambda f: f["type"] == "message" and f["sender"] == "agent"
                              and f["text"] == suggestion["answer"])  # fmt: skip
            resolved = agent.post(f"/v1/agent/tickets/{ticket_id}/resolve")
            assert resolved.status_code == 200, resolved.text
            prompt = customer.wait_for(
                lambda f: f["type"] == "message" and f["payload"].get("kind") == "ticket_resolved"
            )
            assert prompt["payload"]["csat"]["ticket_id"] == ticket_id
            rated = httpx.post(f"{stack.base_url}/v1/widget/csat",
                               json={"ticket_id": ticket_id, "score": 5, "comment": "Ευχαριστώ!"},
                               headers={"Authorization": f"Bearer {session['token']}"})  # fmt: skip
            assert rated.status_code == 204, rated.text
            story = agent.get(f"/v1/agent/customers/{session['customer_id']}").json()
            (mine,) = [t for t in story["tickets"] if t["id"] == ticket_id]
            assert mine["status"] == "resolved" and mine["end_reason"] == "resolved"
            assert mine["csat_score"] == 5
            assert story["entitlement"]["plan"] == "premium"
            assert story["entitlement"]["targets"]["normal"]["first_response"] == 15
            events = [e["kind"] for e in agent.get(f"/v1/agent/tickets/{ticket_id}/events").json()]
            assert "sla_breached" not in events
        finally:
            customer.close()
            agent.presence("offline")
            agent.close()

        # a trial customer at night: told the truth, leaves an email
        stack.set_clock(morning.replace(hour=23))
        night = open_session(stack.base_url, language="el")
        set_plan(admin, night["customer_id"], "trial")
        customer = Customer(stack.ws_url, night["token"])
        try:
            handed = hand_off(customer)
            follow_up = handed["payload"]["follow_up"]
            assert follow_up["path"] == "email_only" and follow_up["ask_email"]
            expected = parse(follow_up["expected_by"])
            assert expected > morning.replace(hour=23)  # an answer in business time, not tonight
            assert "email" in handed["text"]
            left = httpx.post(f"{stack.base_url}/v1/widget/contact",
                              json={"email": "maria@example.gr"},
                              headers={"Authorization": f"Bearer {night['token']}"})  # fmt: skip
            assert left.status_code == 204, left.text
            night_ticket = handed["payload"]["ticket_id"]
            events = [
                e["kind"] for e in admin.get(f"/v1/agent/tickets/{night_ticket}/events").json()
            ]
            assert "contact_left" in events
        finally:
            customer.close()

        # an agent is online but nobody takes a standard customer's chat: the customer is told
        # the truth after 10 minutes (the plan's claim_within), the target breaches at 15
        start = morning.replace(hour=11)
        stack.set_clock(start)
        busy = greek_l1(stack, admin)
        busy.presence("online")
        waiting = open_session(stack.base_url, language="el")
        customer = Customer(stack.ws_url, waiting["token"])
        try:
            handed = hand_off(customer)
            assert "follow_up" not in handed["payload"]
            late_ticket = handed["payload"]["ticket_id"]

            def kinds() -> list[str]:
                return [
                    e["kind"] for e in admin.get(f"/v1/agent/tickets/{late_ticket}/events").json()
                ]

            stack.set_clock(start + timedelta(minutes=10, seconds=5))
            told = customer.wait_for(lambda f: f["type"] == "message"
                                     and f["payload"].get("kind") == "no_agent_yet")  # fmt: skip
            assert f"#{late_ticket}" in told["text"] and told["payload"]["follow_up"]["ask_email"]
            assert "sla_breached" not in kinds()
            stack.set_clock(start + timedelta(minutes=15, seconds=5))
            wait_until(lambda: "sla_breached" in kinds())
            stack.set_clock(start + timedelta(minutes=40))
            wait_until(lambda: "sla_warning" in kinds())
            assert kinds().index("sla_warning") < kinds().index("sla_breached")
            ticket = admin.get(f"/v1/agent/tickets/{late_ticket}").json()
            assert ticket["status"] == "queued" and ticket["end_reason"] == "no_agent"
            history = kinds()
            assert history.count("sla_breached") == 1 and history.count("no_agent") == 1
            assert ticket["tier"] == "L1"  # standard does not escalate on a breach
        finally:
            customer.close()
            busy.presence("offline")
            busy.close()


class TestHandoffEndings:
    def test_a_customer_who_closes_the_chat_while_waiting_is_abandoned_unless_they_return(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        start = a_past_wednesday(12)
        stack.set_clock(start)
        gone_session = open_session(stack.base_url, language="en")
        back_session = open_session(stack.base_url, language="en")
        gone = Customer(stack.ws_url, gone_session["token"])
        back = Customer(stack.ws_url, back_session["token"])
        try:
            gone_ticket = hand_off(gone)["payload"]["ticket_id"]
            back_ticket = hand_off(back)["payload"]["ticket_id"]
        finally:
            gone.close()
            back.close()
        time.sleep(0.5)  # the api notices the closed sockets
        back = Customer(stack.ws_url, back_session["token"], since=10_000)
        try:
            back.drain(quiet=0.5)  # reconnected: the abandon timer is cancelled
            stack.set_clock(start + timedelta(seconds=POLICY.abandoned_after_seconds + 30))

            def ticket(ticket_id: int) -> dict:  # type: ignore[type-arg]
                return admin.get(f"/v1/agent/tickets/{ticket_id}").json()  # type: ignore[no-any-return]

            wait_until(lambda: ticket(gone_ticket)["status"] == "closed")
            assert ticket(gone_ticket)["end_reason"] == "abandoned"
            time.sleep(2.5)  # a couple of scheduler rounds
            assert ticket(back_ticket)["status"] == "queued"
            assert ticket(back_ticket)["end_reason"] is None
        finally:
            back.close()

    def test_an_agent_hands_the_conversation_back_to_the_bot(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        stack.set_clock(a_past_wednesday(14))
        session = open_session(stack.base_url, language="el")
        customer = Customer(stack.ws_url, session["token"])
        agent = greek_l1(stack, admin)
        try:
            ticket_id = hand_off(customer)["payload"]["ticket_id"]
            # only whoever works on it (or a lead) may hand it back
            assert agent.post(f"/v1/agent/tickets/{ticket_id}/return-to-bot").status_code == 403
            assert agent.post(f"/v1/agent/tickets/{ticket_id}/claim").status_code == 200
            back = agent.post(f"/v1/agent/tickets/{ticket_id}/return-to-bot",
                              {"note": "the reset article answers it"})  # fmt: skip
            assert back.status_code == 200, back.text
            ended = back.json()
            assert (ended["status"], ended["end_reason"]) == ("closed", "returned_to_bot")
            customer.wait_for(lambda f: f["type"] == "message"
                              and f["payload"].get("kind") == "back_to_bot")  # fmt: skip
            again = customer.ask("Πώς αλλάζω τον κωδικό πρόσβασης;")
            assert again["sender"] == "bot" and again["payload"]["kind"] == "answer"
            assert agent.post(f"/v1/agent/tickets/{ticket_id}/return-to-bot").status_code == 409
        finally:
            customer.close()
            agent.close()

    def test_only_leads_set_a_customers_plan_and_only_to_a_plan_that_exists(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        session = open_session(stack.base_url)
        agent = greek_l1(stack, admin)
        lead = AgentClient(stack.base_url, AGENTS["lena"][0], PASSWORD)
        try:
            path = f"/v1/agent/customers/{session['customer_id']}"
            assert agent.http.patch(path, json={"plan": "premium"}).status_code == 403
            unknown = lead.http.patch(path, json={"plan": "platinum"})
            assert unknown.status_code in (400, 422) and "platinum" in unknown.text
            assert lead.http.patch(path, json={"email": "not an address"}).status_code in (400, 422)
            assert lead.http.patch(path, json={"plan": "trial"}).json()["plan"] == "trial"
            assert lead.http.patch("/v1/agent/customers/99999999", json={"plan": "trial"}
                                   ).status_code == 404  # fmt: skip
        finally:
            agent.close()
            lead.close()


class TestIdentifiedCustomer:
    def test_a_signed_in_customers_plan_and_history_follow_them(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        stack.set_clock(a_past_wednesday(15))
        external_id = f"acct-{uuid.uuid4().hex[:8]}"
        lead = AgentClient(stack.base_url, AGENTS["lena"][0], PASSWORD)
        # the company's billing sync (a lead account) sets the plan before they ever chat
        synced = lead.http.put(f"/v1/agent/customers/external/{external_id}",
                               json={"plan": "premium", "name": "Μαρία"})  # fmt: skip
        assert synced.status_code == 200, synced.text
        customer_id = synced.json()["id"]
        signed = {"user_id": external_id, "user_hash": user_hash(IDENTITY_SECRET, external_id)}

        def new_session(**extra: object) -> httpx.Response:
            return httpx.post(f"{stack.base_url}/v1/widget/sessions",
                              json={"language": "el", **signed, **extra}, timeout=10)  # fmt: skip

        laptop = new_session()
        assert laptop.status_code == 201, laptop.text
        assert laptop.json()["customer_id"] == customer_id
        customer = Customer(stack.ws_url, laptop.json()["token"])
        try:
            handed = hand_off(customer)
        finally:
            customer.close()
        ticket = lead.get(f"/v1/agent/tickets/{handed['payload']['ticket_id']}").json()
        assert ticket["packet"]["plan"] == "premium" and ticket["customer_id"] == customer_id
        # the phone continues the conversation still being helped, not a second one
        phone = new_session()
        assert phone.json()["conversation_id"] == laptop.json()["conversation_id"]
        assert phone.json()["customer_id"] == customer_id
        bearer = {"Authorization": f"Bearer {phone.json()['token']}"}
        history = httpx.get(f"{stack.base_url}/v1/widget/messages", headers=bearer)
        assert any(m["sender"] == "customer" for m in history.json())
        # nobody else can claim to be them
        forged = httpx.post(f"{stack.base_url}/v1/widget/sessions",
                            json={"user_id": external_id,
                                  "user_hash": user_hash("guessed", external_id)})  # fmt: skip
        assert forged.status_code == 401 and "verified" in forged.json()["detail"]
        half = httpx.post(f"{stack.base_url}/v1/widget/sessions",
                          json={"user_hash": signed["user_hash"]})  # fmt: skip
        assert half.status_code == 400
        lead.close()


class TestSchedulerRestart:
    def test_a_deadline_that_passed_while_the_api_was_down_fires_once_it_is_back(
        self, stack: Stack, admin: AgentClient
    ) -> None:
        start = a_past_wednesday(16)
        stack.set_clock(start)
        session = open_session(stack.base_url, language="en")
        customer = Customer(stack.ws_url, session["token"])
        try:
            ticket_id = hand_off(customer)["payload"]["ticket_id"]
            # they leave an email (so going away is not abandoning the ticket)
            left = httpx.post(f"{stack.base_url}/v1/widget/contact",
                              json={"email": "ann@example.com"},
                              headers={"Authorization": f"Bearer {session['token']}"})  # fmt: skip
            assert left.status_code == 204
        finally:
            customer.close()
        factory = stack.session_factory()

        def planned() -> bool:
            with factory() as db:
                return bool(
                    db.scalars(
                        select(ScheduledJob).where(
                            ScheduledJob.subject == f"ticket:{ticket_id}",
                            ScheduledJob.kind == "sla_breach",
                        )
                    ).all()
                )

        wait_until(planned)
        # the api goes down; the deadline passes meanwhile; a new api starts
        stack.restart_api(while_down=lambda: stack.set_clock(start + timedelta(minutes=20)))

        def kinds() -> list[str]:
            return [e["kind"] for e in admin.get(f"/v1/agent/tickets/{ticket_id}/events").json()]

        wait_until(lambda: "sla_breached" in kinds())
        time.sleep(2.5)  # more scheduler rounds change nothing
        assert kinds().count("sla_breached") == 1 and kinds().count("sla_warning") == 1
        ticket = admin.get(f"/v1/agent/tickets/{ticket_id}").json()
        assert (ticket["status"], ticket["end_reason"]) == ("queued", None)
