"""A deny rule for an IP address holds whatever form of the address the plugin writes, and
whatever name resolves to it (a wildcard grant with a deny of one address)."""

from __future__ import annotations

import time

import pytest

from zeroclaw.plugins.contract.grants import grant_capabilities
from zeroclaw.plugins.host.http import CheckedBackend, HttpError

DENIED = "93.184.215.14"


def _grants():  # type: ignore[no-untyped-def]
    return grant_capabilities(["http:*"], ["http:*"], [f"http:{DENIED}"], plugin="p")


@pytest.mark.parametrize(
    "host",
    [DENIED, "93.184.0xd7.14", "1572394766", "93.184.55054", "0x5d.0xb8.0xd7.0x0e"],
)
def test_a_denied_address_is_refused_in_every_ipv4_form(host: str) -> None:
    assert not _grants().allows_http_host(host)


@pytest.mark.parametrize("address", [DENIED, "::ffff:93.184.215.14", "2002:5db8:d70e::1"])
def test_a_name_resolving_to_a_denied_address_is_refused(address: str) -> None:
    grants = _grants()
    assert grants.allows_http_host("denied.nip.example")
    assert not grants.allows_http_address("denied.nip.example", address)
    backend = CheckedBackend(
        "p", grants, deadline=time.monotonic() + 10, resolver=lambda host, port: [address]
    )
    with pytest.raises(HttpError) as raised:
        backend.checked_addresses("denied.nip.example", 443)
    assert raised.value.case == "denied"


def test_other_addresses_stay_reachable() -> None:
    grants = _grants()
    assert grants.allows_http_host("93.184.215.15")
    assert grants.allows_http_address("api.example.com", "93.184.215.15")


def test_a_legacy_form_of_a_named_address_is_the_address() -> None:
    grants = grant_capabilities(["http:10.0.0.5"], ["http:10.0.0.5"], plugin="p")
    assert grants.allows_http_host("10.0.5")
    assert grants.allows_http_address("10.0.5", "10.0.0.5")
