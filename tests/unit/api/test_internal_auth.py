"""Who may call the action endpoint: the local Rasa server with the service token, nobody else."""

import pytest

from api.routes.internal import authorise, is_loopback
from tierzero.errors import Forbidden

TOKEN = "internal-service-token"
GOOD = {"authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_loopback_peers_with_the_token_are_allowed(host: str) -> None:
    assert is_loopback(host)
    authorise(host, GOOD, TOKEN)


@pytest.mark.parametrize(
    "host", ["10.0.0.7", "192.168.1.2", "::ffff:10.0.0.1", "localhost", "", None]
)
def test_other_peers_are_refused_even_with_the_token(host: str | None) -> None:
    with pytest.raises(Forbidden, match="loopback"):
        authorise(host, GOOD, TOKEN)


@pytest.mark.parametrize("header", ["x-forwarded-for", "forwarded", "x-real-ip"])
def test_proxied_requests_are_refused(header: str) -> None:
    with pytest.raises(Forbidden, match="loopback"):
        authorise("127.0.0.1", {**GOOD, header: "203.0.113.9"}, TOKEN)


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN + "x"}]
)
def test_wrong_or_missing_token_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(Forbidden, match="token"):
        authorise("127.0.0.1", headers, TOKEN)


def test_an_empty_configured_token_refuses_everyone() -> None:
    with pytest.raises(Forbidden):
        authorise("127.0.0.1", {"authorization": "Bearer "}, "")
