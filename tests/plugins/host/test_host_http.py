"""zeroclaw:host/http against a real server on 127.0.0.1: grants, DNS, redirects, caps, time."""

from __future__ import annotations

import gzip
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from host_helpers import LocalServer, instantiate, make_context
from wasmtime.component import Record, Variant

from zeroclaw.plugins.host import http as host_http
from zeroclaw.plugins.host.context import HostServices, PluginHostContext
from zeroclaw.plugins.host.http import (
    MAX_REDIRECTS,
    MAX_RESPONSE_BYTES,
    CheckedBackend,
    HttpClient,
    HttpError,
    HttpRequest,
    HttpResponse,
)
from zeroclaw.plugins.wasm.engine import PluginEngine

LOCAL = ["http:127.0.0.1"]


def send(context: PluginHostContext, url: str, **fields: Any) -> HttpResponse:
    return HttpClient(context).send(HttpRequest(fields.pop("method", "get"), url, **fields))


def refused(context: PluginHostContext, url: str, **fields: Any) -> HttpError:
    with pytest.raises(HttpError) as failure:
        send(context, url, **fields)
    return failure.value


def header(response: HttpResponse, name: str) -> str | None:
    return next((v for n, v in response.headers if n.lower() == name), None)


# -- allowed and refused hosts --------------------------------------------------------------


def test_a_host_named_exactly_is_reached(http_server: LocalServer) -> None:
    response = send(make_context("p", LOCAL), http_server.url("/ok"))

    assert (response.status, response.body) == (200, b"hello")
    assert header(response, "x-served-by") == "local"
    assert http_server.seen[0].headers["host"] == f"127.0.0.1:{http_server.port}"


def test_a_wildcard_never_reaches_loopback(http_server: LocalServer) -> None:
    error = refused(make_context("p", ["http:*"]), http_server.url("/ok"))

    assert error.case == "denied"
    assert "127.0.0.1" in error.payload
    assert "wildcard" in error.payload
    assert http_server.seen == []


def test_a_host_not_granted_is_refused(http_server: LocalServer) -> None:
    error = refused(make_context("p", ["http:api.example.com"]), http_server.url("/ok"))

    assert error.case == "denied"
    assert '"http:127.0.0.1"' in error.payload
    assert http_server.seen == []


def test_without_any_http_grant_nothing_is_sent(http_server: LocalServer) -> None:
    error = refused(make_context("p", ["log"]), http_server.url("/ok"))

    assert error.case == "denied"
    assert http_server.seen == []


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "file:///etc/passwd", "/relative", "http://", "not a url"],
)
def test_only_absolute_http_urls(url: str) -> None:
    assert refused(make_context("p", LOCAL), url).case == "invalid-request"


def test_bad_headers_are_invalid_and_host_set_headers_are_ignored(
    http_server: LocalServer,
) -> None:
    context = make_context("p", LOCAL)
    for bad in [("bad name", "v"), ("x-split", "a\r\nx-injected: 1"), ("x-uni", "☃")]:
        assert refused(context, http_server.url("/ok"), headers=[bad]).case == "invalid-request"

    send(
        context,
        http_server.url("/echo"),
        headers=[("Host", "evil.example"), ("x-kept", "1"), ("Transfer-Encoding", "chunked")],
    )
    seen = http_server.seen[-1].headers
    assert seen["host"] == f"127.0.0.1:{http_server.port}"
    assert seen["x-kept"] == "1"
    assert "transfer-encoding" not in seen


def test_post_sends_the_body(http_server: LocalServer) -> None:
    send(make_context("p", LOCAL), http_server.url("/ok"), method="post", body=b"payload")

    assert (http_server.seen[0].method, http_server.seen[0].body) == ("POST", b"payload")


# -- DNS: every address is checked, and the checked address is the one connected to ---------


def test_a_name_resolving_to_a_private_address_is_refused_under_a_wildcard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(host_http, "resolve_addresses", lambda host, port: ["10.0.0.5"])

    error = refused(make_context("p", ["http:*"]), "http://innocent.example.com/")

    assert error.case == "denied"
    assert "10.0.0.5" in error.payload


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    addresses = ["93.184.215.14", "169.254.169.254"]
    monkeypatch.setattr(host_http, "resolve_addresses", lambda host, port: addresses)

    error = refused(make_context("p", ["http:*.example.com"]), "http://api.example.com/")

    assert error.case == "denied"
    assert "169.254.169.254" in error.payload


