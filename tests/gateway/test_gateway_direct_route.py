"""DirectRoute serves only the shape it reads by hand; any other route is refused when
the app is built, not served with checks missing (the answers it gives are in
test_gateway_request_matrix.py)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Header, Response
from gateway_harness import Gateway

from zeroclaw.gateway.app import turn_router
from zeroclaw.gateway.auth import Caller
from zeroclaw.gateway.direct_route import DirectRoute
from zeroclaw.gateway.openai_api import ChatCompletionRequest
from zeroclaw.gateway.state import Authenticated, State, authenticated


def test_the_turn_routes_are_direct() -> None:
    paths = {route.path for route in turn_router.routes if isinstance(route, DirectRoute)}
    assert paths == {"/v1/chat/completions", "/v1/responses"}


def test_a_route_with_a_query_parameter_is_refused() -> None:
    router = APIRouter(route_class=DirectRoute)

    async def endpoint(
        body: ChatCompletionRequest, caller: Authenticated, state: State, page: int = 1
    ) -> Response:
        return Response()

    with pytest.raises(TypeError, match="DirectRoute serves"):
        router.post("/x")(endpoint)


def test_a_route_with_two_headers_is_refused() -> None:
    router = APIRouter(route_class=DirectRoute)

    async def endpoint(
        body: ChatCompletionRequest,
        caller: Authenticated,
        a: Annotated[str | None, Header()] = None,
        b: Annotated[str | None, Header()] = None,
    ) -> Response:
        return Response()

    with pytest.raises(TypeError, match="DirectRoute serves"):
        router.post("/x")(endpoint)


def test_a_route_without_a_body_is_refused() -> None:
    router = APIRouter(route_class=DirectRoute)

    async def endpoint(caller: Authenticated, state: State) -> Response:
        return Response()

    with pytest.raises(TypeError, match="DirectRoute serves"):
        router.post("/x")(endpoint)


def test_a_body_embedded_under_its_name_or_optional_is_refused() -> None:
    router = APIRouter(route_class=DirectRoute)

    async def embedded(
        body: Annotated[ChatCompletionRequest, Body(embed=True)], caller: Authenticated
    ) -> Response:
        return Response()

    async def optional(body: ChatCompletionRequest | None = None) -> Response:
        return Response()

    for endpoint in (embedded, optional):
        with pytest.raises(TypeError, match="DirectRoute serves"):
            router.post("/x")(endpoint)


def test_a_dependency_of_the_including_router_is_refused_not_skipped() -> None:
    router = APIRouter(route_class=DirectRoute)

    @router.post("/x")
    async def endpoint(body: ChatCompletionRequest, caller: Authenticated) -> Response:
        return Response()

    async def audit() -> None:
        return None

    app = FastAPI()
    app.include_router(router, dependencies=[Depends(audit)])
    # FastAPI builds an included route's handler when it is first needed.
    with pytest.raises(TypeError, match="DirectRoute serves"):
        app.openapi()


def test_a_dependency_override_is_applied(gateway: Gateway) -> None:
    app = gateway.server.config.app
    app.dependency_overrides[authenticated] = lambda: Caller(token_id="stand-in")
    try:
        with gateway.client(token=None) as client:
            response = client.post(
                "/v1/chat/completions",
                json={"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]},
            )
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200, response.text
    with gateway.client(token=None) as client:
        refused = client.post(
            "/v1/chat/completions",
            json={"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert refused.status_code == 401
