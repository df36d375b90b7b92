"""Calling the example plugins directly through wasmtime, as the host would."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from wasmtime.component import Component, Instance, Linker, Record

from zeroclaw.plugins.authoring.build import BuildResult
from zeroclaw.plugins.wasm.engine import PluginEngine

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "plugins"
# Compiled components, kept between runs: compiling a 12-18 MB guest takes seconds.
COMPILE_CACHE = ROOT / ".cache" / "test-example-plugins"
HANDLER = "zeroclaw:hooks/handler@1.0.0"
NAMES = ("redact-secrets", "guard-shell", "compaction-floor")

Built = dict[str, BuildResult | str]


def build_of(built: Built, name: str) -> BuildResult:
    """The example's build, or a skip saying which toolchain is missing."""
    result = built[name]
    if isinstance(result, str):
        pytest.skip(f"{name} not built: {result}")
    return result


@dataclass
class Guest:
    """One instance of a hook plugin in a real Store with an epoch deadline, its log lines
    captured (zeroclaw:host/log and zeroclaw:host/console are linked for the plugins that
    import them)."""

    engine: PluginEngine
    component: Component
    timeout_ms: float = 5_000
    logs: list[tuple[str, str]] = field(default_factory=list)
    errors: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        linker = Linker(self.engine.engine)
        with linker.root() as root:
            with root.add_instance("zeroclaw:host/log@1.0.0") as log:
                log.add_func("log", self._log)
            # The build wraps Python and JavaScript guests in zeroclaw:host/console.
            with root.add_instance("zeroclaw:host/console@1.0.0") as console:
                console.add_func("write", lambda _s, level, text: self.logs.append((level, text)))
                console.add_func("uncaught", lambda _s, error: self.errors.append(error))
                console.add_func("bad-result", lambda _s, problem: self.errors.append(problem))
        self.store = wasmtime.Store(self.engine.engine)
        self.store.set_epoch_deadline(self.engine.deadline(self.timeout_ms))
        self.instance: Instance = linker.instantiate(self.store, self.component)

    def _log(self, _store: object, level: str, message: str) -> None:
        self.logs.append((level, message))

    def call(self, name: str, *args: object) -> Any:
        interface = self.component.get_export_index(HANDLER)
        index = self.component.get_export_index(name, interface)
        assert index is not None, f"{HANDLER} exports no {name}"
        func = self.instance.get_func(self.store, index)
        assert func is not None
        self.store.set_epoch_deadline(self.engine.deadline(self.timeout_ms))
        return func(self.store, *args)


def record(**fields: object) -> Record:
    """A WIT record: keyword names in snake_case become the WIT's kebab-case names."""
    value = Record()
    for name, item in fields.items():
        setattr(value, name.replace("_", "-"), item)
    return value
