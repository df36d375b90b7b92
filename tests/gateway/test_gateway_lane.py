"""The turn routes' lane (gateway/lane.py) answers exactly as the full app: the same
requests are sent both ways to one real gateway (uvicorn on 127.0.0.1) and their answers
compared, and an app the lane does not know how to serve exactly is served the full way.
The recorded answers to bad requests are in test_gateway_request_matrix.py (it runs
through the lane)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from gateway_harness import TOKEN, Gateway, make_config, running_gateway
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from zeroclaw.gateway.app import create_app
from zeroclaw.gateway.lane import TURN_PATHS, GatewayApp

CHAT, RESPONSES = TURN_PATHS
USER = {"role": "user", "content": "hi"}
GOOD = {
    CHAT: {"model": "zeroclaw", "messages": [USER]},
    RESPONSES: {"model": "zeroclaw", "input": "hi"},
}
# Values that differ between any two answers (ids, clocks, and the token counts, which
# grow with what the memory recalls of the turns before); replaced before comparing.
_VARYING = {
    "id",
    "created",
    "created_at",
    "completed_at",
    "response_id",
    "item_id",
    "session_id",
    "turn_id",
    "usage",
}
_KEPT_HEADERS = (
    "content-type",
    "content-length",
    "x-session-id",
    "www-authenticate",
    "connection",
    "retry-after",
    "cache-control",
    "content-security-policy",
)


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for path in TURN_PATHS:
        good = GOOD[path]
        cases += [
            ("good", path, {"json": good}),
            ("named session", path, {"json": good, "headers": {"X-Session-Id": "lane-same"}}),
            ("streamed", path, {"json": {**good, "stream": True}}),
            ("no token", path, {"json": good, "token": None}),
            ("wrong token", path, {"json": good, "token": "zc_wrong"}),
            (
                "not JSON",
                path,
                {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
            ),
            (
                "not UTF-8",
                path,
                {"content": b'{"a": "\xff"}', "headers": {"Content-Type": "application/json"}},
            ),
            ("empty", path, {"content": b"", "headers": {"Content-Type": "application/json"}}),
            (
                "text",
                path,
                {"content": json.dumps(good).encode(), "headers": {"Content-Type": "text/plain"}},
            ),
            ("wrong type", path, {"json": {**good, "model": 3}}),
            ("unknown model", path, {"json": {**good, "model": "nope"}}),
            ("bad session", path, {"json": good, "headers": {"X-Session-Id": "a b"}}),
            (
                "too large",
                path,
                {"content": b"x" * 5000, "headers": {"Content-Type": "application/json"}},
            ),
            (
                "too large, chunked",
                path,
                {
                    "content": iter([b"x" * 3000, b"x" * 3000]),
                    "headers": {"Content-Type": "application/json"},
                },
            ),
            ("GET", path, {"method": "GET"}),
            ("OPTIONS", path, {"method": "OPTIONS"}),
            ("query string", path, {"json": good, "params": {"a": "1"}}),
            ("trailing slash", path + "/", {"json": good}),
        ]
    return cases


def _normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k in _VARYING else _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def _answer(response: httpx.Response) -> dict[str, Any]:
    headers = {name: response.headers.get(name) for name in _KEPT_HEADERS}
    session = headers["x-session-id"]
    if session and session.split("-")[0] in {"openai", "responses"}:
        headers["x-session-id"] = session.split("-")[0] + "-*"
    text = response.text
    if headers["content-type"] and headers["content-type"].startswith("text/event-stream"):
        body: Any = [
            _normalized(json.loads(line[6:])) if line.startswith("data: {") else line
            for line in text.splitlines()
        ]
    else:
        try:
            body = _normalized(json.loads(text))
        except ValueError:
            body = text
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        headers.pop("content-length")  # a generated id's length is in it
    elif isinstance(body, list):
        headers.pop("content-length")
    return {"status": response.status_code, "headers": headers, "body": body}


def _send(gateway: Gateway, path: str, case: dict[str, Any]) -> httpx.Response:
    case = dict(case)
    token = case.pop("token", TOKEN)
    method = case.pop("method", "POST")
    with gateway.client(token) as client:
        client.headers.update(case.pop("headers", {}))
        return client.request(method, path, **case)


@pytest.fixture
def small_body(tmp_path: Path) -> Iterator[Gateway]:
    config = make_config(tmp_path)
    config.gateway.max_body_bytes = 4096
    with running_gateway(config) as running:
        yield running


def test_the_gateway_serves_both_turn_routes_by_the_lane(gateway: Gateway) -> None:
    app = gateway.server.config.app
    assert isinstance(app, GatewayApp)
    lane = app.lane()
    assert lane.refused is None
    assert set(lane.entries) == {("POST", CHAT), ("POST", RESPONSES)}


@pytest.mark.parametrize(
    ("name", "path", "case"), _cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_the_same_request_has_the_same_answer_both_ways(
    small_body: Gateway, name: str, path: str, case: dict[str, Any]
) -> None:
    app = small_body.server.config.app
    chunks = (
        list(case["content"])
        if "content" in case and not isinstance(case["content"], bytes)
        else None
    )
    answers = []
    for lane_enabled in (True, False):
        app.lane_enabled = lane_enabled
        sent = {**case, "content": iter(chunks)} if chunks is not None else case
        answers.append(_answer(_send(small_body, path, sent)))
    app.lane_enabled = True
    assert answers[0] == answers[1], json.dumps(answers, indent=1, default=str)


def test_a_bug_in_the_route_is_the_same_500_both_ways(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail xyz")

    monkeypatch.setattr(gateway.state.turns, "runner", broken)
    app = gateway.server.config.app
    answers = []
    for lane_enabled in (True, False):
        app.lane_enabled = lane_enabled
        for path in TURN_PATHS:
            answers.append(_answer(_send(gateway, path, {"json": GOOD[path]})))
    app.lane_enabled = True
    assert answers[:2] == answers[2:]
    assert {answer["status"] for answer in answers} == {500}
    assert answers[0]["body"]["error"]["code"] == "internal_error"
    assert "xyz" not in json.dumps(answers)
    monkeypatch.undo()
    assert _send(gateway, CHAT, {"json": GOOD[CHAT]}).status_code == 200


@pytest.mark.parametrize("lane_enabled", [True, False])
def test_a_client_gone_mid_stream_frees_its_session(gateway: Gateway, lane_enabled: bool) -> None:
    gateway.server.config.app.lane_enabled = lane_enabled
    body = {**GOOD[CHAT], "stream": True}
    with gateway.client(**{"X-Session-Id": "gone"}) as client:
        with client.stream("POST", CHAT, json=body) as response:
            assert response.status_code == 200
            next(response.iter_lines())
        # The session's lock is free again: the next turn on it is answered.
        after = client.post(CHAT, json=GOOD[CHAT], timeout=10)
    assert after.status_code == 200, after.text


class _Recorder:
    """A user's middleware: it sees every request it is in front of."""

    seen: ClassVar[list[str]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append(scope["path"])
        await self.app(scope, receive, send)


def test_a_middleware_the_lane_does_not_know_sends_everything_the_full_way(
    tmp_path: Path,
) -> None:
    _Recorder.seen = []
    with running_gateway(make_config(tmp_path), lambda app: app.add_middleware(_Recorder)) as gw:
        response = _send(gw, CHAT, {"json": GOOD[CHAT]})
        refused = gw.server.config.app.lane().refused
    assert response.status_code == 200
    assert _Recorder.seen == [CHAT]
    assert refused == "an unknown middleware: _Recorder"


def test_a_route_put_in_front_later_takes_the_path(gateway: Gateway) -> None:
    app = gateway.server.config.app
    assert _send(gateway, CHAT, {"json": GOOD[CHAT]}).status_code == 200

    async def intercept(request: Any) -> PlainTextResponse:
        return PlainTextResponse("intercepted")

    app.router.routes.insert(0, Route(CHAT, intercept, methods=["POST"]))
    try:
        taken = _send(gateway, CHAT, {"json": GOOD[CHAT]})
        other = _send(gateway, RESPONSES, {"json": GOOD[RESPONSES]})
        refused = app.lane().refused
    finally:
        del app.router.routes[0]
    assert taken.text == "intercepted"
    assert other.status_code == 200
    assert refused == f"POST {CHAT} goes to Route, not an included router"
    assert app.lane().refused is None
    assert _send(gateway, CHAT, {"json": GOOD[CHAT]}).status_code == 200


def test_fastapi_telemetry_on_sends_the_turn_routes_the_full_way(gateway: Gateway) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = gateway.server.config.app
    app._native_telemetry.config["tracer_provider"] = provider
    try:
        response = _send(gateway, CHAT, {"json": GOOD[CHAT]})
    finally:
        app._native_telemetry.config["tracer_provider"] = None
    assert response.status_code == 200
    assert f"POST {CHAT}" in [span.name for span in exporter.get_finished_spans()]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda app: setattr(app, "root_path", "/api"), "the app has a root_path"),
        (lambda app: setattr(app, "max_body_size", 10), "FastAPI's max_body_size is set"),
        (
            lambda app: app.add_exception_handler(RuntimeError, lambda r, e: None),
            "an exception handler for RuntimeError",
        ),
        (
            lambda app: app.router.routes.insert(
                0, Route(RESPONSES, lambda r: None, methods=["GET", "POST"])
            ),
            f"POST {RESPONSES} goes to Route, not an included router",
        ),
        (
            lambda app: app.add_middleware(CORSMiddleware, allow_origins=["*"]),
            "an unknown middleware: CORSMiddleware",
        ),
    ],
    ids=["root_path", "max_body_size", "handler", "route", "CORS"],
)
def test_what_the_lane_does_not_know_refuses_it(gateway: Gateway, change: Any, reason: str) -> None:
    app = create_app(gateway.state)
    assert isinstance(app, GatewayApp)
    assert app.lane().refused is None
    app = create_app(gateway.state)
    change(app)
    assert isinstance(app, GatewayApp)
    lane = app.lane()
    assert lane.refused == reason
    assert lane.entries == {}