def test_a_public_name_rebinding_to_loopback_is_refused_even_when_named(
    monkeypatch: pytest.MonkeyPatch, http_server: LocalServer
) -> None:
    monkeypatch.setattr(host_http, "resolve_addresses", lambda host, port: ["127.0.0.1"])

    error = refused(make_context("p", ["http:api.example.com"]), "http://api.example.com/ok")

    assert error.case == "denied"
    assert "DNS rebinding" in error.payload
    assert http_server.seen == []


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
    monkeypatch: pytest.MonkeyPatch, http_server: LocalServer
) -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    real_getaddrinfo = socket.getaddrinfo

    def no_name_lookups(host: Any, *args: Any, **kwargs: Any) -> Any:
        # Anything but our resolver looking the name up again would be a second answer.
        assert host != "svc.internal", "the name was resolved a second time"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(host_http, "resolve_addresses", resolver)
    monkeypatch.setattr(socket, "getaddrinfo", no_name_lookups)

    response = send(
        make_context("p", ["http:svc.internal"]), f"http://svc.internal:{http_server.port}/ok"
    )

    assert response.body == b"hello"
    assert lookups == ["svc.internal"]
    assert http_server.seen[0].headers["host"] == f"svc.internal:{http_server.port}"


def test_checked_addresses_are_tried_in_turn(http_server: LocalServer) -> None:
    context = make_context("p", ["http:localhost"])
    backend = CheckedBackend(
        "p", context.grants, time.monotonic() + 5, resolver=lambda h, p: ["::1", "127.0.0.1"]
    )
    stream = backend.connect_tcp("localhost", http_server.port)  # ::1 has no listener here
    stream.close()

    assert backend.checked_addresses("localhost", http_server.port) == ["::1", "127.0.0.1"]


def test_a_failed_lookup_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(host_http, "resolve_addresses", resolver)

    error = refused(make_context("p", ["http:*"]), "http://nowhere.example.com/")
    assert error.case == "connection"
    assert "DNS lookup of nowhere.example.com failed" in error.payload


def test_a_slow_lookup_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["93.184.215.14"]

    monkeypatch.setattr(host_http, "resolve_addresses", slow)
    started = time.monotonic()

    error = refused(make_context("p", ["http:*"]), "http://slow.example.com/", timeout_ms=300)

    assert error.case == "timeout"
    assert time.monotonic() - started < 1.5


def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    error = refused(make_context("p", LOCAL), f"http://127.0.0.1:{port}/")

    assert error.case == "connection"
    assert "cannot connect" in error.payload


# -- redirects ------------------------------------------------------------------------------


def test_redirects_are_followed_and_checked_per_hop(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL)
    target = http_server.url("/ok")

    response = send(context, http_server.url(f"/redirect?to={target}"), max_redirects=1)

    assert (response.status, response.body) == (200, b"hello")
    assert [s.path for s in http_server.seen] == [f"/redirect?to={target}", "/ok"]


def test_max_redirects_zero_returns_the_3xx(http_server: LocalServer) -> None:
    response = send(make_context("p", LOCAL), http_server.url("/loop/0"))

    assert response.status == 302
    assert header(response, "location") == "/loop/1"


def test_a_redirect_to_a_host_not_granted_is_refused(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL)
    elsewhere = http_server.url("/ok", host="127.0.0.2")

    error = refused(context, http_server.url(f"/redirect?to={elsewhere}"), max_redirects=5)

    assert error.case == "denied"
    assert "127.0.0.2" in error.payload
    assert len(http_server.seen) == 1


def test_a_redirect_to_a_metadata_address_is_refused_under_a_wildcard(
    http_server: LocalServer,
) -> None:
    context = make_context("p", ["http:127.0.0.1", "http:*"])
    metadata = "http://169.254.169.254/latest/meta-data/"

    error = refused(context, http_server.url(f"/redirect?to={metadata}"), max_redirects=5)

    assert error.case == "denied"
    assert "169.254.169.254" in error.payload


def test_a_redirect_to_another_scheme_is_invalid(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL)
    error = refused(context, http_server.url("/redirect?to=file:///etc/passwd"), max_redirects=5)

    assert error.case == "invalid-request"


