"""Types and helpers shared by the plugin runtime tests and their conftest (a module of its
own: test modules cannot import `conftest` reliably when several test dirs have one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeroclaw.observability.events import ObserverEvent
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot

MakePlugin = Callable[..., Path]
MakeRegistry = Callable[..., PluginRegistry]
LoadPlugins = Callable[..., PluginSnapshot]


class Recorder:
    """An observer that keeps every event (a real Observer, not a mock)."""

    def __init__(self) -> None:
        self.events: list[ObserverEvent] = []

    def record(self, event: ObserverEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]
