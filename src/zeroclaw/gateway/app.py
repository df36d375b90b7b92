"""The routes: each one checks its request (the models do), calls the agent or the
store, and shapes the answer. Nothing else happens here.

  GET  /health                no auth: liveness, no secrets
  POST /pair                  no auth: the one-time pairing code -> a bearer token
  GET  /metrics               Prometheus text of the runtime's metrics
  POST /webhook               {message, session_id?} -> the agent's reply
  POST /v1/chat/completions   OpenAI Chat Completions, whole or streamed (SSE)
  POST /v1/responses          OpenAI Responses, whole or streamed (SSE)
  GET  /v1/models             the model names /v1/chat/completions accepts
  GET  /v1/models/{id}        one of them (404 for a name it would refuse)
  GET  /api/sessions/{id}     a session's stored history
  GET  /api/plugins/status    the plugin generation serving, its plugins, the last reloads
  POST /api/plugins/reload    reload the plugins now (and, on PostgreSQL, on every
                              replica) -> how it ended here
  POST /mcp                   MCP (streamable HTTP), when gateway.mcp.enabled (mcp_endpoint)
  GET  /openapi.json          the schema of all of the above
  GET  /ui ...                the operator console (console/routes.py), when
                              gateway.console.enabled; not in the schema
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from openai.types import Model
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.background import BackgroundTask

from zeroclaw import __version__
from zeroclaw.agent import TurnResult
from zeroclaw.gateway.auth import Caller, hash_token, refused_pairing
from zeroclaw.gateway.bodies import (
    ErrorBody,
    HealthResponse,
    PairRequest,
    PairResponse,
    SessionHistory,
    WebhookRequest,
    WebhookResponse,
)
from zeroclaw.gateway.body_limit import BodyLimit
from zeroclaw.gateway.chat_input import turn_input
from zeroclaw.gateway.chat_params import NAMES as CHAT_NAMES
from zeroclaw.gateway.chat_params import chat_steering, refuse_unknown
from zeroclaw.gateway.chat_replies import (
    ChunkMaker,
    GatewayChatCompletion,
    ModelList,
    chat_completion,
    completion_id,
    model_card,
)
from zeroclaw.gateway.chat_stream import completion_stream
from zeroclaw.gateway.direct_route import DirectRoute
from zeroclaw.gateway.errors import (
    InvalidSessionId,
    NotFound,
    PairingRefused,
    PluginsDisabled,
    StorageUnavailable,
    TooManyMessages,
    install_error_handlers,
)
from zeroclaw.gateway.lane import GatewayApp
from zeroclaw.gateway.mcp_endpoint import install_mcp_endpoint
from zeroclaw.gateway.openai_api import ChatCompletionRequest
from zeroclaw.gateway.pairing import PairingCodeError
from zeroclaw.gateway.plugin_bodies import PluginReloadResult, PluginsStatus
from zeroclaw.gateway.response_ids import continued_session, record_response
from zeroclaw.gateway.responses_api import ResponseRequest
from zeroclaw.gateway.responses_input import response_input
from zeroclaw.gateway.responses_params import NAMES, response_steering
from zeroclaw.gateway.responses_replies import GatewayResponse, ResponseDraft, reply_text
from zeroclaw.gateway.responses_stream import response_stream
from zeroclaw.gateway.session_ids import SessionId, session_id_problem
from zeroclaw.gateway.sse import event_stream
from zeroclaw.gateway.state import Authenticated, GatewayState, State
from zeroclaw.memory import MemoryStoreError

SESSION_HEADER = "X-Session-Id"

# What each error status means on this gateway; a route declares the ones it can return,
# so /openapi.json is a true list (docs/gateway.md#errors has the codes).
_STATUS_MEANING = {
    400: "Not JSON (invalid_json), an invalid session id (invalid_session_id), more than "
    "gateway.max_messages (too_many_messages), a parameter out of range (invalid_value), a "
    "parameter the gateway or the chosen provider would not honour (unsupported_parameter), "
    "an image, audio or file part (unsupported_content), a client tool named like an agent "
    "tool (tool_name_conflict), tool results that answer no pending call "
    "(invalid_tool_results), an unknown previous_response_id (previous_response_not_found), "
    "or no usable input",
    401: "Missing or invalid bearer token (invalid_api_key)",
    403: "Wrong, used or burned pairing code (pairing_refused)",
    404: "Unknown model, session, or pairing off (model_not_found, not_found)",
    409: "Plugins are disabled (plugins_disabled)",
    413: "Body over gateway.max_body_bytes (body_too_large)",
    422: "Wrong types or fields; each problem is named (invalid_body)",
    429: "Over gateway.rate_limit_per_minute; see Retry-After (rate_limit_exceeded)",
    500: "A bug of the gateway (internal_error)",
    502: "The agent or its provider failed (agent_failed)",
    503: "A required plugin is quarantined (required_plugin_unavailable), or the memory "
    "database cannot be used (storage_unavailable)",
    504: "The turn took longer than gateway.request_timeout_s (request_timeout)",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorBody, "description": _STATUS_MEANING[status]} for status in statuses
    }


# Every route: the body limit runs before any of them, and a bug answers 500.
_EVERY_ROUTE = _errors(413, 500)
# A protected route: the token, then its rate limit.
_PROTECTED = (401, 429)
# A turn of the agent: its body, its session, and everything a turn can end with.
_TURN = (400, *_PROTECTED, 422, 502, 503, 504)

router = APIRouter()
# The agent's turns, the hot path: their requests are read without dependency solving
# (direct_route.py), with the same checks and answers. Matched first, as the busiest.
turn_router = APIRouter(route_class=DirectRoute)


def create_app(state: GatewayState) -> FastAPI:
    # The turn routes are served by a lane past the framework's pass-through layers
    # (lane.py); everything else, and those routes whenever the lane cannot be exact, as
    # FastAPI serves it.
    app = GatewayApp(
        title="ZeroClaw gateway",
        version=__version__,
        description="The agent over HTTP: webhook, OpenAI-compatible API, sessions, metrics.",
        # The interactive docs pages load scripts from a CDN; the schema is enough here.
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = state
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=state.settings.max_body_bytes)
    app.include_router(turn_router, responses=_EVERY_ROUTE)
    app.include_router(router, responses=_EVERY_ROUTE)
    install_mcp_endpoint(app, state)
    if state.console_logins is not None:
        from zeroclaw.gateway.console.routes import install_console

        install_console(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented hook
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without its guess: it adds a 422 of its own shape
    (HTTPValidationError) to any route with a parameter, even where a bad value is a
    400 (the session id of /api/sessions/{id}); our routes declare their own."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for operations in schema["paths"].values():
            for operation in operations.values():
                guessed = operation["responses"].get("422", {})
                if "HTTPValidationError" in str(guessed):
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


# -- open endpoints -----------------------------------------------------------------------


@router.get("/health", response_model=HealthResponse, tags=["gateway"])
async def health(state: State) -> HealthResponse:
    return HealthResponse(
        status="stopping" if state.stopping else "ok",
        version=__version__,
        uptime_s=round(time.monotonic() - state.started_at, 3),
    )


@router.post(
    "/pair", response_model=PairResponse, responses=_errors(400, 403, 404, 422), tags=["gateway"]
)
async def pair(body: PairRequest, state: State, request: Request) -> PairResponse:
    if state.pairing is None:
        state.runtime.observer.record(refused_pairing(request, "pairing is off"))
        raise NotFound("pairing is off (gateway.pairing = false); use a configured token")
    try:
        token = state.pairing.exchange(body.code)
    except PairingCodeError as error:
        state.runtime.observer.record(refused_pairing(request, str(error)))
        raise PairingRefused(str(error)) from None
    if state.shared_tokens is not None and state.fleet is not None:
        # Known to every replica: the load balancer may send the next request elsewhere.
        try:
            await state.shared_tokens.add(hash_token(token), paired_by=state.fleet.replica_id)
        except MemoryStoreError as error:
            raise StorageUnavailable(error) from error
    return PairResponse(token=token)


# -- protected endpoints ------------------------------------------------------------------


@router.get("/metrics", response_class=Response, responses=_errors(*_PROTECTED), tags=["gateway"])
async def metrics(caller: Authenticated, state: State) -> Response:
    return Response(generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.post(
    "/webhook", response_model=WebhookResponse, responses=_errors(*_TURN), tags=["gateway"]
)
async def webhook(body: WebhookRequest, caller: Authenticated, state: State) -> Response:
    session_id = body.session_id or _new_session_id("webhook")
    result = await state.turns.answer(
        session_id, body.message, sender=_recipient(caller), one_off=body.session_id is None
    )
    return JSONResponse(
        WebhookResponse.of(result).model_dump(mode="json"),
        headers={SESSION_HEADER: session_id},
        background=_delivered(state, result, caller),
    )


@turn_router.post(
    "/v1/chat/completions",
    response_model=GatewayChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}, **_errors(*_TURN, 404)},
    tags=["openai"],
)
async def chat_completions(
    body: ChatCompletionRequest,
    caller: Authenticated,
    state: State,
    x_session_id: Annotated[SessionId | None, Header()] = None,
) -> Response:
    if len(body.messages) > state.settings.max_messages:
        raise TooManyMessages(len(body.messages), state.settings.max_messages)
    refuse_unknown(body.model_extra, endpoint="/v1/chat/completions")
    steering = chat_steering(body)
    asked = turn_input(body.messages)
    choice = state.models.resolve(body.model)
    named = x_session_id or body.session_id or _user_session(body.user)
    session_id = named or _new_session_id("openai")
    sender = _recipient(caller)

    run_turn = state.turns.runner(
        session_id,
        asked,
        sender=sender,
        model=choice,
        one_off=named is None,
        steering=steering,
        names=CHAT_NAMES,
    )

    headers = {SESSION_HEADER: session_id}
    if body.stream:
        state.turns.check(steering, model=choice, names=CHAT_NAMES)
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        events = completion_stream(
            run_turn,
            chunks=ChunkMaker(completion=completion_id(), model=body.model),
            include_usage=include_usage,
            on_done=lambda result: state.turns.delivered(result, recipient=sender),
        )
        return event_stream(events, headers=headers, grace_s=state.settings.shutdown_grace_s)
    result = await run_turn()
    return Response(
        chat_completion(result, model=body.model),
        media_type="application/json",
        headers=headers,
        background=_delivered(state, result, caller),
    )


@turn_router.post(
    "/v1/responses",
    response_model=GatewayResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **_errors(*_TURN, 404)},
    tags=["openai"],
)
async def responses(
    body: ResponseRequest,
    caller: Authenticated,
    state: State,
    x_session_id: Annotated[SessionId | None, Header()] = None,
) -> Response:
    """The Responses API on the same turns as chat completions: `previous_response_id`
    continues that response's session; `function_call_output` items resume a turn that
    stopped on calls of the client's tools."""
    if not isinstance(body.input, str) and len(body.input) > state.settings.max_messages:
        raise TooManyMessages(len(body.input), state.settings.max_messages, field="input")
    steering = response_steering(body)
    asked = response_input(body.input)
    choice = state.models.resolve(body.model)
    memory = state.runtime.memory
    named = x_session_id or body.session_id
    continued = await continued_session(memory, body.previous_response_id, named=named)
    named = named or _user_session(body.user)
    session_id = named or continued or _new_session_id("responses")
    sender = _recipient(caller)
    draft = ResponseDraft(body)

    async def still_latest() -> None:
        # Again once the session is ours: requests racing to continue one response all
        # pass the check above, and each would run on the others' turns (no fork).
        await continued_session(memory, body.previous_response_id, named=None)

    # A conversation the client did not name ends with each turn; the next response that
    # continues it starts it again (its history is in memory).
    run_turn = state.turns.runner(
        session_id,
        asked,
        sender=sender,
        model=choice,
        one_off=named is None,
        steering=steering,
        names=NAMES,
        precondition=still_latest if continued is not None else None,
        after=lambda result: record_response(memory, draft.id, result),
    )

    headers = {SESSION_HEADER: session_id}
    if body.stream:
        state.turns.check(steering, model=choice, names=NAMES)
        events = response_stream(
            run_turn,
            draft=draft,
            on_done=lambda result: state.turns.delivered(result, recipient=sender),
        )
        return event_stream(events, headers=headers, grace_s=state.settings.shutdown_grace_s)
    result = await run_turn()
    response = draft.finished(result, text=reply_text(result))
    return JSONResponse(
        response.model_dump(mode="json", exclude_unset=True),
        headers=headers,
        background=_delivered(state, result, caller),
    )


