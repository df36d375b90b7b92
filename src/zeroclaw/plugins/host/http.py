"""`zeroclaw:host/http`: outbound HTTP for plugins, checked at every step.

A request goes out only when its URL is http(s) and its host passes
`Grants.allows_http_host`. The connection is made by `CheckedBackend`, an httpcore
network backend that resolves the host itself (`resolve_addresses`, the one DNS lookup of
the connection), checks every address with `Grants.allows_http_address` (a wildcard grant
never reaches loopback, private, link-local or metadata addresses; a public name resolving
to one is DNS rebinding and is refused), and then connects to one of the addresses it
checked, by IP: nothing resolves the name a second time. TLS still verifies, and SNI and
the Host header still carry, the host name.

Redirects are followed here, not by httpx: each hop's URL and addresses are checked like
the first request's, credentials (Authorization, Cookie, Proxy-Authorization) are dropped
when the origin changes, and at most `max-redirects` hops (never more than
`MAX_REDIRECTS`) are followed.

Time: one deadline covers the whole exchange, DNS and redirects included: the plugin
call's own deadline (`PluginHostContext.deadline`), shortened by the request's
`timeout-ms` and by `DEFAULT_TIMEOUT_S`. Every socket operation gets at most the time left
(`DeadlineStream`), so a server dripping a byte at a time is cut off at the deadline.

Host-side credentials (`plugins.overrides.NAME.http_credentials`): the host adds each
credential's header to a hop whose host is exactly the credential's host, and only while
the chain has not left that host: after a redirect to another host it is never added
again, even on a redirect back. The plugin's own header of that name is replaced, so it
cannot choose where the value goes. Every occurrence of the value in what the guest gets
back (response headers and body, an echo of the request) is replaced by `[REDACTED]`, and
the value is never logged.

Size: a body over `MAX_RESPONSE_BYTES` ends the request with `response-too-large`; reading
stops at the cap. Bodies are returned as sent: the host asks for `identity` encoding
unless the plugin sets accept-encoding itself, and never decompresses (no zip bombs).
"""

from __future__ import annotations

import concurrent.futures
import functools
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from zeroclaw.plugins.contract.addresses import is_internal_host, is_local_name
from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.contract.grants import ALLOW_KEY, Grants
from zeroclaw.plugins.host.context import (
    HostCredential,
    HostServices,
    PluginHostContext,
    host_function,
)
from zeroclaw.plugins.host.wit_values import HostCallError, wit_record

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance

_log = logging.getLogger(__name__)

# Kept small because wasmtime-py hands a list<u8> to the guest one byte at a time, about
# 1-2 us a byte (1 MiB: ~2 s, longer than the default call timeout); raise it when host
# functions get a bulk conversion.
MAX_RESPONSE_BYTES = 256 * 1024
MAX_REDIRECTS = 10
DEFAULT_TIMEOUT_S = 30.0
MAX_URL_CHARS = 8192
MAX_REQUEST_HEADERS = 100

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
_SET_BY_HOST = frozenset({"host", "content-length", "transfer-encoding"})
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")

Resolver = Callable[[str, int], list[str]]


class HttpError(HostCallError):
    """A case of the WIT `http-error` variant."""

    @classmethod
    def denied(cls, why: str) -> HttpError:
        return cls("denied", why)

    @classmethod
    def invalid(cls, why: str) -> HttpError:
        return cls("invalid-request", why)

    @classmethod
    def timeout(cls, why: str) -> HttpError:
        return cls("timeout", why)

    @classmethod
    def connection(cls, why: str) -> HttpError:
        return cls("connection", why)


@dataclass(frozen=True)
class HttpRequest:
    """The WIT `request`."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    timeout_ms: int | None = None
    max_redirects: int = 0

    @classmethod
    def from_wit(cls, record: Any) -> HttpRequest:
        return cls(
            method=record.method,
            url=record.url,
            headers=[(h.name, h.value) for h in record.headers],
            body=record.body,
            timeout_ms=getattr(record, "timeout-ms"),
            max_redirects=getattr(record, "max-redirects"),
        )


@dataclass(frozen=True)
class HttpResponse:
    """The WIT `response`."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def wit_value(self) -> Any:
        return wit_record(
            {
                "status": self.status,
                "headers": [wit_record({"name": n, "value": v}) for n, v in self.headers],
                "body": self.body,
            }
        )


# -- DNS --------------------------------------------------------------------------------------


