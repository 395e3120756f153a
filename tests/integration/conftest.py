"""One real stack (database, Rasa, api) shared by the integration tests of a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import stack as stack_module
from tests.databases import backends, fresh_database


@pytest.fixture(scope="session", params=backends())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[stack_module.Stack]:
    var_dir = tmp_path_factory.mktemp(f"var-{request.param}")
    with fresh_database(request.param, var_dir) as url:
        settings = stack_module.prepare(var_dir, url)
        running = stack_module.start(settings)
        try:
            yield running
        finally:
            running.supervisor.stop()
