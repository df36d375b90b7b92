"""The [gateway] table of the config file."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from zeroclaw.gateway.auth import TOKEN_HASH_PREFIX
from zeroclaw.section import Section

# A stored token is its digest, never the token: a leaked config file grants nothing.
TOKEN_HASH_PATTERN = re.compile(re.escape(TOKEN_HASH_PREFIX) + r"[0-9a-f]{64}")


def _check_token_hash(value: str) -> str:
    if TOKEN_HASH_PATTERN.fullmatch(value):
        return value
    raise PydanticCustomError(
        "token_hash",
        "a token hash: sha256:<64 lowercase hex digits>, made by `zeroclaw gateway hash-token`",
        # The value may be a token pasted in clear: an error message must not repeat it.
        {"given": "(not shown)"},
    )


TokenHash = Annotated[str, AfterValidator(_check_token_hash)]


class GatewayMcpSettings(Section):
    """The gateway's MCP endpoint: the agent's tools for MCP clients at `/mcp`."""

    enabled: bool = Field(
        False,
        description="Serve the agent's tools over MCP (streamable HTTP) at /mcp, behind the "
        "gateway's bearer tokens and rate limit; the tools offered and the gate they take are "
        "`zeroclaw mcp serve`'s (mcp.serve.tools, tools.allowed). Needs the `mcp` extra.",
    )


class ConsoleSettings(Section):
    """The operator console in the browser (`/ui`, docs/console.md)."""

    enabled: bool = Field(
        True,
        description="Serve the operator console at /ui (log in with a gateway token or the "
        "pairing code). false: /ui answers 404.",
    )
    session_ttl_s: int = Field(
        28_800,
        ge=60,
        le=2_592_000,
        description="Seconds a console login lasts; after it the browser logs in again.",
    )
    live_interval_ms: int = Field(
        1000,
        ge=100,
        le=60_000,
        description="How often the console's live stream (server-sent events) looks for "
        "changed plugin state, reloads and new turns.",
    )


class GatewaySettings(Section):
    """The HTTP gateway (`zeroclaw gateway`)."""

    host: str = Field("127.0.0.1", description="Address to bind (loopback by default).")
    port: int = Field(8080, ge=0, le=65535, description="Port to bind (0: any free port).")
    tokens: list[TokenHash] = Field(
        default_factory=list,
        description='Bearer tokens accepted, stored hashed ("sha256:<hex>", made by '
        "`zeroclaw gateway hash-token`). The env var ZEROCLAW_GATEWAY_TOKEN adds one more "
        "(in clear). A non-loopback bind needs at least one of the two.",
        examples=[["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]],
    )
    pairing: bool = Field(
        True,
        description="Print a one-time pairing code at start; POST /pair exchanges it for a "
        "token that is valid until the gateway stops.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted; larger gets 413."
    )
    max_messages: int = Field(
        2000,
        ge=1,
        description="Messages one chat completion request may carry; more gets 400 "
        "(too_many_messages). A named session keeps its own history, so a client needs to "
        "send only what is new.",
    )
    rate_limit_per_minute: int = Field(
        120,
        ge=0,
        description="Requests one token may make per minute (bursts up to that many); "
        "beyond it 429 with Retry-After. 0: no limit.",
    )
    request_timeout_s: float = Field(
        300.0,
        gt=0,
        description="Time one agent request may take (waiting for its session included); "
        "past it 504.",
    )
    shutdown_grace_s: int = Field(
        30,
        ge=0,
        le=3600,
        description="Seconds requests in flight get to finish after SIGTERM/SIGINT.",
    )
    mcp: GatewayMcpSettings = Field(default_factory=GatewayMcpSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