@router.get("/v1/models", response_model=ModelList, responses=_errors(*_PROTECTED), tags=["openai"])
async def models(caller: Authenticated, state: State) -> ModelList:
    return ModelList(data=[model_card(name) for name in state.models.ids()])


@router.get(
    # :path: model ids hold slashes ("offline/offline", "openrouter/openai/gpt-4o").
    "/v1/models/{model_id:path}",
    response_model=Model,
    responses=_errors(*_PROTECTED, 404),
    tags=["openai"],
)
async def model(model_id: str, caller: Authenticated, state: State) -> Model:
    """A model /v1/chat/completions accepts: one GET /v1/models lists, or any PROVIDER/MODEL
    of a configured provider; 404 (model_not_found) otherwise."""
    state.models.resolve(model_id)
    return model_card(model_id)


@router.get(
    # :path: an id with a slash reaches the route, to be refused by the grammar with a 400
    # rather than be a 404 for a route that seems not to exist.
    "/api/sessions/{session_id:path}",
    response_model=SessionHistory,
    responses=_errors(400, *_PROTECTED, 404, 503),
    tags=["gateway"],
)
async def session_history(session_id: SessionId, caller: Authenticated, state: State) -> Response:
    memory = state.runtime.memory
    # Read on the storage loop; this loop serves everyone else meanwhile.
    info = await memory.get_session(session_id)
    if info is None:
        raise NotFound(f"no session {session_id!r} in memory")
    stored = await memory.session_messages(session_id)
    calls = await memory.session_tool_calls(session_id)
    # A long session is many rows to convert: done off the event loop too.
    body = await asyncio.to_thread(
        lambda: SessionHistory.of(info, stored, calls).model_dump_json().encode()
    )
    return Response(body, media_type="application/json")


