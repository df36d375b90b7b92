"""The routes: each one checks its request (the models do), calls the agent or the
store, and shapes the answer. Nothing else happens here.

  GET  /health                no auth: liveness, no secrets
  POST /pair                  no auth: the one-time pairing code -> a bearer token
  GET  /metrics               Prometheus text of the runtime's metrics
  POST /webhook               {message, session_id?} -> the agent's reply
  POST /v1/chat/completions   OpenAI Chat Completions, whole or streamed (SSE)
  GET  /v1/models             the model names /v1/chat/completions accepts
  GET  /api/sessions/{id}     a session's stored history
  GET  /api/plugins/status    the plugin generation serving, its plugins, the last reloads
  POST /api/plugins/reload    reload the plugins now (as SIGHUP does) -> how it ended
  GET  /openapi.json          the schema of all of the above
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.background import BackgroundTask

from zeroclaw import __version__
from zeroclaw.agent import TurnResult
from zeroclaw.agent.loop import OnText
from zeroclaw.gateway.auth import Caller
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
from zeroclaw.gateway.errors import (
    InvalidRequest,
    InvalidSessionId,
    NotFound,
    PairingRefused,
    PluginsDisabled,
    TooManyMessages,
    install_error_handlers,
)
from zeroclaw.gateway.openai_api import (
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    RequestMessage,
    completion_id,
)
from zeroclaw.gateway.pairing import PairingCodeError
from zeroclaw.gateway.plugin_bodies import PluginReloadResult, PluginsStatus
from zeroclaw.gateway.session_ids import SessionId, session_id_problem
from zeroclaw.gateway.state import Authenticated, GatewayState, State
from zeroclaw.gateway.streaming import completion_stream
from zeroclaw.messages import ChatMessage

SESSION_HEADER = "X-Session-Id"

_ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody} for status in (400, 401, 404, 409, 413, 422, 429, 502, 503, 504)
}

router = APIRouter()


def create_app(state: GatewayState) -> FastAPI:
    app = FastAPI(
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
    app.include_router(router, responses=_ERRORS)
    return app


# -- open endpoints -----------------------------------------------------------------------


@router.get("/health", response_model=HealthResponse, tags=["gateway"])
async def health(state: State) -> HealthResponse:
    return HealthResponse(
        status="stopping" if state.stopping else "ok",
        version=__version__,
        uptime_s=round(time.monotonic() - state.started_at, 3),
    )


@router.post("/pair", response_model=PairResponse, tags=["gateway"])
async def pair(body: PairRequest, state: State) -> PairResponse:
    if state.pairing is None:
        raise NotFound("pairing is off (gateway.pairing = false); use a configured token")
    try:
        token = state.pairing.exchange(body.code)
    except PairingCodeError as error:
        raise PairingRefused(str(error)) from None
    return PairResponse(token=token)


# -- protected endpoints ------------------------------------------------------------------


@router.get("/metrics", response_class=Response, tags=["gateway"])
async def metrics(caller: Authenticated, state: State) -> Response:
    return Response(generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.post("/webhook", response_model=WebhookResponse, tags=["gateway"])
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


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}},
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
    text, seed = _turn_input(body.messages)
    choice = state.models.resolve(body.model)
    named = x_session_id or body.session_id or _user_session(body.user)
    session_id = named or _new_session_id("openai")
    sender = _recipient(caller)

    def run_turn(on_text: OnText | None = None) -> Coroutine[Any, Any, TurnResult]:
        return state.turns.answer(
            session_id,
            text,
            sender=sender,
            model=choice,
            seed=seed,
            on_text=on_text,
            one_off=named is None,
        )

    headers = {SESSION_HEADER: session_id}
    if body.stream:
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        events = completion_stream(
            run_turn,
            completion_id=completion_id(),
            model=body.model,
            include_usage=include_usage,
            on_done=lambda result: state.turns.delivered(result, recipient=sender),
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    result = await run_turn()
    completion = ChatCompletion.of(result, model=body.model)
    return JSONResponse(
        completion.model_dump(mode="json"),
        headers=headers,
        background=_delivered(state, result, caller),
    )


@router.get("/v1/models", response_model=ModelList, tags=["openai"])
async def models(caller: Authenticated, state: State) -> ModelList:
    return ModelList(data=[ModelCard(id=name, owned_by="zeroclaw") for name in state.models.ids()])


@router.get(
    # :path: an id with a slash reaches the route, to be refused by the grammar with a 400
    # rather than be a 404 for a route that seems not to exist.
    "/api/sessions/{session_id:path}",
    response_model=SessionHistory,
    tags=["gateway"],
)
async def session_history(session_id: SessionId, caller: Authenticated, state: State) -> Response:
    memory = state.runtime.memory

    def history() -> bytes:
        info = memory.get_session(session_id)
        if info is None:
            raise NotFound(f"no session {session_id!r} in memory")
        return (
            SessionHistory.of(info, memory.session_messages(session_id)).model_dump_json().encode()
        )

    # A long session is many rows to read and convert: done off the event loop, which
    # goes on serving everyone else meanwhile.
    return Response(await asyncio.to_thread(history), media_type="application/json")


@router.get("/api/plugins/status", response_model=PluginsStatus, tags=["plugins"])
async def plugins_status(caller: Authenticated, state: State) -> PluginsStatus:
    reloader = state.runtime.reloader
    return PluginsStatus.disabled() if reloader is None else PluginsStatus.of(reloader.status())


@router.post("/api/plugins/reload", response_model=PluginReloadResult, tags=["plugins"])
async def reload_plugins(caller: Authenticated, state: State) -> PluginReloadResult:
    """200 whether the candidate was swapped in or refused: `swapped` and `reason` say."""
    reloader = state.runtime.reloader
    if reloader is None:
        raise PluginsDisabled()
    return PluginReloadResult.of(await reloader.reload_async("api"))


# -- translation ----------------------------------------------------------------------------


def _turn_input(messages: list[RequestMessage]) -> tuple[str, list[ChatMessage]]:
    """The last user message (the turn's input) and the conversation before it."""
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    if not users:
        raise InvalidRequest("messages has no user message: the last one is the agent's input")
    last_user = users[-1]
    text = messages[last_user].text()
    if not text.strip():
        raise InvalidRequest(f"messages[{last_user}] (the last user message) has no text")
    seed = [
        ChatMessage("user" if m.role == "user" else "assistant", m.text())
        for m in messages[:last_user]
        # The agent has its own system prompt and tools: only the dialogue carries over.
        if m.role in ("user", "assistant") and m.text()
    ]
    return text, seed


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
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _recipient(caller: Caller) -> str:
    return f"token:{caller.token_id}"


def _delivered(state: GatewayState, result: TurnResult, caller: Caller) -> BackgroundTask:
    """Runs once the body is sent: only then was the reply delivered."""

    # async: a sync background task would run in a worker thread, outside the event loop
    # that void hooks are dispatched on.
    async def deliver() -> None:
        state.turns.delivered(result, recipient=_recipient(caller))

    return BackgroundTask(deliver)
