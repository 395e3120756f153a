"""The content loop over HTTP: editors list the queue, discard a question (a second discard of
an applied one is a 409, a made-up id a 404), apply questions to an article, make a draft from
them, and see the topic clusters; editors and leads see spikes. Bad input is a 4xx."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from handoff.conversations import start_conversation
from handoff.lifecycle import Role, Tier
from insight.models import MissReason, UnansweredQuestion
from kb import service as kb_service
from kb.search import KbIndex
from tests.unit.apps import auth
from tests.unit.handoff.builders import make_agent
from tests.unit.insight.test_report_api import app, client  # noqa: F401  (fixtures)
from tierzero.db import utcnow


def ask(session: Session, text: str, language: str = "en") -> int:
    conversation = start_conversation(session, language=language)
    now = utcnow()
    question = UnansweredQuestion(
        conversation_id=conversation.id, query=text, language=language,
        reason=MissReason.ABSTAINED.value, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(question)
    session.flush()
    return question.id


def test_the_editors_queue_over_http(app: FastAPI, client: TestClient, session: Session) -> None:  # noqa: F811
    editor = make_agent(session, role=Role.EDITOR)
    lead = make_agent(session, role=Role.LEAD, tier=Tier.L2)
    ids = [ask(session, "can I pay with bitcoin"), ask(session, "do you take bitcoin"),
           ask(session, "μπορώ να πληρώσω με bitcoin", "el")]  # fmt: skip
    junk = ask(session, "asdf qwer")
    h = auth(app, editor)
    listed = client.get("/v1/content/questions?state=new", headers=h).json()
    assert {q["id"] for q in listed["items"]} >= {*ids, junk}
    assert client.get("/v1/content/questions?state=bogus", headers=h).status_code == 400
    assert client.post(f"/v1/content/questions/{junk}/state", headers=h,
                       json={"state": "discarded"}).json()["state"] == "discarded"  # fmt: skip
    assert client.post("/v1/content/questions/987654/state", headers=h,
                       json={"state": "discarded"}).status_code == 404  # fmt: skip
    made = client.post("/v1/content/questions/draft", headers=h, json={
        "question_ids": ids[:2], "key": "pay-with-bitcoin", "title": "Paying with bitcoin",
        "answer": "We do not take bitcoin.", "language": "en"})  # fmt: skip
    assert made.status_code == 201, made.text
    article_id = made.json()["article_id"]
    view = kb_service.get_article(session, article_id)
    assert {"can I pay with bitcoin", "do you take bitcoin"} <= set(
        view.translations[0].current.questions
    )
    again = client.post(f"/v1/content/questions/{ids[0]}/state", headers=h,
                        json={"state": "discarded"})  # fmt: skip
    assert again.status_code == 409  # applied already
    state = app.state.tierzero
    state.kb, state.kb_loaded = KbIndex(dense=False), True
    state.kb.rebuild([])
    try:
        body = {"question_ids": [ids[2]], "article_id": article_id, "language": "el"}
        missing = client.post("/v1/content/questions/apply", headers=h, json=body)
        assert missing.status_code == 404  # no Greek translation yet: nothing changed
        applied = client.post("/v1/content/questions/apply", headers=h,
                              json={**body, "language": "en"})  # fmt: skip
        assert applied.status_code == 200, applied.text
        assert applied.json()["added"] == ["μπορώ να πληρώσω με bitcoin"]
        empty = client.post("/v1/content/questions/apply", headers=h,
                            json={**body, "question_ids": []})  # fmt: skip
        assert empty.status_code == 422
    finally:
        state.kb, state.kb_loaded = None, False
    clusters = client.get("/v1/content/clusters?days=7", headers=h)
    assert clusters.status_code in (200, 503)  # 503 while the index loads
    assert client.get("/v1/content/spikes", headers=auth(app, lead)).json() == []
    assert client.get("/v1/content/questions", headers=auth(app, lead)).status_code == 403