def test_too_many_redirects(http_server: LocalServer) -> None:
    error = refused(make_context("p", LOCAL), http_server.url("/loop/0"), max_redirects=3)

    assert error.case == "too-many-redirects"
    assert "max-redirects" in error.payload
    assert len(http_server.seen) == 4  # the request and three redirects


def test_the_host_caps_max_redirects(http_server: LocalServer) -> None:
    error = refused(make_context("p", LOCAL), http_server.url("/loop/0"), max_redirects=255)

    assert error.case == "too-many-redirects"
    assert f"at most {MAX_REDIRECTS}" in error.payload
    assert len(http_server.seen) == MAX_REDIRECTS + 1


def test_credentials_are_dropped_on_a_cross_host_redirect(http_server: LocalServer) -> None:
    context = make_context("p", ["http:127.0.0.1", "http:localhost"])
    secrets = [("Authorization", "Bearer s3cret"), ("Cookie", "session=1"), ("X-Trace", "t")]
    other = http_server.url("/echo", host="localhost")

    send(context, http_server.url(f"/redirect?to={other}"), headers=secrets, max_redirects=1)

    first, second = http_server.seen
    assert first.headers["authorization"] == "Bearer s3cret"
    assert "authorization" not in second.headers
    assert "cookie" not in second.headers
    assert second.headers["x-trace"] == "t"


def test_credentials_stay_on_a_same_origin_redirect(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL)

    send(
        context,
        http_server.url("/redirect?to=/echo"),
        headers=[("Authorization", "Bearer s3cret")],
        max_redirects=1,
    )

    assert http_server.seen[1].headers["authorization"] == "Bearer s3cret"


def test_303_after_post_continues_as_get_without_the_body(http_server: LocalServer) -> None:
    send(
        make_context("p", LOCAL),
        http_server.url("/redirect?status=303&to=/ok"),
        method="post",
        body=b"form",
        headers=[("Content-Type", "text/plain")],
        max_redirects=1,
    )

    follow = http_server.seen[1]
    assert (follow.method, follow.body) == ("GET", b"")
    assert "content-type" not in follow.headers


def test_307_keeps_the_method_and_body(http_server: LocalServer) -> None:
    send(
        make_context("p", LOCAL),
        http_server.url("/redirect?status=307&to=/ok"),
        method="put",
        body=b"data",
        max_redirects=1,
    )

    assert (http_server.seen[1].method, http_server.seen[1].body) == ("PUT", b"data")


# -- size and time --------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_by_its_length(http_server: LocalServer) -> None:
    client = HttpClient(make_context("p", LOCAL), max_body_bytes=1000)

    ok = client.send(HttpRequest("get", http_server.url("/big?n=1000")))
    with pytest.raises(HttpError) as too_large:
        client.send(HttpRequest("get", http_server.url("/big?n=1001")))

    assert len(ok.body) == 1000
    assert too_large.value.case == "response-too-large"
    assert "1000 bytes" in too_large.value.payload


def test_head_of_a_large_resource_is_not_too_large(http_server: LocalServer) -> None:
    client = HttpClient(make_context("p", LOCAL), max_body_bytes=1000)

    response = client.send(HttpRequest("head", http_server.url("/big?n=5000")))

    assert (response.status, response.body) == (200, b"")
    assert header(response, "content-length") == "5000"


def test_a_body_without_a_length_is_cut_at_the_cap(http_server: LocalServer) -> None:
    client = HttpClient(make_context("p", LOCAL), max_body_bytes=100_000)
    started = time.monotonic()

    with pytest.raises(HttpError) as too_large:
        client.send(HttpRequest("get", http_server.url("/stream?n=50000000")))

    assert too_large.value.case == "response-too-large"
    assert time.monotonic() - started < 5  # it stopped reading, not 50 MB later


def test_the_body_is_not_decompressed_and_identity_is_asked_for(
    http_server: LocalServer,
) -> None:
    response = send(make_context("p", LOCAL), http_server.url("/gzip"))

    assert http_server.seen[0].headers["accept-encoding"] == "identity"
    assert header(response, "content-encoding") == "gzip"
    assert gzip.decompress(response.body) == b"z" * 10_000


