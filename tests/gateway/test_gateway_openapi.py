"""/openapi.json declares, for each route, every status the route answers with, in the
gateway's error shape: each status observed here on the real app must be declared for
its route, and no route carries FastAPI's own guess of a 422 body."""

from __future__ import annotations

from typing import Any

import httpx
from gateway_harness import Gateway

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]
JSON = {"content-type": "application/json"}


def observed(gateway: Gateway) -> list[tuple[str, str, int]]:
    """(method, route, status) of requests that end each way a route can end cheaply."""
    seen: list[tuple[str, str, int]] = []
    big = b"x" * (gateway.state.settings.max_body_bytes + 1)
    with gateway.client() as http, gateway.client(token=None) as anonymous:

        def record(method: str, route: str, response: httpx.Response) -> None:
            seen.append((method, route, response.status_code))

        record("get", "/health", http.get("/health"))
        record("post", "/pair", http.post("/pair", json={"code": "0000-0000"}))
        record("post", "/pair", http.post("/pair", json={}))
        record("post", "/pair", http.post("/pair", content=b"{", headers=JSON))
        for route in ("/metrics", "/v1/models", "/api/plugins/status"):
            record("get", route, http.get(route))
            record("get", route, anonymous.get(route))
        record("post", "/api/plugins/reload", http.post("/api/plugins/reload"))
        for model in ("zeroclaw", "nope/x"):
            record("get", "/v1/models/{model_id}", http.get(f"/v1/models/{model}"))
        record("get", "/v1/models/{model_id}", anonymous.get("/v1/models/zeroclaw"))
        for route, body in (("/webhook", {"message": "hi"}), (CHAT, {"model": "zeroclaw"})):
            record("post", route, anonymous.post(route, json=body))
            record("post", route, http.post(route, content=b"{", headers=JSON))
            record("post", route, http.post(route, json={**body, "session_id": "a/b"}))
            record("post", route, http.post(route, json={**body, "stream": "yes"}))
            record("post", route, http.post(route, content=big, headers=JSON))
        record("post", CHAT, http.post(CHAT, json={"model": "nope", "messages": HI}))
        record("post", CHAT, http.post(CHAT, json={"model": "zeroclaw", "messages": HI}))
        record("get", "/api/sessions/{session_id}", http.get("/api/sessions/a%2Fb"))
        record("get", "/api/sessions/{session_id}", http.get("/api/sessions/never-seen"))
        record("get", "/api/sessions/{session_id}", anonymous.get("/api/sessions/x"))
    return seen


def test_every_status_a_route_answers_is_declared(gateway: Gateway) -> None:
    schema: dict[str, Any] = httpx.get(f"{gateway.base_url}/openapi.json").json()
    seen = observed(gateway)

    undeclared = [
        (method, route, status)
        for method, route, status in seen
        if str(status) not in schema["paths"][route][method]["responses"]
    ]
    assert undeclared == []
    statuses = {status for _, _, status in seen}
    assert {200, 400, 401, 403, 404, 409, 413, 422} <= statuses


def test_errors_are_declared_in_the_gateways_shape_and_only_where_they_happen(
    gateway: Gateway,
) -> None:
    schema: dict[str, Any] = httpx.get(f"{gateway.base_url}/openapi.json").json()
    paths = schema["paths"]

    for operations in paths.values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorBody"}
    assert "HTTPValidationError" not in str(schema)
    assert sorted(paths["/health"]["get"]["responses"]) == ["200", "413", "500"]
    chat = paths[CHAT]["post"]["responses"]
    assert {"400", "401", "404", "413", "422", "429", "502", "503", "504"} <= set(chat)
    history = paths["/api/sessions/{session_id}"]["get"]["responses"]
    assert {"400", "401", "404", "429", "503"} <= set(history)
    assert "422" not in history
