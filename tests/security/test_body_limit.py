"""Every HTTP body has a ceiling (1 MB; the KB import's file 10 MB): a probe sent 10 MB to the
anonymous session endpoint and the api read it all. Declared or chunked, a body over the limit
is a 413 with a plain message, and the api keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.security.app import security_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with security_app(tmp_path_factory.mktemp("var")) as (app, _), TestClient(app) as test_client:
        yield test_client


def test_a_declared_body_over_the_limit_is_413(client: TestClient) -> None:
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/v1/widget/sessions", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "PayloadTooLarge", "detail": "the request body is larger than 1048576 bytes",
    }  # fmt: skip
    assert client.post("/v1/widget/sessions", json={}).status_code == 201


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit(client: TestClient) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        for _ in range(64):  # up to 4 MB, 64 kB at a time
            sent += 64 * 1024
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/widget/sessions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert client.post("/v1/widget/sessions", json={}).status_code == 201


def test_the_kb_import_takes_a_bigger_file(client: TestClient) -> None:
    two_mb = b"x" * (2 * 1024 * 1024)
    response = client.post("/v1/kb/import", files={"file": ("kb.yaml", two_mb)})
    assert response.status_code == 401  # past the body limit, stopped by the login check


def test_a_nonsense_length_is_refused(client: TestClient) -> None:
    response = client.post("/v1/widget/sessions", content=b"{}", headers={"Content-Length": "-1"})
    assert response.status_code in (400, 413)
