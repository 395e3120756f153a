"""Who may call what: every HTTP route and both WebSockets, for every kind of caller.

The rules below are the specification (the route docstrings say the same in words). The test
walks the app's own route table, so a route added without a rule here fails it; every route is
called by every principal, and a principal outside the rule must get 401 or 403 (inside it: any
answer but those — 404 and 422 are fine, the ids and bodies are made up). The agent's own
session ends last (logout revokes the token).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from handoff import agents
from handoff.lifecycle import Role, Tier
from tests.security.app import PASSWORD, security_app
from tierzero.db import make_engine, make_session_factory, unit_of_work

STAFF_ROLES = {
    "l1": (Role.AGENT, Tier.L1), "l2": (Role.AGENT, Tier.L2), "l3": (Role.AGENT, Tier.L3),
    "lead": (Role.LEAD, Tier.L2), "editor": (Role.EDITOR, Tier.L1), "admin": (Role.ADMIN, Tier.L2),
    "deactivated": (Role.ADMIN, Tier.L2),
}  # fmt: skip
PRINCIPALS = ("anonymous", "customer", *STAFF_ROLES)

ANYONE = set(PRINCIPALS)
CUSTOMER = {"customer"}
STAFF = {"l1", "l2", "l3", "lead", "editor", "admin"}
WORKERS = {"l1", "l2", "l3", "lead", "admin"}
LEADS = {"lead", "admin"}
ADMINS = {"admin"}
EDITORS = {"editor", "admin"}
NOBODY: set[str] = set()  # the internal token only (Rasa's action calls)

RULES: dict[tuple[str, str], set[str]] = {
    ("GET", "/openapi.json"): ANYONE, ("GET", "/docs"): ANYONE, ("GET", "/redoc"): ANYONE,
    ("GET", "/docs/oauth2-redirect"): ANYONE, ("GET", "/console"): ANYONE,
    ("GET", "/vendor/{name}"): ANYONE, ("GET", "/favicon.ico"): ANYONE,
    ("GET", "/widget.js"): ANYONE, ("GET", "/"): ANYONE, ("GET", "/healthz"): ANYONE,
    ("GET", "/readyz"): ANYONE, ("GET", "/robots.txt"): ANYONE,
    ("GET", "/help"): ANYONE, ("GET", "/help/{slug}/"): ANYONE,
    ("GET", "/help/{slug}/categories/{name}"): ANYONE,
    ("GET", "/help/{slug}/articles/{key}"): ANYONE,
    ("POST", "/help/{slug}/articles/{key}/feedback"): ANYONE,
    ("GET", "/help/{slug}/search"): ANYONE,
    ("GET", "/help/sitemap.xml"): ANYONE, ("GET", "/kb/articles/{key}"): ANYONE,
    ("GET", "/v1/kb/public/articles/{key}"): ANYONE,
    # the widget
    ("POST", "/v1/widget/sessions"): ANYONE, ("GET", "/v1/widget/messages"): CUSTOMER,
    ("POST", "/v1/widget/csat"): CUSTOMER, ("POST", "/v1/widget/contact"): CUSTOMER,
    ("POST", "/v1/widget/handoff/cancel"): CUSTOMER, ("WS", "/v1/widget/ws"): CUSTOMER,
    # staff sessions
    ("POST", "/v1/agent/login"): ANYONE, ("POST", "/v1/agent/logout"): STAFF,
    ("GET", "/v1/agent/me"): STAFF, ("PUT", "/v1/agent/me/presence"): STAFF,
    # the desk
    ("GET", "/v1/agent/tickets"): WORKERS, ("GET", "/v1/agent/tickets/mine"): WORKERS,
    ("POST", "/v1/agent/tickets/next"): WORKERS, ("GET", "/v1/agent/tickets/{ticket_id}"): WORKERS,
    ("GET", "/v1/agent/tickets/{ticket_id}/events"): WORKERS,
    **{("POST", f"/v1/agent/tickets/{{ticket_id}}/{action}"): WORKERS for action in (
        "claim", "release", "transfer", "escalate", "de-escalate", "resolve", "return-to-bot",
        "reopen", "messages", "notes", "promote")},
    ("GET", "/v1/agent/tickets/{ticket_id}/suggestions"): WORKERS,
    ("GET", "/v1/agent/tickets/{ticket_id}/canned/{canned_id}"): WORKERS,
    ("GET", "/v1/agent/customers/{customer_id}"): WORKERS,
    ("PATCH", "/v1/agent/customers/{customer_id}"): LEADS,
    ("PUT", "/v1/agent/customers/external/{external_id}"): LEADS,
    ("GET", "/v1/agent/canned"): WORKERS, ("POST", "/v1/agent/canned"): LEADS,
    ("PUT", "/v1/agent/canned/{canned_id}"): LEADS,
    ("DELETE", "/v1/agent/canned/{canned_id}"): LEADS,
    ("GET", "/v1/agent/offers"): WORKERS, ("POST", "/v1/agent/offers/{offer_id}/accept"): WORKERS,
    ("POST", "/v1/agent/offers/{offer_id}/decline"): WORKERS,
    ("GET", "/v1/agent/agents"): LEADS, ("POST", "/v1/agent/agents"): ADMINS,
    ("PATCH", "/v1/agent/agents/{agent_id}"): ADMINS,
    ("GET", "/v1/agent/policy"): LEADS, ("GET", "/v1/agent/overview"): LEADS,
    # insight
    ("GET", "/v1/reports/summary"): LEADS, ("GET", "/v1/reports/summary.html"): LEADS,
    ("GET", "/v1/reports/articles/{article_id}/versions"): EDITORS | LEADS,
    ("GET", "/v1/reports/flags"): EDITORS | LEADS,
    ("POST", "/v1/reports/flags/{flag_id}/done"): EDITORS,
    ("POST", "/v1/agent/tickets/{ticket_id}/flags"): WORKERS,
    ("GET", "/v1/agent/tickets/{ticket_id}/emails"): WORKERS,
    ("POST", "/v1/agent/tickets/{ticket_id}/emails/{email_id}/retry"): WORKERS,
    ("GET", "/v1/agent/tickets/{ticket_id}/attachments/{attachment_id}"): WORKERS,
    ("GET", "/v1/mail/aside"): LEADS, ("GET", "/v1/mail/aside/{email_id}/raw"): {"admin"},
    ("GET", "/v1/content/questions"): EDITORS,
    ("POST", "/v1/content/questions/{question_id}/state"): EDITORS,
    ("POST", "/v1/content/questions/apply"): EDITORS,
    ("POST", "/v1/content/questions/draft"): EDITORS,
    ("GET", "/v1/content/clusters"): EDITORS, ("GET", "/v1/content/spikes"): EDITORS | LEADS,
    ("WS", "/v1/agent/ws"): WORKERS,
    ("POST", "/internal/rasa/actions"): NOBODY,
    ("GET", "/metrics"): NOBODY,  # a scraper with the metrics token, or loopback
    # the editors' KB
    ("GET", "/v1/kb/articles"): EDITORS, ("POST", "/v1/kb/articles"): EDITORS,
    ("GET", "/v1/kb/articles/{article_id}"): EDITORS,
    ("PATCH", "/v1/kb/articles/{article_id}"): EDITORS,
    ("PUT", "/v1/kb/articles/{article_id}/translations/{language}"): EDITORS,
    **{("POST", f"/v1/kb/articles/{{article_id}}/translations/{{language}}/{action}"): EDITORS
       for action in ("publish", "archive", "rollback")},
    ("GET", "/v1/kb/articles/{article_id}/translations/{language}/versions"): EDITORS,
    ("GET", "/v1/kb/articles/{article_id}/translations/{language}/diff"): EDITORS,
    ("GET", "/v1/kb/articles/{article_id}/stats"): EDITORS, ("POST", "/v1/kb/import"): EDITORS,
    ("GET", "/v1/kb/export"): EDITORS, ("POST", "/v1/kb/preview"): EDITORS,
    ("POST", "/v1/kb/try"): EDITORS,
}  # fmt: skip

PARAMS = {
    "ticket_id": "987654", "customer_id": "987654", "canned_id": "987654", "offer_id": "987654",
    "agent_id": "987654", "article_id": "987654", "language": "en", "key": "password-reset",
    "slug": "en", "name": "purify.js", "external_id": "nobody", "question_id": "987654",
    "flag_id": "987654", "email_id": "987654", "attachment_id": "987654",
}  # fmt: skip
QUERY = {"/v1/kb/articles/{article_id}/translations/{language}/diff": "?from=1&to=2",
         "/help/{slug}/search": "?q=password"}  # fmt: skip


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method or "WS", path) of every route the app serves, included routers unfolded."""

    def walk(items: Any, prefix: str) -> Iterator[tuple[str, str]]:
        for route in items:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif type(route).__name__ == "Mount":
                continue  # /static: files, no code
            elif getattr(route, "methods", None):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path
            else:
                yield "WS", prefix + route.path

    yield from walk(app.routes, "")


World = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    staff = [(f"{name}@matrix.test", role, tier) for name, (role, tier) in STAFF_ROLES.items()]
    limits = {"sessions_per_minute": 10_000, "logins_per_minute": 10_000,
              "logins_per_address_per_minute": 10_000}  # fmt: skip
    with security_app(tmp_path_factory.mktemp("var"), staff, **limits) as (app, url):
        factory = make_session_factory(make_engine(url))
        with TestClient(app) as client:
            headers: dict[str, dict[str, str]] = {"anonymous": {}}
            session_token = client.post("/v1/widget/sessions", json={}).json()["token"]
            headers["customer"] = {"Authorization": f"Bearer {session_token}"}
            for name in STAFF_ROLES:
                who = {"email": f"{name}@matrix.test", "password": PASSWORD}
                login = client.post("/v1/agent/login", json=who)
                headers[name] = {"Authorization": f"Bearer {login.json()['access_token']}"}
            with unit_of_work(factory) as session:
                gone = agents.get_agent_by_email(session, "deactivated@matrix.test")
                assert gone is not None
                agents.update_agent(session, gone.id, active=False)
            yield client, headers


def test_every_route_has_a_rule(world: World) -> None:
    client, _ = world
    served = set(routes(client.app))  # type: ignore[arg-type]
    assert served - set(RULES) == set(), "routes without a rule: add them to RULES"
    assert set(RULES) - served == set(), "rules for routes that no longer exist"


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path) + QUERY.get(path, "")


