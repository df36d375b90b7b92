"""The console's live stream (GET /ui/events): server-sent events that tell an open page
what changed, so it fetches the part it shows again (htmx) instead of being reloaded.

  event: plugins   a plugin's state, breaker or errors changed, or a reload swapped
  event: reloads   a reload ended (swapped or rolled back); data: {"generation": N}
  event: turns     a turn finished (a session has new messages)

The stream compares a small fingerprint every `gateway.console.live_interval_ms`: the
serving generation, each plugin's state and the recorder's counters. The first look sends
every event, so a page catches up with whatever changed between its rendering and its
connecting. It ends when the gateway stops (so it never holds up a graceful shutdown) or
the browser goes away; EventSource reconnects by itself. It goes out as the gateway's
other streams do (`sse.py`: sse-starlette, a keep-alive comment while nothing changes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sse_starlette import ServerSentEvent

from zeroclaw.gateway.sse import SEP, event

if TYPE_CHECKING:
    from zeroclaw.gateway.console.recorder import ConsoleRecorder
    from zeroclaw.gateway.state import GatewayState

# How soon a browser reconnects after the stream ends (a restart, a stop).
_RETRY_MS = 2000


@dataclass(frozen=True, slots=True)
class _Look:
    generation: int
    plugin_states: tuple[tuple[str, str], ...]
    plugins: int
    reloads: int
    turns: int


def _look(state: GatewayState, recorder: ConsoleRecorder) -> _Look:
    registry = state.runtime.plugins
    generation = 0
    plugin_states: tuple[tuple[str, str], ...] = ()
    if registry is not None:
        snapshot = registry.current()
        generation = snapshot.generation
        plugin_states = tuple((s.name, s.current_state) for s in snapshot.statuses)
    versions = recorder.versions()
    return _Look(generation, plugin_states, versions.plugins, versions.reloads, versions.turns)


async def live_events(
    state: GatewayState, recorder: ConsoleRecorder
) -> AsyncIterator[ServerSentEvent]:
    interval = state.settings.console.live_interval_ms / 1000
    yield ServerSentEvent(retry=_RETRY_MS, sep=SEP)
    last: _Look | None = None
    while not state.stopping:
        now = _look(state, recorder)
        data = {"generation": now.generation}
        if last is None or (now.generation, now.plugin_states, now.plugins) != (
            last.generation,
            last.plugin_states,
            last.plugins,
        ):
            yield event(data, name="plugins")
        if last is None or (now.generation, now.reloads) != (last.generation, last.reloads):
            yield event(data, name="reloads")
        if last is None or now.turns != last.turns:
            yield event({"turns": now.turns}, name="turns")
        last = now
        await asyncio.sleep(interval)
