"""What the routes of one gateway share, and the dependencies that hand it to them.

`GatewayState` is built once per server (see `lifecycle.server.build_state`) and hung on
`app.state.gateway`; routes get it, and the authenticated caller, through FastAPI
dependencies, so each route reads as: check the body, call the agent, shape the answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from zeroclaw.agent import AgentRuntime
from zeroclaw.gateway.auth import (
    Caller,
    TokenAuthenticator,
    bearer_token,
    hash_token,
    refused_request,
)
from zeroclaw.gateway.console.logins import ConsoleLogins
from zeroclaw.gateway.console.recorder import ConsoleRecorder
from zeroclaw.gateway.errors import RateLimited, StorageUnavailable, Unauthorized
from zeroclaw.gateway.fleet import FleetMember
from zeroclaw.gateway.model_choice import ModelCatalog
from zeroclaw.gateway.pairing import Pairing
from zeroclaw.gateway.ratelimit import CallerLimiter
from zeroclaw.gateway.settings import GatewaySettings
from zeroclaw.gateway.turns import GatewayTurns
from zeroclaw.memory import MemoryStoreError
from zeroclaw.memory.fleet.paired_tokens import PairedTokens


@dataclass(slots=True)
class GatewayState:
    settings: GatewaySettings
    runtime: AgentRuntime
    auth: TokenAuthenticator
    pairing: Pairing | None
    limiter: CallerLimiter
    turns: GatewayTurns
    models: ModelCatalog
    metrics: CollectorRegistry
    # the operator console (gateway.console.enabled); None when it is off
    console_logins: ConsoleLogins | None = None
    console_recorder: ConsoleRecorder | None = None
    # Set on PostgreSQL: this replica in the fleet, and the paired tokens it shares.
    fleet: FleetMember | None = None
    shared_tokens: PairedTokens | None = None
    started_at: float = field(default_factory=time.monotonic)
    stopping: bool = False


# async: FastAPI runs plain `def` dependencies in a thread pool, and these touch
# loop-owned state (the rate limiter) and are too cheap to be worth a thread hop.
async def gateway_state(request: Request) -> GatewayState:
    # By key: `state.gateway` reaches Starlette's `State.__getattr__` only after the
    # ordinary lookup has formatted (and dropped) an AttributeError, on every request.
    state = request.app.state["gateway"]
    assert isinstance(state, GatewayState)
    return state


State = Annotated[GatewayState, Depends(gateway_state)]


async def authenticated(request: Request, state: State) -> Caller:
    """The caller of a protected endpoint: a valid bearer token, within its rate limit."""
    token = bearer_token(request.headers.get("authorization"))
    caller = state.auth.verify(token)
    if caller is None and token and state.shared_tokens is not None:
        caller = await _paired_elsewhere(state, token)
    if caller is None:
        state.runtime.observer.record(refused_request("gateway", request))
        raise Unauthorized()
    try:
        wait = await state.limiter.take(caller.token_id)
    except MemoryStoreError as error:
        raise StorageUnavailable(error) from error
    if wait is not None:
        raise RateLimited(wait, state.settings.rate_limit_per_minute)
    return caller


async def _paired_elsewhere(state: GatewayState, token: str) -> Caller | None:
    """A token paired on another replica: known from then on here too."""
    assert state.shared_tokens is not None
    digest = hash_token(token)
    try:
        known = await state.shared_tokens.known(digest)
    except MemoryStoreError as error:
        raise StorageUnavailable(error) from error
    if not known:
        return None
    state.auth.add(digest)
    return state.auth.verify(token)


Authenticated = Annotated[Caller, Depends(authenticated)]
