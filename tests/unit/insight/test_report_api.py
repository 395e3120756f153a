"""The report over HTTP and the CLI, on the hand-built history of ``test_report``: the JSON of
``GET /v1/reports/summary`` and ``tierzero report --json`` carry exactly the known figures; the
HTML report is self-contained (Chart.js and the chart code inlined, no outside address) with
every chart; an agent flags a bot answer through the ticket; an edited article shows the
answers that cited its previous version and which of those were unhelpful."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from handoff.lifecycle import Role, Tier
from kb import service as kb_service
from tests.databases import fresh_database
from tests.unit.apps import app_for_tests, auth, client_on
from tests.unit.handoff.builders import make_agent
from tests.unit.insight.history import at
from tests.unit.insight.test_report import AS_OF, build
from tierzero import clock
from tierzero.db import make_engine
from tierzero.settings import get_settings

QUERY = "?from=2026-11-02&to=2026-11-05&tz=Europe/Belgrade"


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return app_for_tests(database_url, tmp_path_factory.mktemp("var"), "report-api")


@pytest.fixture
def client(app: FastAPI, session: Session) -> Iterator[TestClient]:
    try:
        with client_on(app, session) as client:
            yield client
    finally:
        clock.travel(timedelta(0))


def test_summary_json_and_html(app: FastAPI, client: TestClient, session: Session) -> None:
    build(session)
    lead = make_agent(session, role=Role.LEAD, tier=Tier.L2)
    clock.freeze(AS_OF)
    response = client.get(f"/v1/reports/summary{QUERY}", headers=auth(app, lead))
    assert response.status_code == 200, response.text
    r = response.json()
    assert r["conversations"]["outcomes"]["bot_assumed"] == 3
    assert r["tickets"]["first_response_business"] == {"n": 2, "median": 36.0, "p90": 59.0}
    assert {c["key"] for c in r["charts"]} >= {"outcomes", "containment", "times", "sla", "csat"}
    page = client.get(f"/v1/reports/summary.html{QUERY}", headers=auth(app, lead))
    assert page.status_code == 200
    assert "attachment" in page.headers["content-disposition"]
    html = page.text
    assert "drawCharts(" in html and "Chart.js v4" in html  # both inlined
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched from outside
    specs = json.loads(re.search(r'id="chart-specs">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert [s["key"] for s in specs] == [c["key"] for c in r["charts"]]
    assert client.get("/v1/reports/summary?from=2026-11-05&to=2026-11-02",
                      headers=auth(app, lead)).status_code in (400, 422)  # fmt: skip


def test_agent_flags_an_answer_and_editors_see_versions(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    ids = build(session)
    l1 = make_agent(session, role=Role.AGENT, tier=Tier.L1)
    editor = make_agent(session, role=Role.EDITOR)
    clock.freeze(at("2026-11-05 12:00"))
    # C8 (ticket T2, in L2 now): its transcript shows the billing answer
    l2 = make_agent(session, role=Role.AGENT, tier=Tier.L2)
    detail = client.get(f"/v1/agent/tickets/{ids['t2']}", headers=auth(app, l2)).json()
    seq = next(m["seq"] for m in detail["transcript"] if m["payload"].get("kind") == "answer")
    body = {"seq": seq, "reason": "incorrect", "note": "wrong fee"}
    # an L1 agent may not see an L2 ticket: 404, as if it did not exist
    refused = client.post(f"/v1/agent/tickets/{ids['t2']}/flags", headers=auth(app, l1), json=body)
    assert refused.status_code == 404
    flagged = client.post(f"/v1/agent/tickets/{ids['t2']}/flags", headers=auth(app, l2), json=body)
    assert flagged.status_code == 201, flagged.text
    bad = client.post(f"/v1/agent/tickets/{ids['t2']}/flags", headers=auth(app, l2),
                      json={"seq": 1, "reason": "incorrect"})  # fmt: skip
    assert bad.status_code == 404  # message 1 is the customer's question
    queue = client.get("/v1/reports/flags", headers=auth(app, editor)).json()
    assert [(f["seq"], f["reason"]) for f in queue][:1] == [(seq, "incorrect")]
    # the editor publishes billing, then edits and publishes version 2: the answers of the
    # last 30 days cited version 1
    kb_service.publish(session, ids["billing"], "en", author="editor@example.test")
    kb_service.update_translation(
        session, ids["billing"], "en", title="billing", answer="New fees from December.",
        questions=["question about billing"], expected_version=1, author="editor@example.test",
    )  # fmt: skip
    kb_service.publish(session, ids["billing"], "en", author="editor@example.test")
    versions = client.get(
        f"/v1/reports/articles/{ids['billing']}/versions?days=30", headers=auth(app, editor)
    ).json()["versions"]
    assert [(v["language"], v["version"], v["current"], v["answers"], v["not_helpful"],
             v["flagged"]) for v in versions] == [("en", 1, False, 5, 2, 1)]  # fmt: skip
    unhelpful = {c["conversation_id"] for c in versions[0]["conversations"]}
    assert len(unhelpful) == 2  # C5 and C8 (C8 also flagged)


def test_cli_json_matches_the_history(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``tierzero report --json`` on a database of its own holding only the history."""
    from tierzero.cli.main import app as cli

    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                build(session)
                session.commit()
            monkeypatch.setenv("TIERZERO_DATABASE_URL", url)
            get_settings.cache_clear()
            clock.freeze(AS_OF)
            result = CliRunner().invoke(
                cli, ["report", "--from", "2026-11-02", "--to", "2026-11-05",
                      "--tz", "Europe/Belgrade", "--json"],
            )  # fmt: skip
        finally:
            engine.dispose()
            get_settings.cache_clear()
            clock.travel(timedelta(0))
    assert result.exit_code == 0, result.output
    r = json.loads(result.output)
    assert r["conversations"]["outcomes"] == {
        "handed_off": 2, "unanswered": 1, "rejected": 1, "uncounted": 1, "pending": 0,
        "bot_confirmed": 1, "bot_assumed": 3,
    }  # fmt: skip
    assert r["tickets"]["first_response_business"] == {"n": 2, "median": 36.0, "p90": 59.0}
    assert r["tickets"]["resolution_business"] == {"n": 2, "median": 164.5, "p90": 180.0}
    assert r["tickets"]["sla"]["first_response"]["breached"] == 1
    assert r["tickets"]["csat"]["average"] == 3.5
    assert [s["conversations"] for s in r["series"]] == [7, 2, 0]
