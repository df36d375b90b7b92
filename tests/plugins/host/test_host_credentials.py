"""Host-side http credentials (plugins.overrides.NAME.http_credentials) against a real server
on 127.0.0.1: added only for the named host, never after a redirect elsewhere, redacted
from what the guest gets back."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import pytest
from host_helpers import LocalServer, make_context

from zeroclaw.config.models import HttpCredential
from zeroclaw.named_env import NamedEnv
from zeroclaw.plugins.host.context import HostCredential, PluginHostContext, resolve_credentials
from zeroclaw.plugins.host.http import REDACTED, HttpClient, HttpRequest, HttpResponse

SECRET = "s3cr3t-token-value"


def context(host: str = "127.0.0.1") -> PluginHostContext:
    base = make_context("p", ["http:127.0.0.1", "http:localhost"])
    return replace(base, credentials=(HostCredential(host, "Authorization", f"Bearer {SECRET}"),))


def send(ctx: PluginHostContext, url: str, **fields: object) -> HttpResponse:
    return HttpClient(ctx).send(HttpRequest("get", url, **fields))  # type: ignore[arg-type]


def test_the_header_reaches_the_named_host_and_the_guest_sees_it_redacted(
    http_server: LocalServer,
) -> None:
    response = send(context(), http_server.url("/echo"))

    assert http_server.seen[0].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in response.body
    assert REDACTED.encode() in response.body


def test_the_plugin_cannot_replace_the_host_header(http_server: LocalServer) -> None:
    send(context(), http_server.url("/echo"), headers=[("authorization", "Bearer mine")])

    assert http_server.seen[0].headers["authorization"] == f"Bearer {SECRET}"


def test_another_host_never_gets_it(http_server: LocalServer) -> None:
    send(context(), http_server.url("/echo", host="localhost"))

    assert "authorization" not in http_server.seen[0].headers


def test_never_after_a_redirect_to_another_host_even_back(http_server: LocalServer) -> None:
    back = http_server.url("/echo")
    away = http_server.url(f"/redirect?to={quote(back, safe='')}", host="localhost")

    send(context(), http_server.url(f"/redirect?to={quote(away, safe='')}"), max_redirects=5)

    first, second, third = http_server.seen
    assert first.headers["authorization"] == f"Bearer {SECRET}"
    assert "authorization" not in second.headers
    assert "authorization" not in third.headers


def test_an_unset_variable_leaves_the_credential_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EXAMPLE_API_KEY", SECRET)
    monkeypatch.delenv("MISSING_API_KEY", raising=False)
    configured = [
        HttpCredential(host="api.example.com", secret="EXAMPLE_API_KEY", prefix="Bearer "),
        HttpCredential(host="other.example.com", secret="MISSING_API_KEY"),
    ]

    found = resolve_credentials("p", configured, NamedEnv())

    assert found == (HostCredential("api.example.com", "Authorization", f"Bearer {SECRET}"),)
    assert "MISSING_API_KEY is not set" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in repr(found)
