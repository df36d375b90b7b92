"""What goes wrong in a request, as types, and how each becomes an HTTP response.

Every error body has one shape (`ErrorBody`, as OpenAI's API sends it, so the `openai`
SDK shows our message). A body that is not JSON or has wrong types is the client's
mistake (400 / 422, naming the field); a failing agent or provider is a bad gateway
(502, with its message); a memory database that cannot be used (locked, full, damaged)
is 503 on every route, with the store's own hint (and `Retry-After` when the failure
passes by itself: a lost connection, a conflict), and one warning line in the log rather
than a traceback: it is the operator's to fix, not a bug. Nothing a client sends
produces a 500; a bug still answers in the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zeroclaw.gateway.bodies import ErrorBody, ErrorDetail
from zeroclaw.gateway.ratelimit import retry_after_header
from zeroclaw.gateway.session_ids import ERROR_TYPE as SESSION_ID_ERROR
from zeroclaw.memory import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    MemoryStoreError,
    TurnSupersededError,
)

_LOG = logging.getLogger("zeroclaw.gateway")
# Retry-After of a 503 for a database that failed in passing (a lost connection).
STORAGE_RETRY_AFTER_S = 2


class GatewayError(Exception):
    """An error with its status, OpenAI-style type and code, and extra headers."""

    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})
        # The request parameter at fault, as OpenAI names it in `error.param`.
        self.param = param


class Unauthorized(GatewayError):
    status, type, code = 401, "authentication_error", "invalid_api_key"

    # One message for a missing, malformed and unknown token: the answer must not tell
    # a prober whether a token exists.
    def __init__(self) -> None:
        super().__init__(
            "missing or invalid bearer token: send `Authorization: Bearer <token>` "
            "(a configured token, ZEROCLAW_GATEWAY_TOKEN, or one from POST /pair)",
            headers={"WWW-Authenticate": "Bearer"},
        )


class PairingRefused(GatewayError):
    status, type, code = 403, "permission_error", "pairing_refused"


class RateLimited(GatewayError):
    status, type, code = 429, "rate_limit_error", "rate_limit_exceeded"

    def __init__(self, retry_after_s: float, per_minute: int) -> None:
        super().__init__(
            f"rate limit of {per_minute} requests per minute exceeded for this token; "
            f"retry in {retry_after_s:.1f}s (gateway.rate_limit_per_minute)",
            headers={"Retry-After": retry_after_header(retry_after_s)},
        )


class InvalidRequest(GatewayError):
    status, type = 400, "invalid_request_error"


class InvalidSessionId(InvalidRequest):
    """A session id outside the grammar of `session_ids`: it could not be read back."""

    code = "invalid_session_id"


class UnsupportedParameter(InvalidRequest):
    """A parameter the gateway, or the provider the request chose, would not honour."""

    code = "unsupported_parameter"


class InvalidValue(InvalidRequest):
    """A parameter's value out of the range OpenAI allows (temperature 2.5, 5 stops)."""

    code = "invalid_value"


class UnsupportedContent(InvalidRequest):
    """A content part the agent cannot take (an image, audio, a file): its messages are
    text, so such a part would be dropped; it is refused, naming the part."""

    code = "unsupported_content"


class PreviousResponseNotFound(InvalidRequest):
    """A `previous_response_id` this gateway never answered with (as OpenAI: a 400)."""

    code = "previous_response_not_found"

    def __init__(self, response_id: str) -> None:
        super().__init__(
            f"previous response with id {response_id!r} not found: send the id of a "
            "response of this gateway (ids are kept in the memory database), or leave "
            "previous_response_id out to start a new conversation",
            param="previous_response_id",
        )


class TooManyMessages(InvalidRequest):
    code = "too_many_messages"

    def __init__(self, count: int, cap: int, *, field: str = "messages") -> None:
        super().__init__(
            f"{field} has {count} entries, over the cap of {cap} per request "
            "(gateway.max_messages): send only the new messages of a named session (it keeps "
            "its own history), or raise the cap"
        )


class NotFound(GatewayError):
    status, type, code = 404, "invalid_request_error", "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class AgentFailed(GatewayError):
    """The agent (its provider, a tool, memory) failed: 502 with the reason."""

    status, type, code = 502, "agent_error", "agent_failed"


class PluginsDisabled(GatewayError):
    status, type, code = 409, "invalid_request_error", "plugins_disabled"

    def __init__(self) -> None:
        super().__init__(
            "plugins are disabled (plugins.enabled = false): there is nothing to reload"
        )


class RequiredPluginUnavailable(GatewayError):
    """A required plugin is quarantined: the gateway refuses turns rather than run them
    without it."""

    status, type, code = 503, "service_unavailable", "required_plugin_unavailable"

    def __init__(self, blocker: str) -> None:
        super().__init__(
            f"a required plugin cannot serve, so no turn runs: {blocker}; see GET "
            "/api/plugins/status, fix the plugin and reload (POST /api/plugins/reload), or "
            "wait for its circuit breaker's next probe"
        )