def test_a_dripping_response_is_stopped_at_the_call_deadline(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL, timeout_s=0.5)
    started = time.monotonic()

    error = refused(context, http_server.url("/drip"))

    elapsed = time.monotonic() - started
    assert error.case == "timeout"
    assert 0.4 < elapsed < 0.9


def test_timeout_ms_shortens_but_never_extends_the_deadline(http_server: LocalServer) -> None:
    started = time.monotonic()
    assert refused(make_context("p", LOCAL), http_server.url("/drip"), timeout_ms=300).case == (
        "timeout"
    )
    assert time.monotonic() - started < 0.7

    started = time.monotonic()
    context = make_context("p", LOCAL, timeout_s=0.3)
    assert refused(context, http_server.url("/drip"), timeout_ms=60_000).case == "timeout"
    assert time.monotonic() - started < 0.7


def test_a_call_already_past_its_deadline_sends_nothing(http_server: LocalServer) -> None:
    context = make_context("p", LOCAL, timeout_s=-1)

    assert refused(context, http_server.url("/ok")).case == "timeout"
    assert http_server.seen == []


# -- through a real component -------------------------------------------------------------


def wit_request(url: str, *, max_redirects: int = 0, timeout_ms: int | None = None) -> Record:
    def header_record(name: str, value: str) -> Record:
        record = Record()
        record.name, record.value = name, value
        return record

    request = Record()
    request.method = "get"
    request.url = url
    request.headers = [header_record("x-probe", "1")]
    request.body = None
    setattr(request, "timeout-ms", timeout_ms)
    setattr(request, "max-redirects", max_redirects)
    return request


def http_probe(
    engine: PluginEngine, probes: dict[str, Path], context: PluginHostContext, tmp_path: Path
) -> Any:
    return instantiate(engine, probes["http_probe"], context, HostServices(tmp_path, None))


def test_a_component_fetches_from_a_named_local_host(
    plugin_engine: PluginEngine, probes: dict[str, Path], http_server: LocalServer, tmp_path: Path
) -> None:
    probe = http_probe(plugin_engine, probes, make_context("p", LOCAL), tmp_path)

    response = probe.call("send", wit_request(http_server.url("/redirect?to=/ok"), max_redirects=2))

    assert response.status == 200
    assert response.body == b"hello"
    assert ("x-served-by", "local") in [(h.name.lower(), h.value) for h in response.headers]
    assert http_server.seen[0].headers["x-probe"] == "1"


def test_a_component_gets_the_wit_error_for_a_wildcard_to_loopback(
    plugin_engine: PluginEngine, probes: dict[str, Path], http_server: LocalServer, tmp_path: Path
) -> None:
    probe = http_probe(plugin_engine, probes, make_context("p", ["http:*"]), tmp_path)

    answer = probe.call("send", wit_request(http_server.url("/ok")))

    assert isinstance(answer, Variant)
    assert answer.tag == "denied"
    assert http_server.seen == []
    # The instance is still alive: the refusal was a value, not a trap.
    assert probe.call("send", wit_request("gopher://x/")).tag == "invalid-request"


def test_a_component_gets_a_whole_body_up_to_the_cap_and_an_error_past_it(
    plugin_engine: PluginEngine, probes: dict[str, Path], http_server: LocalServer, tmp_path: Path
) -> None:
    probe = http_probe(plugin_engine, probes, make_context("p", LOCAL), tmp_path)

    whole = probe.call("send", wit_request(http_server.url(f"/big?n={MAX_RESPONSE_BYTES}")))
    too_large = probe.call("send", wit_request(http_server.url(f"/big?n={MAX_RESPONSE_BYTES + 1}")))

    assert whole.body == b"x" * MAX_RESPONSE_BYTES
    assert too_large.tag == "response-too-large"
    assert str(MAX_RESPONSE_BYTES) in too_large.payload


def test_a_component_call_with_a_dripping_server_ends_at_its_deadline(
    plugin_engine: PluginEngine, probes: dict[str, Path], http_server: LocalServer, tmp_path: Path
) -> None:
    probe = http_probe(plugin_engine, probes, make_context("p", LOCAL, timeout_s=0.5), tmp_path)
    started = time.monotonic()

    answer = probe.call("send", wit_request(http_server.url("/drip")))

    assert answer.tag == "timeout"
    assert time.monotonic() - started < 0.9