@router.get(
    "/api/plugins/status",
    response_model=PluginsStatus,
    responses=_errors(*_PROTECTED),
    tags=["plugins"],
)
async def plugins_status(caller: Authenticated, state: State) -> PluginsStatus:
    reloader = state.runtime.reloader
    status = PluginsStatus.disabled() if reloader is None else PluginsStatus.of(reloader.status())
    if state.fleet is not None:
        status.replica = state.fleet.replica_id
    return status


@router.post(
    "/api/plugins/reload",
    response_model=PluginReloadResult,
    responses=_errors(*_PROTECTED, 409),
    tags=["plugins"],
)
async def reload_plugins(caller: Authenticated, state: State) -> PluginReloadResult:
    """200 whether the candidate was swapped in or refused: `swapped` and `reason` say.
    On PostgreSQL every other replica is asked to reload too (`fleet_notified`)."""
    reloader = state.runtime.reloader
    if reloader is None:
        raise PluginsDisabled()
    result = PluginReloadResult.of(await reloader.reload_async("api"))
    if state.fleet is not None:
        result.fleet_notified = await state.fleet.announce_reload()
    return result


# -- translation ----------------------------------------------------------------------------


def _user_session(user: str | None) -> str | None:
    """`user` as the session id (when no other is given): it must fit the grammar too."""
    if not user:
        return None
    if (problem := session_id_problem(user)) is not None:
        raise InvalidSessionId(
            f"user: {problem}. `user` names the session when neither X-Session-Id nor "
            "session_id is sent: send a valid one of those, or a `user` that fits"
        )
    return user


def _new_session_id(prefix: str) -> str:
    return f"{prefix}-{os.urandom(8).hex()}"


def _recipient(caller: Caller) -> str:
    return f"token:{caller.token_id}"


def _delivered(state: GatewayState, result: TurnResult, caller: Caller) -> BackgroundTask:
    """Runs once the body is sent: only then was the reply delivered."""
    return _Delivery(state, result, caller)


class _Delivery(BackgroundTask):
    """`turns.delivered` as a response's background task. Starlette's BackgroundTask asks
    of its function whether it is async (an `inspect` walk) on every response; this one
    is known to be, and it runs on the event loop that void hooks are dispatched on (a
    sync background task would run in a worker thread)."""

    def __init__(self, state: GatewayState, result: TurnResult, caller: Caller) -> None:
        self._state = state
        self._result = result
        self._caller = caller

    async def __call__(self) -> None:
        self._state.turns.delivered(self._result, recipient=_recipient(self._caller))