@functools.cache
def _dns_pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(4, "zeroclaw-plugin-dns")


def resolve_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve_before(host: str, port: int, deadline: float, resolver: Resolver) -> list[str]:
    """`resolver(host, port)`, given up at `deadline` (getaddrinfo has no timeout of its
    own: it runs on a small pool, and a lookup that outlives the deadline is abandoned)."""
    lookup = _dns_pool().submit(resolver, host, port)
    try:
        return lookup.result(timeout=max(0.0, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        raise httpcore.ConnectTimeout(f"DNS lookup of {host} did not finish in time") from None
    except OSError as exc:
        raise HttpError.connection(f"DNS lookup of {host} failed: {exc}") from exc


# -- the connection -------------------------------------------------------------------------


def _time_left(
    deadline: float, timeout: float | None, expired: type[httpcore.TimeoutException]
) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A stream whose every read, write and TLS handshake ends by `deadline`."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        left = _time_left(self._deadline, timeout, httpcore.ReadTimeout)
        return self._inner.read(max_bytes, left)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        left = _time_left(self._deadline, timeout, httpcore.WriteTimeout)
        self._inner.write(buffer, left)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class CheckedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the plugin's grants allow, by the address checked.

    httpcore calls `connect_tcp` with the URL's host; this resolves it once, refuses the
    connection if any address is not allowed, and connects to the checked addresses (the
    first that answers). `resolver` defaults to `resolve_addresses`, looked up per call.
    """

    def __init__(
        self, plugin: str, grants: Grants, deadline: float, resolver: Resolver | None = None
    ) -> None:
        self._plugin = plugin
        self._grants = grants
        self._deadline = deadline
        self._resolver = resolver
        self._sockets = httpcore.SyncBackend()

    def checked_addresses(self, host: str, port: int) -> list[str]:
        check_host(self._plugin, self._grants, host)
        if _ip_literal(host):
            addresses = [host]
        else:
            resolver = self._resolver or resolve_addresses
            addresses = _resolve_before(host, port, self._deadline, resolver)
        if not addresses:
            raise HttpError.connection(f"DNS lookup of {host} found no address")
        if not self._grants.allows_http_host(host):
            # A name reachable only as a spelling of granted addresses: those, and no other.
            granted = [a for a in addresses if self._grants.grants_address(a)]
            if not granted:
                raise HttpError.denied(_not_granted(self._plugin, host))
            return granted
        for address in addresses:
            if not self._grants.allows_http_address(host, address):
                raise HttpError.denied(_address_refusal(self._plugin, host, address))
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in self.checked_addresses(host, port):
            left = _time_left(self._deadline, timeout, httpcore.ConnectTimeout)
            try:
                stream = self._sockets.connect_tcp(
                    address, port, timeout=left, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return DeadlineStream(stream, self._deadline)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise HttpError.denied("plugins cannot connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self._deadline - time.monotonic())))


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class CheckedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that connects through `CheckedBackend`."""

    def __init__(self, backend: CheckedBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=backend, retries=0
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        core_response = self._pool.handle_request(core_request)
        assert isinstance(core_response.stream, Iterable)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context for every plugin request (loading CA certificates is slow)."""
    return httpx.create_ssl_context()


# -- checks ---------------------------------------------------------------------------------


def check_host(plugin: str, grants: Grants, host: str) -> None:
    """Refuse a URL host before anything is resolved or sent, unless the grants allow it or
    it is a name that may resolve to a granted address (`checked_addresses` decides)."""
    if grants.allows_http_host(host) or _spells_a_granted_address(grants, host):
        return
    raise HttpError.denied(_not_granted(plugin, host))


def _spells_a_granted_address(grants: Grants, host: str) -> bool:
    """Whether `host` may lead to an address a grant names: a local name (`localhost`),
    looked up on this machine only. Any other name not granted is refused before it is
    looked up: a lookup would carry whatever the plugin put in the name to a DNS server."""
    return grants.has_address_grants and is_local_name(host)


def _not_granted(plugin: str, host: str) -> str:
    if is_internal_host(host):
        return (
            f"{host} is a loopback, private, link-local or metadata host, which plugin "
            f'{plugin!r} may reach only if "http:{host}" (or the address it resolves to) is '
            f"allowed by name in {ALLOW_KEY} (a wildcard never reaches it)"
        )
    return (
        f'plugin {plugin!r} may not reach {host}: it needs the capability "http:{host}" '
        f"(in plugin.toml and in {ALLOW_KEY})"
    )


def _address_refusal(plugin: str, host: str, address: str) -> str:
    if is_internal_host(host):
        return (
            f"{host} resolves to {address}, an internal address, which plugin {plugin!r} may "
            f'reach only if "http:{host}" is allowed by name in {ALLOW_KEY}'
        )
    return (
        f"{host} resolves to {address}, a loopback, private, link-local or metadata address: "
        f"refused for plugin {plugin!r} (a public name pointing inside is DNS rebinding; "
        "allow the internal name or address itself instead)"
    )


def parse_url(url: str) -> httpx.URL:
    if len(url) > MAX_URL_CHARS:
        raise HttpError.invalid(f"the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise HttpError.invalid(f"{url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise HttpError.invalid(
            f"{url!r}: only absolute http:// and https:// URLs are allowed"
            + (f", not {parsed.scheme}:" if parsed.scheme else "")
        )
    if not parsed.raw_host:
        raise HttpError.invalid(f"{url!r} has no host")
    return parsed


def request_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The plugin's headers, validated, without those the host sets itself."""
    kept = []
    for count, (name, value) in enumerate(headers, start=1):
        if count > MAX_REQUEST_HEADERS:
            raise HttpError.invalid(f"more than {MAX_REQUEST_HEADERS} headers")
        if not _TOKEN.fullmatch(name):
            raise HttpError.invalid(f"{name!r} is not a valid header name")
        if _BAD_VALUE.search(value) or not _latin1(value):
            raise HttpError.invalid(
                f"the value of header {name!r} contains CR, LF, NUL or characters outside Latin-1"
            )
        if name.lower() not in _SET_BY_HOST:
            kept.append((name, value))
    return kept


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# -- the exchange ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    """One request of a redirect chain."""

    method: str
    url: httpx.URL
    headers: list[tuple[str, str]]
    body: bytes | None

    def build(
        self, client: httpx.Client, credentials: Iterable[HostCredential] = ()
    ) -> httpx.Request:
        headers = self.headers
        added = [(c.name, c.value) for c in credentials if c.host == _host(self.url)]
        if added:
            replaced = {name.lower() for name, _ in added}
            headers = [(n, v) for n, v in headers if n.lower() not in replaced] + added
        return client.build_request(self.method, self.url, headers=headers, content=self.body)

    def redirected(self, status: int, target: httpx.URL) -> _Hop:
        """The next request, as browsers and httpx make it."""
        method, body, headers = self.method, self.body, self.headers
        # 303 always, and 301/302 after a POST, continue as a GET without the body.
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, body = "GET", None
            headers = [(n, v) for n, v in headers if n.lower() not in _BODY_HEADERS]
        if _origin(target) != _origin(self.url):
            headers = [(n, v) for n, v in headers if n.lower() not in _CREDENTIALS]
        return _Hop(method, target, headers, body)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, _host(url), url.port


def _host(url: httpx.URL) -> str:
    """The host as it goes on the wire: IDNA names in punycode, IPv6 without brackets."""
    return url.raw_host.decode("ascii")


class HttpClient:
    """The http interface of one plugin."""

    def __init__(
        self,
        context: PluginHostContext,
        *,
        resolver: Resolver | None = None,
        max_body_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._context = context
        self._resolver = resolver
        self.max_body_bytes = max_body_bytes

    def send(self, request: HttpRequest) -> HttpResponse:
        context = self._context
        if not context.grants.has(CapabilityKind.HTTP):
            raise HttpError.denied(
                f'plugin {context.plugin!r} was not granted any "http:HOST" capability'
            )
        if request.method not in METHODS:
            raise HttpError.invalid(f"unknown method {request.method!r}")
        first = _Hop(
            request.method.upper(),
            parse_url(request.url),
            request_headers(request.headers),
            request.body,
        )
        deadline, budget = self._deadline(request.timeout_ms)
        backend = CheckedBackend(context.plugin, context.grants, deadline, self._resolver)
        try:
            with httpx.Client(
                transport=CheckedTransport(backend),
                follow_redirects=False,
                trust_env=False,
                timeout=max(0.001, deadline - time.monotonic()),
                headers={"accept-encoding": "identity", "user-agent": "zeroclaw-plugin"},
            ) as client:
                return self._exchange(client, first, request.max_redirects)
        except httpcore.TimeoutException:
            raise HttpError.timeout(
                f"{request.url}: no complete response within {budget * 1000:.0f} ms"
            ) from None
        except (httpcore.LocalProtocolError, httpx.InvalidURL, UnicodeError) as exc:
            raise HttpError.invalid(f"{request.url}: {exc}") from None
        except httpcore.ConnectError as exc:
            raise HttpError.connection(_connect_failure(request.url, exc)) from None
        except (httpcore.NetworkError, httpcore.RemoteProtocolError) as exc:
            raise HttpError.connection(
                f"{request.url}: the connection failed: {type(exc).__name__}: {exc}"
            ) from None

    def _deadline(self, timeout_ms: int | None) -> tuple[float, float]:
        """The request's deadline (monotonic) and the time it had when it started."""
        now = time.monotonic()
        deadline = min(self._context.deadline(), now + DEFAULT_TIMEOUT_S)
        if timeout_ms is not None:
            deadline = min(deadline, now + timeout_ms / 1000)
        return deadline, max(0.0, deadline - now)

    def _exchange(self, client: httpx.Client, hop: _Hop, max_redirects: int) -> HttpResponse:
        allowed = min(max_redirects, MAX_REDIRECTS)
        followed = 0
        # Credentials stay on while the chain stays on their host (see the docstring).
        credentials = [c for c in self._context.credentials if c.host == _host(hop.url)]
        while True:
            check_host(self._context.plugin, self._context.grants, _host(hop.url))
            credentials = [c for c in credentials if c.host == _host(hop.url)]
            response = client.send(hop.build(client, credentials), stream=True)
            try:
                if max_redirects == 0 or not response.is_redirect:
                    return _redacted(self._read(response), self._context.credentials)
                if followed == allowed:
                    raise HttpError(
                        "too-many-redirects",
                        f"{hop.url} redirects again after {followed} redirect(s); "
                        + (
                            f"the request allows {max_redirects} (max-redirects)"
                            if allowed == max_redirects
                            else f"the host allows at most {MAX_REDIRECTS}"
                        ),
                    )
                location = response.headers["location"]
                try:
                    target = hop.url.join(location)
                except (httpx.InvalidURL, ValueError) as exc:
                    raise HttpError.invalid(
                        f"{hop.url} redirects to {location!r}, which is not a valid URL: {exc}"
                    ) from None
            finally:
                response.close()
            if target.scheme not in ("http", "https"):
                raise HttpError.invalid(
                    f"{hop.url} redirects to {target}: only http and https are allowed"
                )
            hop = hop.redirected(response.status_code, target)
            followed += 1

    def _read(self, response: httpx.Response) -> HttpResponse:
        cap = self.max_body_bytes
        too_large = HttpError(
            "response-too-large",
            f"{response.request.url}: the response body is larger than the host's cap of "
            f"{cap} bytes",
        )
        # A HEAD response declares the length of a body it does not send.
        declared = response.headers.get("content-length", "")
        if response.request.method != "HEAD" and declared.isdigit() and int(declared) > cap:
            raise too_large
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > cap:
                raise too_large
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ]
        return HttpResponse(response.status_code, headers, bytes(body))


REDACTED = "[REDACTED]"


def _redacted(response: HttpResponse, credentials: Iterable[HostCredential]) -> HttpResponse:
    """`response` with every credential value (whole, and without its prefix) replaced."""
    secrets = sorted({c.value for c in credentials} | {_bare(c) for c in credentials}, key=len)
    secrets = [secret for secret in reversed(secrets) if len(secret) >= 4]
    if not secrets:
        return response
    body = response.body
    headers = response.headers
    for secret in secrets:
        body = body.replace(secret.encode("utf-8"), REDACTED.encode())
        headers = [(n, v.replace(secret, REDACTED)) for n, v in headers]
    return HttpResponse(response.status, headers, body)


def _bare(credential: HostCredential) -> str:
    """The secret itself, without a prefix such as "Bearer " (echoed on its own too)."""
    return credential.value.split(" ", 1)[-1] if " " in credential.value else credential.value


def _connect_failure(url: str, exc: httpcore.ConnectError) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError) or "SSL" in str(exc):
        return f"{url}: the TLS handshake failed: {exc}"
    return f"{url}: cannot connect: {exc}"


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    client = HttpClient(context)

    def send(request: Any) -> Any:
        return client.send(HttpRequest.from_wit(request)).wit_value()

    def failed() -> Any:
        return HttpError.connection(
            "the host failed to send the request (see the host log)"
        ).wit_value()

    instance.add_func("send", host_function(context, "http.send", send, failed))
