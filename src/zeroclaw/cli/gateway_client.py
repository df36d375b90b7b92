"""Calls from the command line to a running gateway's API, with its bearer token.

One place decides what a failed call says: no token, a token a header cannot carry, no
answer, a refused token, an error status, or an answer that is not a ZeroClaw gateway's.
Each is one line with the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.auth import TOKEN_ENV
from zeroclaw.gateway.settings import GatewaySettings

if TYPE_CHECKING:
    from zeroclaw.config import Config


def gateway_url(settings: GatewaySettings) -> str:
    """Where the gateway of `settings` answers locally (a wildcard bind -> loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


def gateway_call(config: Config, method: str, path: str, url: str | None, token: str | None) -> Any:
    settings = config.gateway
    base = (url or gateway_url(settings)).rstrip("/")
    # --token, else ZEROCLAW_GATEWAY_TOKEN (the option reads the environment; the .env file
    # beside the config is looked at here, once the config has been loaded).
    token = token or config.env.getenv(TOKEN_ENV)
    if not token:
        raise ZeroClawError(
            "no token for the gateway",
            hint=f"pass --token, or set {TOKEN_ENV} in the environment or the .env file beside "
            "the config (the token itself, not its hash)",
        )
    if not (token.isascii() and token.isprintable()):
        raise ZeroClawError(
            "the gateway token holds characters an HTTP header cannot carry (non-ASCII, "
            "control characters or a line break)",
            hint=f"pass the token `zeroclaw gateway hash-token` printed (zc_...) with --token "
            f"or {TOKEN_ENV}",
        )
    try:
        response = httpx.request(
            method,
            base + path,
            headers={"Authorization": f"Bearer {token}"},
            # a reload compiles and instantiates every plugin: give it the turn timeout
            timeout=settings.request_timeout_s,
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
        raise ZeroClawError(
            f"{base} is not a gateway URL: {exc}",
            hint="pass the gateway's base URL with --url, e.g. http://127.0.0.1:8080",
        ) from None
    except httpx.HTTPError as exc:
        raise ZeroClawError(
            f"no answer from a gateway at {base}: {exc}",
            hint="start one with `zeroclaw gateway`, or pass its address with --url",
        ) from None
    if response.status_code == 401:
        raise ZeroClawError(
            f"the gateway at {base} refused the token",
            hint=f"pass a token it accepts with --token or {TOKEN_ENV}",
        )
    if response.is_error:
        raise ZeroClawError(
            f"the gateway at {base} answered {response.status_code}: " + _error_message(response)
        )
    try:
        return response.json()
    except ValueError:
        raise _not_a_gateway(base, "its answer is not JSON") from None


Answer = TypeVar("Answer", bound=BaseModel)


def gateway_answer(model: type[Answer], body: Any, base: str) -> Answer:
    """The gateway's answer as `model`; anything else did not come from a ZeroClaw gateway
    (of this version)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _not_a_gateway(
            base.rstrip("/"),
            f"its answer is not a {model.__name__} ({exc.error_count()} problem(s))",
        ) from None


def _not_a_gateway(base: str, why: str) -> ZeroClawError:
    return ZeroClawError(
        f"{base} does not look like a ZeroClaw gateway: {why}",
        hint="check --url (the gateway's base URL, e.g. http://127.0.0.1:8080) and that "
        "the gateway runs the same ZeroClaw version",
    )


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
