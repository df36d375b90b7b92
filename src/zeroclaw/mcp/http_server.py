"""`zeroclaw mcp serve --transport streamable-http`: where the server may listen and who
may call it.

The rule is the gateway's: without a token, only loopback (anything else is refused
before binding, because the tools act on this machine); with a token configured
(gateway.tokens, ZEROCLAW_GATEWAY_TOKEN), every request must present one as
`Authorization: Bearer ...`, on any address. A request without a valid token gets 401
and an `auth_failure` event (the audit log writes it). On loopback the SDK also checks
the Host and Origin headers, so a web page cannot reach the server by DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from zeroclaw.mcp.errors import McpServeRefused
from zeroclaw.mcp.server import ToolServer

# The token check: True when the Authorization header's token is valid.
TokenCheck = Callable[[str | None], bool]
# Told of each refused request: (client address, path, reason).
AuthFailureSink = Callable[[str, str, str], None]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, has_tokens: bool) -> None:
    """Refuse a non-loopback bind without a token (McpServeRefused)."""
    if has_tokens or is_loopback(host):
        return
    raise McpServeRefused(
        f"mcp serve would listen on {host} without a token: anyone who can reach it could "
        "run this machine's tools",
        hint="bind 127.0.0.1 (mcp.serve.host), or configure a gateway token "
        "(`zeroclaw gateway hash-token` into gateway.tokens, or ZEROCLAW_GATEWAY_TOKEN); "
        "clients then send it as `Authorization: Bearer ...`",
    )


def http_app(
    server: ToolServer,
    *,
    host: str,
    path: str,
    token_check: TokenCheck | None,
    on_auth_failure: AuthFailureSink,
) -> ASGIApp:
    """The ASGI app serving `server` at `path`; behind a bearer-token check when
    `token_check` is given."""
    app = server.server.streamable_http_app(streamable_http_path=path, host=host)
    if token_check is None:
        return app
    return BearerGuard(app, token_check, on_auth_failure)


class BearerGuard:
    """ASGI middleware: HTTP requests need a valid bearer token; lifespan passes."""

    def __init__(self, app: ASGIApp, check: TokenCheck, on_failure: AuthFailureSink) -> None:
        self._app = app
        self._check = check
        self._on_failure = on_failure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        if self._check(authorization):
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else "?"
        reason = "no bearer token" if authorization is None else "invalid bearer token"
        self._on_failure(where, str(scope.get("path", "")), reason)
        body = json.dumps(
            {"error": "unauthorized", "message": "send a valid token as Authorization: Bearer"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def uvicorn_config(app: ASGIApp, host: str, port: int) -> Any:
    """A uvicorn config that leaves logging to ours (stdout stays clean)."""
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
