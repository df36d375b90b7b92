"""What an HTTP API's failure means for us: retryable or not, how long to wait, and what
the server said. Shared by the OpenAI-compatible and Anthropic providers, whose SDK error
classes differ but carry the same facts (status, headers, decoded body).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from zeroclaw.providers.base import ProviderError

# 408 (request timeout) and 409 (lock contention) are transient too; the official SDKs
# retry them as well. Every 5xx is (529 is Anthropic's "overloaded").
RETRYABLE_STATUSES = frozenset({408, 409, 429})

# An error sent inside a stream arrives with the stream's 200 status: its type says
# whether it is transient.
RETRYABLE_ERROR_TYPES = frozenset(
    {"overloaded_error", "rate_limit_error", "api_error", "server_error", "timeout_error"}
)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, or `retry-after` given in
    seconds or as an HTTP date. None when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def server_message(body: object, fallback: str) -> str:
    """The human message inside an error body (`{"error": {"message": ...}}` and kin)."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body.strip():
        return body.strip()
    return fallback


def error_type(body: object) -> str | None:
    if not isinstance(body, Mapping):
        return None
    inner = body.get("error")
    source = inner if isinstance(inner, Mapping) else body
    kind = source.get("type")
    return kind if isinstance(kind, str) else None


def status_error(
    provider: str,
    *,
    status: int,
    headers: Mapping[str, str],
    body: object,
    fallback: str,
) -> ProviderError:
    """The ProviderError for an HTTP error response (or an error event inside a stream)."""
    message = server_message(body, fallback)
    retryable = (
        status in RETRYABLE_STATUSES or status >= 500 or error_type(body) in RETRYABLE_ERROR_TYPES
    )
    return ProviderError(
        f"HTTP {status}: {message}",
        provider=provider,
        retryable=retryable,
        retry_after=parse_retry_after(headers) if retryable else None,
        status=status,
        hint=_hint(provider, status),
    )


def _hint(provider: str, status: int) -> str | None:
    if status in (401, 403):
        return f"check the API key of llm.providers.{provider} (the variable in api_key_env)"
    if status == 404:
        return f"check the model name and base_url of llm.providers.{provider}"
    if status == 429:
        return "the provider is rate limiting; add llm.fallbacks or raise llm.retry.max_attempts"
    return None


def sdk_error(
    sdk: ModuleType, exc: Any, *, provider: str, timeout_s: float, where: str
) -> ProviderError:
    """The ProviderError for an exception of an official SDK (`openai` or `anthropic`):
    both are generated from one template and share their error classes' shape."""
    if isinstance(exc, sdk.APIStatusError):
        return status_error(
            provider,
            status=exc.status_code,
            headers=exc.response.headers,
            body=exc.body,
            fallback=exc.message,
        )
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError(
            f"no answer within {timeout_s:g} s",
            provider=provider,
            retryable=True,
            hint=f"raise llm.providers.{provider}.timeout_s if the model is slow",
        )
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(
            f"cannot reach {where}: {exc.__cause__ or exc.message}",
            provider=provider,
            retryable=True,
            hint=f"is the server running? check llm.providers.{provider}.base_url",
        )
    return ProviderError(str(exc.message), provider=provider)
