"""The console's live stream (GET /ui/events): server-sent events that tell an open page
what changed, so it fetches the part it shows again (htmx) instead of being reloaded.

  event: plugins   a plugin's state, breaker or errors changed, or a reload swapped
  event: reloads   a reload ended (swapped or rolled back); data: {"generation": N}
  event: turns     a turn finished (a session has new messages)

The stream compares a small fingerprint every `gateway.console.live_interval_ms`: the
serving generation, each plugin's state and the recorder's counters. The first look sends
every event, so a page catches up with whatever changed between its rendering and its
connecting. It ends when the gateway stops (so it never holds up a graceful shutdown) or
the browser goes away; EventSource reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroclaw.gateway.console.recorder import ConsoleRecorder
    from zeroclaw.gateway.state import GatewayState

# A comment line now and then: proxies close streams that stay silent.
_KEEPALIVE_EVERY = 15


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


def _event(name: str, data: Mapping[str, object]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def live_events(state: GatewayState, recorder: ConsoleRecorder) -> AsyncIterator[bytes]:
    interval = state.settings.console.live_interval_ms / 1000
    yield b"retry: 2000\n\n"
    last: _Look | None = None
    quiet = 0.0
    while not state.stopping:
        now = _look(state, recorder)
        data = {"generation": now.generation}
        sent = False
        if last is None or (now.generation, now.plugin_states, now.plugins) != (
            last.generation,
            last.plugin_states,
            last.plugins,
        ):
            yield _event("plugins", data)
            sent = True
        if last is None or (now.generation, now.reloads) != (last.generation, last.reloads):
            yield _event("reloads", data)
            sent = True
        if last is None or now.turns != last.turns:
            yield _event("turns", {"turns": now.turns})
            sent = True
        last = now
        quiet = 0.0 if sent else quiet + interval
        if quiet >= _KEEPALIVE_EVERY:
            quiet = 0.0
            yield b": keep-alive\n\n"
        await asyncio.sleep(interval)
