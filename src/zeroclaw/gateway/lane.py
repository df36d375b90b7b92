"""The turn routes' lane: `POST /v1/chat/completions` and `POST /v1/responses` handed to
their handler past the framework's layers that do nothing for them.

A request to the full app goes through FastAPI and Starlette's `__call__`, Starlette's
ServerErrorMiddleware, FastAPI's ExceptionTelemetryMiddleware and AppBodyLimitMiddleware,
our ConsoleHeaders and BodyLimit, Starlette's ExceptionMiddleware, FastAPI's
AsyncExitStackMiddleware, the router (every route tried in turn; an included router sets
and restores scope keys per candidate) and FastAPI's `request_response` (two more exit
stacks) before the route's handler runs: ~16 us of CPU a request, timed alone
(benchmarks/lane_layers.py; a py-spy profile put 14% of the serving loop there). For
the two turn routes most of it is pass-through. `GatewayApp` (the gateway's
FastAPI) sends exactly those two method+path pairs down a lane built, when the app
starts serving, from the app's own objects, keeping only the layers with an effect:

- ServerErrorMiddleware: a new instance with the same handler and `debug` (the 500 on a
  bug, the traceback logged by uvicorn);
- BodyLimit: new instances with the same limits, in the same order (the 413);
- ExceptionMiddleware's effect: the same handler tables in the scope
  (`starlette.exception_handlers`) and the same `wrap_app_handling_exceptions` around
  the route, with its own `Request`, as the middleware does;
- the router's effect: the scope keys a match sets (`router`, `endpoint`, `path_params`,
  `route`, FastAPI's `included_router` and `effective_route_context`), found by running
  the app's own matching on the path when the lane is built;
- `request_response`: a `Request`, the same exception wrapping, the handler, the response.

Skipped, because for these routes they have no effect: ExceptionTelemetryMiddleware and
FastAPI's request telemetry (the lane is not taken while FastAPI's telemetry is enabled
or a request carries it), AppBodyLimitMiddleware (`max_body_size` is None: the lane is
not built otherwise), ConsoleHeaders (only paths under its prefix), the exit stacks (they
close form uploads and dependencies with `yield`; `DirectRoute` reads a JSON body and has
no dependencies: the lane is not taken while `app.dependency_overrides` is set).

It must be impossible for the lane to answer differently from the full app, so it is
derived, not declared: a middleware it does not know, a route of another shape, a
`root_path`, a form limit, a route before the turn routes that would match their path,
and the lane is not built (`TurnLane.refused` says why) and every request goes the full
way. It is rebuilt if the middleware stack or the routes in front of the turn routes
change. tests/gateway/test_gateway_lane.py sends the same requests both ways.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import fastapi.routing
from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from zeroclaw.gateway.body_limit import BodyLimit
from zeroclaw.gateway.console.headers import ConsoleHeaders
from zeroclaw.gateway.direct_route import DirectRoute

TURN_PATHS = ("/v1/chat/completions", "/v1/responses")
# FastAPI's own layers around every app (0.165); each is checked to be a pass-through.
_FASTAPI_LAYERS = ("ExceptionTelemetryMiddleware", "AppBodyLimitMiddleware")
# The scope key a mounting app sets to share its body limit with a child app (Starlette's
# MAX_BODY_SIZE_SCOPE_KEY, spelled out: older Starlettes have no such module to import).
BODY_LIMIT_SCOPE_KEY = "starlette.max_body_size"

Entry = Callable[[Scope, Receive, Send], Awaitable[None]]


class _Refused(Exception):
    """Why the lane cannot serve this app exactly as the full app would (caught by
    `TurnLane.build`, kept as `TurnLane.refused`; never reaches a client)."""


@dataclass
class TurnLane:
    """The entries of the lane, per (method, path), and what they were built from."""

    stack: ASGIApp | None
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    # The routes in front of the turn routes, as they were (a change rebuilds the lane).
    routes_in_front: list[BaseRoute] = field(default_factory=list)
    # The included routers the turn routes are in, and their routes' version then.
    versions: list[tuple[Any, int]] = field(default_factory=list)
    # FastAPI's question, asked per request: is its OpenTelemetry instrumentation on?
    telemetry_enabled: Callable[[], bool] = bool
    refused: str | None = None

    @classmethod
    def build(cls, app: FastAPI) -> TurnLane:
        if app.middleware_stack is None:
            app.middleware_stack = app.build_middleware_stack()
        stack = app.middleware_stack
        try:
            return cls._build(app, stack)
        except _Refused as refused:
            reason = str(refused)
        except Exception as error:
            # FastAPI's or Starlette's insides are not what this module reads (another
            # version): the full way, which raises whatever the app itself would.
            reason = f"the app could not be read ({type(error).__name__}: {error})"
        return cls(stack, routes_in_front=list(app.router.routes), refused=reason)

    @classmethod
    def _build(cls, app: FastAPI, stack: ASGIApp) -> TurnLane:
        if app.root_path:
            raise _Refused("the app has a root_path")
        if app.router.form_limits:
            raise _Refused("the app's router has form limits")
        errors, limits, handlers = _layers(app, stack)
        telemetry = getattr(app, "_native_telemetry", None)
        if telemetry is None:
            raise _Refused("FastAPI's telemetry cannot be read")
        lane = cls(stack, telemetry_enabled=telemetry.enabled)
        last = 0
        for path in TURN_PATHS:
            index, selected = _select(app, path)
            last = max(last, index)
            handler = selected["route"].direct_handler(selected["context"])
            if handler is None:
                raise _Refused(f"POST {path}: no handler was built for its inclusion")
            served: ASGIApp = _handled(handler, selected, handlers, app.router)
            for limit in reversed(limits):
                served = BodyLimit(served, max_bytes=limit)
            lane.entries[("POST", path)] = ServerErrorMiddleware(served, **errors).__call__
            router = selected["included"].original_router
            if all(router is not known for known, _ in lane.versions):
                lane.versions.append((router, router._routes_version))
        lane.routes_in_front = list(app.router.routes[: last + 1])
        return lane

    def current(self, app: FastAPI) -> bool:
        """Built from the app as it is now: the same middleware stack, the same routes up
        to the turn routes (routes added after them never see these paths)."""
        routes = app.router.routes
        if self.refused is not None:
            return app.middleware_stack is self.stack and routes == self.routes_in_front
        if app.middleware_stack is not self.stack:
            return False
        if routes[: len(self.routes_in_front)] != self.routes_in_front:
            return False
        return all(router._routes_version == version for router, version in self.versions)


class GatewayApp(FastAPI):
    """The gateway's FastAPI: the turn routes by the lane, everything else as usual.
    `lane_enabled = False` on an instance sends every request the full way (the tests
    compare both ways on one gateway)."""

    lane_enabled = True
    _lane: TurnLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.lane_enabled:
            entry = self._lane_entry(scope)
            if entry is not None:
                scope["app"] = self
                await entry(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _lane_entry(self, scope: Scope) -> Entry | None:
        lane = self._lane
        if lane is None or not lane.current(self):
            lane = self._lane = TurnLane.build(self)
        entry = lane.entries.get((scope["method"], scope["path"]))
        if (
            entry is None
            or self.dependency_overrides
            or scope.get("root_path")
            or BODY_LIMIT_SCOPE_KEY in scope
            or "fastapi.telemetry" in scope
            or lane.telemetry_enabled()
        ):
            return None
        return entry

    def lane(self) -> TurnLane:
        """The lane as it serves now (built if it was not yet)."""
        if self._lane is None or not self._lane.current(self):
            self._lane = TurnLane.build(self)
        return self._lane


def _layers(
    app: FastAPI, stack: ASGIApp
) -> tuple[dict[str, Any], list[int], tuple[dict[Any, Any], dict[Any, Any]]]:
    """The middleware stack, layer by layer: ServerErrorMiddleware's settings, the body
    limits in order, ExceptionMiddleware's handler tables; any layer the lane does not
    know refuses it."""
    layer: Any = stack
    if type(layer) is not ServerErrorMiddleware:
        raise _Refused(f"the outermost middleware is {type(layer).__name__}")
    errors = {"handler": layer.handler, "debug": layer.debug}
    layer = layer.app
    for name in _FASTAPI_LAYERS:
        if type(layer).__name__ != name:
            raise _Refused(f"expected FastAPI's {name}, found {type(layer).__name__}")
        layer = layer.app
    if app.max_body_size is not None:
        raise _Refused("FastAPI's max_body_size is set")
    limits: list[int] = []
    while type(layer) is not ExceptionMiddleware:
        if type(layer) is BodyLimit:
            limits.append(layer.max_bytes)
        elif type(layer) is ConsoleHeaders:
            if any(_under(path, layer.prefix) for path in TURN_PATHS):
                raise _Refused(f"ConsoleHeaders covers {layer.prefix}")
        else:
            raise _Refused(f"an unknown middleware: {type(layer).__name__}")
        layer = layer.app
    handlers = (layer._exception_handlers, layer._status_handlers)
    for cls in RuntimeError.__mro__:
        # A handler for what an already answered request raises would change the
        # answer between the route's exception wrapping and the middleware's.
        if cls in handlers[0]:
            raise _Refused(f"an exception handler for {cls.__name__}")
    layer = layer.app
    if type(layer) is not AsyncExitStackMiddleware or layer.app is not app.router:
        raise _Refused("the middleware stack does not end on the app's router")
    return errors, limits, handlers


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _select(app: FastAPI, path: str) -> tuple[int, dict[str, Any]]:
    """What the app's router does with `POST path`: the index of the route that takes it
    in `app.router.routes`, and the scope keys and handler it ends on, found by the
    router's own matching (FastAPI 0.165's included routers)."""
    included_type = getattr(fastapi.routing, "_IncludedRouter", None)
    if included_type is None:
        raise _Refused("FastAPI has no included routers")
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    taking = [
        (index, route)
        for index, route in enumerate(app.router.routes)
        if route.matches(scope)[0] is Match.FULL
    ]
    if not taking:
        raise _Refused(f"no route takes POST {path}")
    index, route = taking[0][0], cast(Any, taking[0][1])
    if type(route) is not included_type:
        raise _Refused(f"POST {path} goes to {type(route).__name__}, not an included router")
    if route.include_context.form_limits:
        raise _Refused(f"POST {path}: its router has form limits")
    match, child_scope, selected, context = route._match(dict(scope))
    if (
        match is not Match.FULL
        or type(selected) is not DirectRoute
        or context is None
        or context.original_route is not selected
        or context.methods != {"POST"}
        or context.max_body_size is not None
        or set(child_scope) != {"endpoint", "path_params", "route"}
        or child_scope["route"] is not selected
        or child_scope["path_params"]
    ):
        raise _Refused(f"POST {path} is not a DirectRoute of the lane's shape")
    return index, {
        "route": selected,
        "context": context,
        "included": route,
        "endpoint": child_scope["endpoint"],
    }


def _handled(
    handler: Callable[[Request], Awaitable[Any]],
    selected: dict[str, Any],
    handlers: tuple[dict[Any, Any], dict[Any, Any]],
    router: Any,
) -> ASGIApp:
    """ExceptionMiddleware, the router's match and `request_response`, as their effect:
    the scope keys they set, and the same exception wrapping twice (the middleware's
    around the route's), each with its own Request."""
    route, context = selected["route"], selected["context"]
    included, endpoint = selected["included"], selected["endpoint"]

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = handlers
        if "router" not in scope:
            scope["router"] = router
        path_params = dict(scope.get("path_params", {}))
        fastapi_scope = scope.setdefault("fastapi", {})
        fastapi_scope["included_router"] = included
        fastapi_scope["effective_route_context"] = context
        scope["endpoint"] = endpoint
        scope["path_params"] = path_params
        scope["route"] = route
        await wrap_app_handling_exceptions(answered, Request(scope, receive, send))(
            scope, receive, send
        )

    async def answered(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            response = await handler(request)
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(respond, request)(scope, receive, send)

    return served
