"""Numbers nobody's database can hold are refused with 422 before any code runs: every integer
the API accepts (path, query, body) has a maximum a 32-bit column holds. Found by a probe: ids,
``offset``, ``since`` and versions above 2^63 - 1 reached the database driver and answered 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handoff.lifecycle import Role, Tier
from tests.security.app import PASSWORD, security_app

ADMIN = "admin@bounds.test"

MAX_DB_INT = 2**31 - 1


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    staff = [(ADMIN, Role.ADMIN, Tier.L2)]
    with security_app(tmp_path_factory.mktemp("var"), staff) as (made, _):
        yield made


def _integers(schema: Any, where: str, spec: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every integer schema under ``schema`` (following $ref into components)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            yield from _integers(spec["components"]["schemas"][name], f"{where}→{name}", spec)
            return
        if schema.get("type") == "integer":
            yield where, schema
        for key in ("properties",):
            for name, sub in schema.get(key, {}).items():
                yield from _integers(sub, f"{where}.{name}", spec)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from _integers(schema[key], f"{where}[]", spec)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                yield from _integers(sub, where, spec)


def test_every_integer_the_api_accepts_has_a_bound(app: FastAPI) -> None:
    spec = app.openapi()
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            places = [
                (f"{method.upper()} {path} {p['in']}:{p['name']}", p.get("schema", {}))
                for p in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {})
            places += [
                (f"{method.upper()} {path} body", c.get("schema", {})) for c in body.values()
            ]
            for where, schema in places:
                for name, integer in _integers(schema, where, spec):
                    maximum = integer.get("maximum", integer.get("exclusiveMaximum"))
                    if maximum is None or maximum > MAX_DB_INT:
                        unbounded.append(name)
    assert unbounded == [], "\n".join(unbounded)


HUGE = str(2**63)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/v1/kb/articles/{HUGE}", None),
        ("GET", f"/v1/kb/articles?offset={HUGE}", None),
        ("PUT", "/v1/kb/articles/1/translations/en",
         {"expected_version": 2**63, "title": "t", "answer": "a", "questions": []}),
        ("POST", "/v1/kb/articles/1/translations/en/rollback", {"version": 2**64}),
        ("GET", f"/v1/agent/tickets/{HUGE}", None),
        ("GET", f"/v1/agent/tickets/{HUGE}/events", None),
    ],
)  # fmt: skip
def test_huge_numbers_are_422_not_500(
    app: FastAPI, method: str, path: str, body: dict[str, Any] | None
) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        login = client.post("/v1/agent/login", json={"email": ADMIN, "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        response = client.request(method, path, json=body, headers=bearer)
    assert response.status_code == 422, response.text  # refused before the database
    assert "Traceback" not in response.text


def test_a_validation_error_has_the_shape_the_schema_declares(app: FastAPI) -> None:
    """The OpenAPI schema promises HTTPValidationError for every 422; clients generated from
    it must be able to read ours (a probe found ``type`` missing)."""
    spec = app.openapi()
    declared = spec["paths"]["/v1/widget/sessions"]["post"]["responses"]["422"]
    ref = declared["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    envelope = spec["components"]["schemas"][ref]
    item_ref = envelope["properties"]["detail"]["items"]["$ref"].rsplit("/", 1)[-1]
    required = set(spec["components"]["schemas"][item_ref]["required"])
    with TestClient(app) as client:
        response = client.post("/v1/widget/sessions", json={"language": 5, "page_url": []})
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert problems and all(required <= set(p) for p in problems), (required, problems)
    assert all(isinstance(p["msg"], str) and isinstance(p["type"], str) for p in problems)
