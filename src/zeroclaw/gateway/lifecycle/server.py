"""The gateway's life: build it from a config, serve, and stop cleanly on a signal.

Start: the socket is bound (lifecycle.bind), uvicorn starts serving on it, then
GatewayStarted(host, port) is recorded (-> on_gateway_start) and `on_started` announces
the address and the pairing code.

Stop (SIGTERM, SIGINT, or `server.should_exit = True`):
  1. stop accepting connections; idle keep-alive connections are closed;
  2. requests in flight get `gateway.shutdown_grace_s` to finish, then are cancelled
     (what a cancelled turn already stored stays stored: every write commits at once);
  3. every session this process served ends (-> on_session_end);
  4. GatewayStopped is recorded, exactly once (-> on_gateway_stop);
  5. the runtime closes: pending void hooks drain (bounded by hooks.drain_timeout_ms),
     then the memory store closes.
A signal is the normal way to stop a server, so it ends with exit status 0. A second
SIGINT skips the wait of step 2.

SIGHUP reloads the plugins (as POST /api/plugins/reload does, but on this replica only),
on the reloader's thread: the server goes on serving, on the old plugins until the new
ones pass every check.

On PostgreSQL the server is a replica of a fleet (gateway/fleet.py): it registers itself
once it serves and withdraws before the runtime closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator, Sequence
from types import FrameType

import uvicorn
from prometheus_client import CollectorRegistry

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.config import Config
from zeroclaw.gateway.app import create_app
from zeroclaw.gateway.auth import (
    TOKEN_ENV,
    TokenAuthenticator,
    check_credentials_possible,
    hash_token,
)
from zeroclaw.gateway.console.logins import ConsoleLogins
from zeroclaw.gateway.console.recorder import ConsoleRecorder
from zeroclaw.gateway.fleet import FleetMember, new_replica_id
from zeroclaw.gateway.lifecycle.bind import bind_socket, bound_port, check_bind
from zeroclaw.gateway.model_choice import ModelCatalog
from zeroclaw.gateway.pairing import Pairing
from zeroclaw.gateway.ratelimit import CallerLimiter, RateLimiter
from zeroclaw.gateway.state import GatewayState
from zeroclaw.gateway.turns import GatewayTurns
from zeroclaw.memory.fleet.paired_tokens import PairedTokens
from zeroclaw.memory.fleet.rate_limits import SharedRateLimits
from zeroclaw.observability import (
    GatewayStarted,
    GatewayStopped,
    PrometheusObserver,
    find_observer,
)

OnStarted = Callable[[str, int, GatewayState], None]

_LOG = logging.getLogger("zeroclaw.gateway")

# Cancelled requests get this long to unwind before the store they write to closes.
_CANCELLED_UNWIND_S = 2.0


def configured_authenticator(config: Config) -> TokenAuthenticator:
    """The tokens of the config, plus ZEROCLAW_GATEWAY_TOKEN (from the environment or the
    config's .env file, hashed on the way in)."""
    digests = list(config.gateway.tokens)
    from_env = config.env.getenv(TOKEN_ENV)
    if from_env:
        digests.append(hash_token(from_env))
    return TokenAuthenticator(digests)


def metrics_observer(config: Config) -> PrometheusObserver | None:
    """A PrometheusObserver to add to the runtime when the config has none, so /metrics
    always has something to serve (the runtime keeps the configured one otherwise)."""
    if "prometheus" in config.observability.backends:
        return None
    return PrometheusObserver()


def build_state(
    config: Config,
    runtime: AgentRuntime,
    *,
    auth: TokenAuthenticator,
    metrics: CollectorRegistry,
    console: ConsoleRecorder | None = None,
) -> GatewayState:
    """`console`: the recorder the runtime was built with (`console_recorder`); None turns
    the console off."""
    settings = config.gateway
    # One process on SQLite keeps these to itself; replicas on PostgreSQL share them.
    shared = not runtime.memory.location.is_sqlite
    database = runtime.memory.database
    shared_limits = SharedRateLimits(database, settings.rate_limit_per_minute)
    limiter: CallerLimiter = (
        shared_limits if shared else RateLimiter(settings.rate_limit_per_minute)
    )
    return GatewayState(
        settings=settings,
        runtime=runtime,
        auth=auth,
        pairing=Pairing(auth) if settings.pairing else None,
        limiter=limiter,
        turns=GatewayTurns(runtime, timeout_s=settings.request_timeout_s),
        models=ModelCatalog(config.llm, plugins_enabled=config.plugins.enabled),
        metrics=metrics,
        console_logins=ConsoleLogins(settings.console.session_ttl_s) if console else None,
        console_recorder=console,
        fleet=(
            FleetMember(runtime.memory, runtime.reloader, new_replica_id(), limits=shared_limits)
            if shared
            else None
        ),
        shared_tokens=PairedTokens(database) if shared else None,
    )


def console_recorder(config: Config) -> ConsoleRecorder | None:
    """The console's observer, to add to the runtime, when the console is on."""
    return ConsoleRecorder() if config.gateway.console.enabled else None


class GatewayServer(uvicorn.Server):
    """uvicorn's server, with the gateway's start and stop around it (module docstring)."""

    def __init__(
        self,
        state: GatewayState,
        sock: socket.socket,
        *,
        host: str,
        on_started: OnStarted | None = None,
        log_level: str | None = "info",
    ) -> None:
        app = create_app(state)
        super().__init__(
            uvicorn.Config(
                app,
                lifespan="off",
                timeout_graceful_shutdown=state.settings.shutdown_grace_s,
                log_config=None if log_level is None else uvicorn.config.LOGGING_CONFIG,
                log_level=log_level,
                access_log=log_level is not None,
                server_header=False,
            )
        )
        self.state = state
        self.host = host
        self.port = bound_port(sock)
        self._socket = sock
        self._on_started = on_started
        self._closed = False

    async def serve(self, sockets: Sequence[socket.socket] | None = None) -> None:
        try:
            await super().serve(sockets=[self._socket])
        finally:
            # Startup may have failed before shutdown had a chance to close the runtime.
            await self._close(announce_stop=False)

    async def startup(self, sockets: Sequence[socket.socket] | None = None) -> None:
        await super().startup(sockets=list(sockets) if sockets is not None else None)
        if not self.started:
            return
        runtime = self.state.runtime
        runtime.start_heartbeat()
        if self.state.console_recorder is not None:
            self.state.console_recorder.attach()
        if self.state.fleet is not None:
            await self.state.fleet.join(f"http://{_reachable(self.host)}:{self.port}")
        runtime.observer.record(GatewayStarted(self.host, self.port))
        if self._on_started is not None:
            self._on_started(self.host, self.port, self.state)

    async def shutdown(self, sockets: Sequence[socket.socket] | None = None) -> None:
        self.state.stopping = True
        try:
            await super().shutdown(sockets=list(sockets) if sockets is not None else None)
            await self._unwind_cancelled()
        finally:
            await self._close(announce_stop=True)

    async def _unwind_cancelled(self) -> None:
        # uvicorn cancels requests still running after the grace period but does not wait
        # for them; they must be done before the memory store closes under them.
        running = set(self.server_state.tasks)
        if running:
            await asyncio.wait(running, timeout=_CANCELLED_UNWIND_S)

    async def _close(self, *, announce_stop: bool) -> None:
        if self._closed:
            return
        self._closed = True
        runtime = self.state.runtime
        if self.state.console_recorder is not None:
            self.state.console_recorder.detach()
        try:
            if self.state.fleet is not None:
                await self.state.fleet.leave()
            if announce_stop:
                self.state.turns.end_sessions()
                runtime.observer.record(GatewayStopped())
        finally:
            await runtime.aclose()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the signal after a graceful stop, which would end the process
        # with status -15 (or a KeyboardInterrupt); a signal is how a server is asked to
        # stop, so a clean stop after one exits 0.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        if hasattr(signal, "SIGHUP"):  # not on Windows
            original[signal.SIGHUP] = signal.signal(signal.SIGHUP, self.reload_plugins)
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def reload_plugins(self, sig: int, frame: FrameType | None) -> None:
        """SIGHUP: ask for a plugin reload and return at once (a signal handler must not
        wait for one)."""
        reloader = self.state.runtime.reloader
        if reloader is None:
            _LOG.warning(
                "SIGHUP: plugins are disabled (plugins.enabled = false), nothing to reload"
            )
            return
        _LOG.info("SIGHUP: reloading the plugins")
        reloader.request("signal")


def _reachable(host: str) -> str:
    """The address other hosts reach a server bound to `host` at (a wildcard bind is
    reached by the machine's name)."""
    return socket.gethostname() if host in ("0.0.0.0", "::", "") else host


def open_gateway(
    config: Config,
    *,
    host: str,
    port: int,
    on_started: OnStarted | None = None,
    log_level: str | None = "info",
) -> GatewayServer:
    """Everything `zeroclaw gateway` runs: a bound socket, the runtime (with a metrics
    observer) and the server around them, ready for `server.run()`."""
    auth = configured_authenticator(config)
    # Checked and bound before the runtime opens anything: a refused or busy address
    # leaves nothing to clean up.
    check_credentials_possible(auth, pairing=config.gateway.pairing)
    check_bind(host, has_tokens=auth.has_tokens)
    sock = bind_socket(host, port)
    try:
        extra = metrics_observer(config)
        console = console_recorder(config)
        runtime = AgentRuntime.from_config(
            config,
            # Nobody is at a console to approve a tool call: supervised calls are refused
            # (tools.autonomy = "full" runs them without asking).
            approver=DenyApprover(),
            extra_observers=[o for o in (extra, console) if o is not None],
        )
    except BaseException:
        sock.close()
        raise
    try:
        prometheus = extra or find_observer(runtime.observer, PrometheusObserver)
        assert prometheus is not None, "the config names prometheus, so the runtime has one"
        state = build_state(
            config, runtime, auth=auth, metrics=prometheus.registry, console=console
        )
        return GatewayServer(state, sock, host=host, on_started=on_started, log_level=log_level)
    except BaseException:
        sock.close()
        runtime.close()
        raise
