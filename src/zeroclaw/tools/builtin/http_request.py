"""`http_request`: one HTTP request to an allowed host.

Redirects are followed here, not by httpx, so every hop is checked against
tools.http_request.allowed_hosts before it is requested: an allowed host cannot bounce
the call elsewhere. The body is read up to a size cap and the whole exchange, redirects
included, runs under one deadline, so a slow or endless response cannot hold the turn.
"""

from __future__ import annotations

import asyncio
import codecs
from typing import Any

import httpx

from zeroclaw.config.models import HttpRequestConfig
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tools.base import ToolContext
from zeroclaw.tools.errors import PolicyViolation
from zeroclaw.tools.policy import SecurityPolicy
from zeroclaw.tools.truncation import truncation_marker

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_REDIRECTS = 5
# Credentials meant for one host must not follow a redirect to another.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


class HttpRequestTool:
    spec = ToolSpec(
        name="http_request",
        description=(
            "Send an HTTP(S) request to an allowed host and return the status, the "
            "content type and the body (cut at a size limit). Redirects are followed "
            f"(at most {MAX_REDIRECTS}) only to allowed hosts."
        ),
        parameters={
            "type": "object",
            "properties": {
                "url": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 8192,
                    "description": "Absolute http:// or https:// URL.",
                },
                "method": {
                    "type": "string",
                    "enum": list(METHODS),
                    "default": "GET",
                    "description": "HTTP method (default GET).",
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Request headers, name to value.",
                },
                "body": {"type": "string", "description": "Request body (text)."},
            },
            "required": ["url"],
            "additionalProperties": False,
        },
    )
    # The worst case; `mutates` tells the policy when a call only reads.
    mutating = True

    def __init__(self, policy: SecurityPolicy, config: HttpRequestConfig) -> None:
        self._policy = policy
        self._config = config

    def mutates(self, arguments: dict[str, Any]) -> bool:
        return str(arguments.get("method", "GET")).upper() not in _READ_ONLY_METHODS

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        url = arguments["url"]
        self._policy.check_url(url)
        request = _Hop(
            method=arguments.get("method", "GET"),
            url=httpx.URL(url),
            headers=dict(arguments.get("headers", {})),
            body=arguments.get("body"),
        )
        timeout = self._config.timeout_s
        try:
            async with (
                asyncio.timeout(timeout),
                # trust_env=False: proxy variables must not reroute an allowlisted call.
                httpx.AsyncClient(
                    follow_redirects=False, trust_env=False, timeout=timeout
                ) as client,
            ):
                return await self._exchange(client, request)
        except TimeoutError:
            return ToolResult.fail(
                f"request to {url} timed out after {timeout:g}s (tools.http_request.timeout_s)"
            )
        except httpx.HTTPError as exc:
            return ToolResult.fail(f"request to {url} failed: {type(exc).__name__}: {exc}")

    async def _exchange(self, client: httpx.AsyncClient, first: _Hop) -> ToolResult:
        hop = first
        for _ in range(MAX_REDIRECTS + 1):
            response = await client.send(hop.build(client), stream=True)
            try:
                if not response.is_redirect:
                    body, complete = await _read_capped(response, self._config.max_response_bytes)
                    return _result(first.url, response, body, complete)
                target = response.url.join(response.headers["location"])
            finally:
                await response.aclose()
            try:
                self._policy.check_url(str(target))
            except PolicyViolation as exc:
                return ToolResult.fail(
                    f"{hop.url} redirected to {target}, which is refused: {exc.message}"
                )
            hop = hop.redirected(response.status_code, target)
        return ToolResult.fail(f"more than {MAX_REDIRECTS} redirects, starting at the request URL")


class _Hop:
    """One request of the redirect chain."""

    def __init__(
        self, method: str, url: httpx.URL, headers: dict[str, str], body: str | None
    ) -> None:
        self.method = method.upper()
        self.url = url
        self.headers = headers
        self.body = body

    def build(self, client: httpx.AsyncClient) -> httpx.Request:
        return client.build_request(self.method, self.url, headers=self.headers, content=self.body)

    def redirected(self, status: int, target: httpx.URL) -> _Hop:
        """The next request, as browsers and httpx make it."""
        method, body, headers = self.method, self.body, dict(self.headers)
        # 303 always, and 301/302 after a POST, continue as a GET without the body.
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, body = "GET", None
            headers = {k: v for k, v in headers.items() if k.lower() not in _BODY_HEADERS}
        if target.host != self.url.host:
            headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        return _Hop(method, target, headers, body)


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the body, and whether that is all of it. Reading stops
    at the cap, so an endless body costs no more than the cap."""
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        room = limit - len(kept)
        if len(chunk) > room:
            kept += chunk[:room]
            return bytes(kept), False
        kept += chunk
    return bytes(kept), True


def _result(
    requested: httpx.URL, response: httpx.Response, body: bytes, complete: bool
) -> ToolResult:
    lines = [f"HTTP {response.status_code} {response.reason_phrase}".rstrip()]
    if response.url != requested:
        lines.append(f"url: {response.url}")
    content_type = response.headers.get("content-type")
    if content_type:
        lines.append(f"content-type: {content_type}")
    text = body.decode(_codec(response.charset_encoding), "replace")
    if not complete:
        text += truncation_marker(len(body), None) + " (tools.http_request.max_response_bytes)"
    report = "\n".join(lines) + "\n\n" + text
    if response.status_code < 400:
        return ToolResult.ok(report)
    # The error carries the body too: a failed result shows the model only the error.
    return ToolResult(success=False, output=report, error=report)


def _codec(charset: str | None) -> str:
    """The response's charset if Python knows it; servers send made-up names."""
    if charset:
        try:
            return codecs.lookup(charset).name
        except LookupError:
            pass
    return "utf-8"
