"""Schemathesis over the app's own OpenAPI schema, in-process: every documented operation is
called with generated input, valid and invalid, by each kind of caller, and every answer must be
one the schema promises — never a 5xx, a documented status code, the declared content type and
a body matching the declared schema.

Bounded and reproducible: a few examples an operation, mode and caller, no shrinking, derandomized
and without Hypothesis's example database (nothing is written into the repo). What is left out:
the WebSockets and the help centre's HTML pages are not in the OpenAPI schema, and the Rasa
actions endpoint is not either (internal token only); see docs/security.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from handoff import conversations, tickets
from handoff.lifecycle import HandoffReason, Role, Tier
from tests.security.app import PASSWORD, security_app
from tierzero.db import make_engine, make_session_factory, unit_of_work
from tierzero.hub import NullHub

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: The callers, plus two accounts the run may spoil: ``spare`` is the one admins edit through
#: ``PATCH /agents/{id}`` (role, password, active), ``leaver`` the one that logs out (logging out
#: revokes every token of the agent, which would end the shared sessions).
STAFF = {"l1": (Role.AGENT, Tier.L1), "admin": (Role.ADMIN, Tier.L2),
         "spare": (Role.AGENT, Tier.L1), "leaver": (Role.AGENT, Tier.L1)}  # fmt: skip
#: Examples an operation gets (valid, invalid) from each caller, and the paths they call: the
#: admin may call everything; an L1 agent the desk; a customer's token opens only the widget;
#: anonymous calls mostly meet the token check (with generated bearer tokens). Elsewhere a token
#: only meets its 401 or 403, which test_authorisation_matrix.py checks on every route.
PRINCIPALS: dict[str, tuple[int, int, str]] = {
    "anonymous": (2, 1, "/"),
    "customer": (5, 3, "/v1/widget/"),
    "l1": (5, 2, "/v1/agent/"),
    "admin": (5, 2, "/"),
}
#: Where more examples pay: the KB import parses whole YAML, JSON and CSV files.
MORE = {"POST /v1/kb/import": 4}
# Hypothesis's settings per operation: small, fixed, no example database
RUN = settings(
    derandomize=True, database=None, deadline=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)  # fmt: skip

World = tuple[schemathesis.BaseSchema, asgi.ASGIClient, dict[str, dict[str, str]], dict[str, int]]


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_home() -> Iterator[None]:
    """Even without an example database Hypothesis writes caches (Unicode tables, the source's
    constants) under ./.hypothesis: they go to the user's cache directory instead, never into
    the repo (kept between runs: building them again costs several seconds)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    set_hypothesis_home_dir(cache / "tierzero" / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def _login(client: asgi.ASGIClient, name: str) -> dict[str, str]:
    who = {"email": f"{name}@schemathesis.test", "password": PASSWORD}
    response = client.post("/v1/agent/login", json=who)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _seed_tickets(url: str) -> None:
    """A few queued L1 tickets, so generated ids (Hypothesis favours small ones) reach real rows
    and the ticket routes run their rules, not only their 404."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        for n in range(4):
            conversation = conversations.start_conversation(session, language="en")
            conversations.store_customer_message(
                session, conversation_id=conversation.id, client_msg_id=f"seed-{n}",
                text=f"my router is broken ({n})", max_chars=4000,
            )  # fmt: skip
            tickets.hand_off(session, NullHub(), conversation_id=conversation.id,
                             reason=HandoffReason.ASKED_FOR_PERSON)  # fmt: skip
    engine.dispose()


def _wait_for_the_kb(client: asgi.ASGIClient) -> None:
    """The index loads in the background after start; until then KB routes answer 503."""
    deadline = time.monotonic() + 60
    while client.get("/readyz").json()["checks"]["kb_index"] != "ok":
        assert time.monotonic() < deadline, "the KB index did not load"
        time.sleep(0.1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh app for each caller: what one caller's run changed never shapes another's."""
    staff = [(f"{name}@schemathesis.test", role, tier) for name, (role, tier) in STAFF.items()]
    # throttling would only turn generated calls into 429s (they are declared, not exercised)
    limits = {"sessions_per_minute": 100_000, "logins_per_minute": 100_000,
              "logins_per_address_per_minute": 100_000, "agent_actions_per_minute": 100_000,
              "help_votes_per_minute": 100_000}  # fmt: skip
    with security_app(tmp_path, staff, **limits) as (app, url):
        _seed_tickets(url)
        # the KB import takes CSV as well as YAML and JSON: a generated string is sent as is
        schemathesis.serializer.alias("text/csv", "text/plain")
        try:
            # an explicit (default) config: no schemathesis.toml found on the way changes the run
            schema = schemathesis.openapi.from_asgi(
                "/openapi.json", app, config=schemathesis.Config()
            )
            with asgi.get_client(app) as client:
                _wait_for_the_kb(client)
                headers: dict[str, dict[str, str]] = {"anonymous": {}}
                token = client.post("/v1/widget/sessions", json={}).json()["token"]
                headers["customer"] = {"Authorization": f"Bearer {token}"}
                for name in ("l1", "admin"):  # the spare and the leaver need no token up front
                    headers[name] = _login(client, name)
                listed = client.get("/v1/agent/agents", headers=headers["admin"]).json()
                ids = {agent["email"].split("@")[0]: agent["id"] for agent in listed}
                yield schema, client, headers, ids
        finally:
            # the app's background tasks stop with its lifespan (schemathesis's pytest plugin
            # also ends every lifespan after each test, so one app cannot serve several tests)
            asgi.shutdown_lifespans()


def _fixed(operation: schemathesis.APIOperation, ids: dict[str, int]) -> dict[str, Any]:
    """Parameters the run must not generate: an admin's PATCH edits only the spare account."""
    if operation.method.upper() == "PATCH" and operation.path == "/v1/agent/agents/{agent_id}":
        return {"path_parameters": {"agent_id": ids["spare"]}}
    return {}


def _checks(operation: schemathesis.APIOperation) -> list[schemathesis.CheckFunction]:
    if operation.path == "/readyz":  # no Rasa runs here: its declared 503 is the right answer
        return [check for check in CHECKS if check is not not_a_server_error]
    return CHECKS


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_operation_answers_as_documented(world: World, principal: str) -> None:
    schema, client, headers, ids = world
    positive, negative, paths = PRINCIPALS[principal]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(paths):
            continue
        for mode, examples in ((GenerationMode.POSITIVE, positive),
                               (GenerationMode.NEGATIVE, negative)):  # fmt: skip
            strategy = operation.as_strategy(generation_mode=mode, **_fixed(operation, ids))

            @given(case=strategy)
            @settings(RUN, max_examples=examples * MORE.get(operation.label, 1))
            def run(case: schemathesis.Case) -> None:
                auth = headers[principal]
                if case.operation.path == "/v1/agent/logout" and principal in STAFF:
                    auth = _login(client, "leaver")
                try:  # redirects are answers to check, not to follow
                    response = case.call(session=client, headers=auth, allow_redirects=False)
                except Exception as exc:  # the app raised: a 500 behind a server
                    raise AssertionError(f"{exc!r} on {case.as_curl_command()}") from exc
                case.validate_response(response, checks=_checks(case.operation))

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body): the positive run covers it
            except (Exception, FailureGroup) as exc:  # collected and reported together below
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert failures == [], f"{len(failures)} failures\n\n" + "\n\n".join(failures)
