"""The turn routes' requests read in one function, not by FastAPI's dependency solving.

`/v1/chat/completions` and `/v1/responses` are the gateway's hot path. Declared with
FastAPI's dependencies (the caller, the state, the `X-Session-Id` header and the body),
each request went through `solve_dependencies`: a dependency cache, a `Response` object,
the cookies, path and query parameters parsed for nothing, a recursion per dependency
(issue #22 measured it at ~15% of the serving loop). `DirectRoute` keeps the declaration
as it is, so /openapi.json documents the body and the header as before, and replaces only
the handler FastAPI builds from it (`get_route_handler`, FastAPI's documented hook for a
custom route class) with one that does the same checks directly, in the same order:

1. the body: JSON when the content type says so, as FastAPI reads it (a body that is not
   JSON is a 400 before anything else; one that is not UTF-8 too);
2. the caller: `state.authenticated`, the very function the other routes depend on
   (401, then the rate limit's 429, before any field is looked at);
3. the header, then the body's fields, validated by the route's own pydantic fields,
   their errors collected into one `RequestValidationError`, which errors.py turns into
   the same 400 / 422 answers as on every other route.

The BodyLimit middleware's 413 still comes first (it runs before any route). A route of
another shape (a query or path parameter, other dependencies) is refused when the app is
built, not served differently: tests/gateway/test_gateway_request_matrix.py records every
answer of the old path.
"""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from zeroclaw.gateway.state import GatewayState, authenticated, gateway_state

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(APIRoute):
    """An APIRoute for an endpoint `(body, caller: Authenticated, state: State, one
    optional header)`, served without dependency solving (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        route = self._effective()
        dependant = route.dependant
        body_field = route.body_field
        calls = {sub.call: sub.name for sub in dependant.dependencies}
        if (
            body_field is None
            # One whole-body model, required: not embedded under its name, not several.
            or len(dependant.body_params) != 1
            or body_field is not dependant.body_params[0]
            or getattr(body_field.field_info, "embed", False)
            or not body_field.field_info.is_required()
            or set(calls) - {authenticated, gateway_state}
            or len(dependant.header_params) > 1
            or dependant.path_params
            or dependant.query_params
            or dependant.cookie_params
            or dependant.request_param_name
            or not inspect.iscoroutinefunction(self.endpoint)
        ):
            raise TypeError(
                f"{self.path}: DirectRoute serves an async endpoint taking a body, the "
                "caller, the state and at most one header; declare this route as usual"
            )
        endpoint = self.endpoint
        # Dependency overrides (a test's stand-in for the caller) are FastAPI's to apply:
        # while any is set, its own handler serves.
        overrides = getattr(route.dependency_overrides_provider, "dependency_overrides", None)
        solving = super().get_route_handler()
        caller_name = calls.get(authenticated)
        state_name = calls.get(gateway_state)
        header = dependant.header_params[0] if dependant.header_params else None
        header_alias = header.alias.lower() if header is not None else ""
        header_loc = ("header", header.alias) if header is not None else ()
        header_default = header.default if header is not None else None

        async def handle(request: Request) -> Response:
            if overrides:
                return await solving(request)
            body = await _json_body(request)
            state = request.app.state["gateway"]  # by key, as gateway_state reads it
            assert isinstance(state, GatewayState)
            values: dict[str, Any] = {}
            if state_name is not None:
                values[state_name] = state
            if caller_name is not None:
                values[caller_name] = await authenticated(request, state)
            errors: list[Any] = []
            if header is not None:
                sent = request.headers.get(header_alias)
                if sent is None:
                    values[header.name] = header_default
                else:
                    value, header_errors = header.validate(sent, {}, loc=header_loc)
                    errors += header_errors
                    values[header.name] = value
            if body is _NO_BODY:
                errors.append(_missing_body())
            else:
                value, body_errors = body_field.validate(body, {}, loc=("body",))
                errors += body_errors
                values[body_field.name] = value
            if errors:
                raise RequestValidationError(errors, body=None if body is _NO_BODY else body)
            response: Response = await endpoint(**values)
            return response

        # Kept on what it was built for (an inclusion's effective route lives as long as
        # its app; a list here would keep every app that ever included the route).
        setattr(route, _HANDLER_ATTRIBUTE, handle)
        return handle

    def direct_handler(self, built_for: Any) -> Handler | None:
        """The handler built for `built_for` (an inclusion's effective route of this
        route, or the route itself): the lane (lane.py) calls it as the route's ASGI
        app would."""
        if built_for is not self and getattr(built_for, "original_route", None) is not self:
            return None
        handler: Handler | None = getattr(built_for, _HANDLER_ATTRIBUTE, None)
        return handler

    def _effective(self) -> Any:
        """This route as the including router made it: FastAPI (from 0.16x) builds the
        handler once per inclusion, the router's own dependencies merged into an effective
        route that its handler reads; so does this one (a dependency added there is then
        refused, not skipped). Older FastAPI copies the route instead: itself."""
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        if context is not None and context.original_route is self:
            return context
        return self


_NO_BODY: Any = object()
_HANDLER_ATTRIBUTE = "zeroclaw_direct_handler"


async def _json_body(request: Request) -> Any:
    """The body as FastAPI hands it to a JSON body parameter: parsed when the content
    type is JSON, the raw bytes otherwise (which then fail validation as not an object),
    `_NO_BODY` when empty; a syntax error is a `json_invalid` validation error and any
    other failure to parse (not UTF-8, nested too deep) a 400 with the cause attached."""
    raw = await request.body()
    if not raw:
        return _NO_BODY
    content_type = request.headers.get("content-type")
    if not content_type or not _is_json(content_type):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


@lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """`application/json` or `application/*+json`, parameters aside (FastAPI's test)."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _missing_body() -> dict[str, Any]:
    return {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