def test_the_lane_is_not_taken_while_a_dependency_is_overridden(gateway: Gateway) -> None:
    from zeroclaw.gateway.auth import Caller
    from zeroclaw.gateway.state import authenticated

    app: FastAPI = gateway.server.config.app
    app.dependency_overrides[authenticated] = lambda: Caller(token_id="stand-in")
    try:
        response = _send(gateway, CHAT, {"json": GOOD[CHAT], "token": None})
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200, response.text


def test_insides_the_lane_cannot_read_send_everything_the_full_way(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fastapi.routing

    def changed(self: Any, scope: Any) -> Any:
        raise AttributeError("no _match in this FastAPI")

    app = create_app(gateway.state)
    monkeypatch.setattr(fastapi.routing._IncludedRouter, "_match", changed)
    assert isinstance(app, GatewayApp)
    lane = app.lane()
    assert lane.refused == "the app could not be read (AttributeError: no _match in this FastAPI)"
    assert lane.entries == {}


def test_without_the_console_the_lane_is_built(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config.gateway.console.enabled = False
    with running_gateway(config) as gw:
        response = _send(gw, CHAT, {"json": GOOD[CHAT]})
        lane = gw.server.config.app.lane()
    assert response.status_code == 200
    assert lane.refused is None
    assert set(lane.entries) == {("POST", CHAT), ("POST", RESPONSES)}


def test_the_lane_knows_starlettes_shared_body_limit_key() -> None:
    from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

    from zeroclaw.gateway.lane import BODY_LIMIT_SCOPE_KEY

    assert BODY_LIMIT_SCOPE_KEY == MAX_BODY_SIZE_SCOPE_KEY


@pytest.mark.parametrize(
    "extra",
    [
        {"root_path": "/api"},
        {"starlette.max_body_size": 10},
        {"fastapi.telemetry": object()},
        {"method": "PUT"},
        {"method": "GET"},
        {"path": CHAT + "/"},
        {"path": "/V1/chat/completions"},
    ],
    ids=["root_path", "shared body limit", "telemetry", "PUT", "GET", "slash", "case"],
)
def test_a_request_the_lane_does_not_take(gateway: Gateway, extra: dict[str, Any]) -> None:
    app = create_app(gateway.state)
    assert isinstance(app, GatewayApp)
    scope = {"type": "http", "method": "POST", "path": CHAT, "root_path": ""}
    assert app._lane_entry(scope) is not None
    assert app._lane_entry({**scope, **extra}) is None


def test_an_app_that_served_by_the_lane_can_be_collected(gateway: Gateway) -> None:
    import gc
    import weakref

    app = create_app(gateway.state)
    assert isinstance(app, GatewayApp)
    app.openapi()  # FastAPI builds the inclusions' handlers
    assert app.lane().refused is None
    gone = weakref.ref(app)
    del app
    gc.collect()
    assert gone() is None