def _denied(status: int) -> bool:
    return status in (401, 403)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_http_route_answers_each_principal_as_specified(world: World, principal: str) -> None:
    client, headers = world
    wrong = []
    ordered = sorted((r for r in RULES if r[0] != "WS"), key=lambda r: r[1] == "/v1/agent/logout")
    for method, path in ordered:
        body = None if method in ("GET", "DELETE") else {}
        response = client.request(method, _url(path), json=body, headers=headers[principal])
        if _denied(response.status_code) == (principal in RULES[method, path]):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:80]}")
        # no route breaks on a made-up id or an empty body (/readyz: no Rasa runs here)
        assert response.status_code < 500 or path == "/readyz", f"{method} {path}: {response.text}"
    assert wrong == [], f"{principal}: " + "\n".join(wrong)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("path", ["/v1/widget/ws", "/v1/agent/ws"])
def test_each_socket_opens_for_its_principals_only(world: World, principal: str, path: str) -> None:
    client, headers = world
    token = headers[principal].get("Authorization", " ").split(" ")[1]
    if principal in STAFF:  # a new login: the HTTP walk ended with this principal's logout
        who = {"email": f"{principal}@matrix.test", "password": PASSWORD}
        token = client.post("/v1/agent/login", json=who).json()["access_token"]
    allowed = principal in RULES["WS", path]
    try:
        with client.websocket_connect(path) as socket:
            socket.send_json({"type": "auth", "token": token})
            frame = socket.receive_json()
            opened = frame.get("type") != "error"
    except WebSocketDisconnect as closed:
        assert closed.code == 4401, closed.code
        opened = False
    assert opened == allowed, (principal, path)