class StorageUnavailable(GatewayError):
    """The memory database failed (locked, full, damaged): nothing can be read or stored."""

    status, type, code = 503, "service_unavailable", "storage_unavailable"

    def __init__(self, error: MemoryStoreError) -> None:
        hint = f"; {error.hint}" if error.hint else "; run `zeroclaw doctor` to check it"
        # A lost connection (after the store's own retries), a conflict or a turn taken
        # over passes by itself: the client may send the request again shortly.
        passing = isinstance(
            error, DatabaseUnavailableError | DatabaseBusyError | TurnSupersededError
        )
        headers = {"Retry-After": str(STORAGE_RETRY_AFTER_S)} if passing else None
        super().__init__(f"memory is unavailable: {error.message}{hint}", headers=headers)


class InternalError(GatewayError):
    """A bug of ours: the same body shape as every other error, never a plain-text 500."""

    code = "internal_error"

    def __init__(self) -> None:
        super().__init__("the gateway failed on this request (a bug); its log has the details")


class TurnTimedOut(GatewayError):
    status, type, code = 504, "timeout_error", "request_timeout"

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            f"the agent did not answer within {timeout_s:g}s (gateway.request_timeout_s); "
            "what it stored so far is kept in the session"
        )


def error_body(error: GatewayError) -> dict[str, Any]:
    detail = ErrorDetail(message=error.message, type=error.type, code=error.code, param=error.param)
    return ErrorBody(error=detail).model_dump()


def error_response(error: GatewayError) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(MemoryStoreError, _storage_error)
    # Starlette hands this one to its outermost middleware, which logs the traceback
    # after the response is sent.
    app.add_exception_handler(Exception, _internal_error)


async def _gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    if exc.status >= 500:
        _LOG.warning("%s %s -> %d: %s", request.method, request.url.path, exc.status, exc.message)
    return error_response(exc)


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MemoryStoreError)
    return await _gateway_error(request, StorageUnavailable(exc))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(InternalError())


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """400 `invalid_json` for a body that is not JSON, 400 `invalid_session_id` for a
    session id outside the grammar (the one problem), 400 `invalid_value` for values out
    of range (as OpenAI answers them, naming the parameter), 422 `invalid_body` for the
    rest."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    message = validation_message(errors)
    kinds = {error.get("type") for error in errors}
    if "json_invalid" in kinds:
        error = InvalidRequest(message)
        error.code = "invalid_json"
    elif kinds == {SESSION_ID_ERROR}:
        error = InvalidSessionId(message)
    elif kinds <= _OUT_OF_RANGE:
        error = InvalidValue(message, param=_field_path(errors[0].get("loc", ())))
    else:
        error = InvalidRequest(message)
        error.status, error.code = 422, "invalid_body"
    return error_response(error)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if (unparsable := _unparsable_body(exc)) is not None:
        return error_response(unparsable)
    error = GatewayError(_http_message(request, exc), headers=exc.headers)
    error.status = exc.status_code
    error.type = "invalid_request_error" if exc.status_code < 500 else "server_error"
    if exc.status_code == 404:
        error.code = "not_found"
    return error_response(error)


def _unparsable_body(exc: StarletteHTTPException) -> InvalidRequest | None:
    """FastAPI reports a body that `json.loads` fails on other than with a syntax error
    (bytes that are not UTF-8, nesting deeper than the parser's recursion) as a bare
    "There was an error parsing the body"; the reason is the exception's cause."""
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None:
        return None
    if isinstance(cause, UnicodeDecodeError):
        reason = (
            f"it is not UTF-8 text (byte 0x{cause.object[cause.start]:02x} at position "
            f"{cause.start}); send the JSON encoded as UTF-8"
        )
    elif isinstance(cause, RecursionError):
        reason = (
            "its arrays and objects are nested too deeply to parse; "
            "send a flatter structure (a few levels are all any field needs)"
        )
    else:
        reason = f"{type(cause).__name__}: {cause}"
    error = InvalidRequest(f"the body is not valid JSON: {reason}")
    error.code = "invalid_json"
    return error


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    """Starlette's bare "Not Found" / "Method Not Allowed" say neither what nor what to do."""
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"no route {where}; GET /openapi.json lists the endpoints"
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        headers = exc.headers or {}
        allowed = next((v for k, v in headers.items() if k.lower() == "allow"), "")
        also = f" (allowed: {allowed})" if allowed else ""
        return f"method not allowed: {where}{also}; GET /openapi.json lists the endpoints"
    return str(exc.detail)


def validation_message(errors: Sequence[Any]) -> str:
    """One line per problem, naming the field: "messages[0].role: Input should be ..."."""
    lines = []
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            position = error["loc"][-1] if len(error["loc"]) > 1 else "?"
            lines.append(f"the body is not valid JSON: {reason} (at character {position})")
            continue
        where = _field_path(error.get("loc", ()))
        lines.append(f"{where}: {error.get('msg', 'invalid value')}")
    in_body = all(error.get("loc", ("body",))[:1] == ("body",) for error in errors)
    return ("invalid request body: " if in_body else "invalid request: ") + "; ".join(lines)


# pydantic's error types for a number past a bound or a list over its length.
_OUT_OF_RANGE = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_long"}
)


def _field_path(loc: Sequence[Any]) -> str:
    if len(loc) == 2 and loc[0] == "header":
        # Starlette lowercases header names; the docs spell them X-Session-Id.
        return "-".join(word.capitalize() for word in str(loc[1]).split("-")) + " (header)"
    if len(loc) == 2 and loc[0] in ("path", "query"):
        return f"{loc[1]} ({loc[0]})"
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    if not parts:
        return "body"
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
