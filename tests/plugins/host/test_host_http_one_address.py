"""One address, one rule: a grant naming an IP address reaches that address whatever the
plugin writes, every spelling of the address and every local name resolving to it, and
nothing else; no other name is looked up to find out. Against a real server on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any

import pytest
from host_helpers import LocalServer, make_context

from zeroclaw.plugins.contract.grants import grant_capabilities
from zeroclaw.plugins.host.context import PluginHostContext
from zeroclaw.plugins.host.http import CheckedBackend, HttpClient, HttpError, HttpRequest

LOCAL = ["http:127.0.0.1"]


def _get(context: PluginHostContext, url: str, **fields: Any) -> Any:
    return HttpClient(context).send(HttpRequest("get", url, **fields))


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.0.0.1", "[::ffff:127.0.0.1]"])
def test_every_spelling_of_a_granted_address_reaches_it(
    http_server: LocalServer, host: str
) -> None:
    response = _get(make_context("p", LOCAL), http_server.url("/ok", host=host))

    assert (response.status, response.body) == (200, b"hello")


def test_a_name_resolving_to_a_granted_address_reaches_it(http_server: LocalServer) -> None:
    response = _get(make_context("p", LOCAL), http_server.url("/ok", host="localhost"))

    assert (response.status, response.body) == (200, b"hello")
    assert http_server.seen[0].headers["host"] == f"localhost:{http_server.port}"


def test_a_name_is_connected_only_to_the_granted_addresses_it_resolves_to() -> None:
    grants = grant_capabilities(LOCAL, LOCAL, plugin="p")
    backend = CheckedBackend(
        "p", grants, time.monotonic() + 5, resolver=lambda h, p: ["::1", "127.0.0.1", "10.0.0.9"]
    )

    assert backend.checked_addresses("localhost", 80) == ["127.0.0.1"]


def test_a_name_resolving_to_no_granted_address_is_refused(http_server: LocalServer) -> None:
    grants = grant_capabilities(LOCAL, LOCAL, plugin="p")
    backend = CheckedBackend("p", grants, time.monotonic() + 5, resolver=lambda h, p: ["::1"])

    with pytest.raises(HttpError) as raised:
        backend.checked_addresses("localhost", 80)

    assert raised.value.case == "denied"
    assert "localhost" in str(raised.value.payload)


def test_a_public_name_beside_an_address_grant_is_refused_without_a_lookup() -> None:
    grants = grant_capabilities(LOCAL, LOCAL, plugin="p")
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    backend = CheckedBackend("p", grants, time.monotonic() + 5, resolver=resolver)
    with pytest.raises(HttpError) as raised:
        backend.checked_addresses("secret-data.example.org", 80)

    assert raised.value.case == "denied"
    assert looked_up == []


def test_another_address_is_refused_before_anything_is_sent(http_server: LocalServer) -> None:
    with pytest.raises(HttpError) as raised:
        _get(make_context("p", LOCAL), http_server.url("/ok", host="127.0.0.2"))

    assert raised.value.case == "denied"
    assert http_server.seen == []


def test_a_denied_address_stays_denied_under_an_address_grant() -> None:
    grants = grant_capabilities(LOCAL, LOCAL, ["http:127.0.0.1"], plugin="p")

    assert not grants.grants_address("127.0.0.1")
    assert not grants.allows_http_address("localhost", "127.0.0.1")


def test_a_host_name_grant_covers_the_name_only() -> None:
    grants = grant_capabilities(["http:localhost"], ["http:localhost"], plugin="p")

    assert grants.allows_http_host("localhost")
    assert not grants.allows_http_host("127.0.0.1")
    assert not grants.grants_address("127.0.0.1")


def test_a_wildcard_still_never_reaches_loopback_through_any_spelling() -> None:
    grants = grant_capabilities(["http:*"], ["http:*"], plugin="p")

    for host in ("127.1", "2130706433", "0x7f.0.0.1", "::ffff:127.0.0.1", "localhost"):
        assert not grants.allows_http_host(host), host
    assert not grants.allows_http_address("api.example.com", "127.0.0.1")
