"""The host side of `zeroclaw:host@1.0.0`: what a plugin may call back into.

One module per WIT interface (`log`, `kv`, `config`, `http`, `memory`, see
wit/zeroclaw/host/v1/), each with plain Python functions that do the work and a `link`
that defines them on a wasmtime linker instance. `link_host_interfaces` is the only entry
point the runtime needs.

Host functions never raise into the guest: an exception crossing into wasm traps the call
and kills the instance, for what is an ordinary failure (a key not found, a host not
allowed). Every function returns the WIT error value of its interface instead; anything
unexpected is logged and returned as that interface's generic error (`host_function`).
Every function also re-checks the plugin's grant, although `check_imports` has already
refused a component importing an interface it was not granted.

This package imports wasmtime only inside the functions that link or build WIT values.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.capabilities import HOST_PACKAGE, Grants, check_imports

if TYPE_CHECKING:
    import wasmtime.component

    from zeroclaw.memory import MemoryStore
    from zeroclaw.plugins.host.kv import KvStore
    from zeroclaw.plugins.host.log import LogLimiter

__all__ = [
    "DEFAULT_RECALL_LIMIT",
    "HostCallError",
    "HostServices",
    "PluginHostContext",
    "host_function",
    "link_host_interfaces",
    "plugin_settings",
    "resolve_secrets",
    "wit_record",
]

_log = logging.getLogger(__name__)

# The config's memory.recall_limit default; the runtime passes the configured value.
DEFAULT_RECALL_LIMIT = 5


class _SharedState:
    """State the host functions of every plugin share for the runtime's lifetime."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kv: KvStore | None = None
        self.log_limiters: dict[str, LogLimiter] = {}


@dataclass(frozen=True)
class HostServices:
    """What host functions may reach; built once per runtime.

    Plugin kv lives under `data_dir / "plugins"`. `memory` is the agent's memory, for the
    memory interface (None: the memory interface answers with a storage error).
    `memory_recall_limit` is the configured `memory.recall_limit`, which caps a plugin's
    `recall`.
    """

    data_dir: Path
    memory: MemoryStore | None
    memory_recall_limit: int = DEFAULT_RECALL_LIMIT
    _shared: _SharedState = field(
        default_factory=_SharedState, init=False, repr=False, compare=False
    )

    @property
    def kv_path(self) -> Path:
        return self.data_dir / "plugins" / "kv.db"

    def kv_store(self) -> KvStore:
        """The one kv store of this runtime, opened on first use."""
        from zeroclaw.plugins.host.kv import KvStore

        with self._shared.lock:
            if self._shared.kv is None:
                self._shared.kv = KvStore.open(self.kv_path)
            return self._shared.kv

    def log_limiter(self, plugin: str) -> LogLimiter:
        """The log rate limiter of `plugin`, shared by all its instances."""
        from zeroclaw.plugins.host.log import LogLimiter

        with self._shared.lock:
            return self._shared.log_limiters.setdefault(plugin, LogLimiter())

    def close(self) -> None:
        with self._shared.lock:
            if self._shared.kv is not None:
                self._shared.kv.close()
                self._shared.kv = None


@dataclass(frozen=True)
class PluginHostContext:
    """One plugin's view of the host.

    `settings`: the manifest's [config] overlaid by plugins.overrides.NAME.config
    (`plugin_settings`). `secrets`: granted secret name -> value (`resolve_secrets`).
    `deadline`: the `time.monotonic()` value by which the current call must end.
    """

    plugin: str
    grants: Grants
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    deadline: Callable[[], float]


class HostCallError(Exception):
    """A failure to hand back to the guest as the case `case` of the interface's WIT error
    variant, with `payload` (None for a case without one)."""

    def __init__(self, case: str, payload: object = None) -> None:
        super().__init__(f"{case}: {payload}" if payload is not None else case)
        self.case = case
        self.payload = payload

    def wit_value(self) -> Any:
        from wasmtime.component import Variant

        return Variant(self.case, self.payload)


def wit_record(fields: Mapping[str, Any]) -> Any:
    """A WIT record value; `fields` are keyed by their WIT (kebab-case) names."""
    from wasmtime.component import Record

    record = Record()
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def host_function(
    context: PluginHostContext,
    name: str,
    call: Callable[..., Any],
    fallback: Callable[[], Any],
) -> Callable[..., Any]:
    """`call` as a wasmtime host function `fn(store, *args)` that never raises.

    A `HostCallError` becomes its WIT error value; any other exception is a host bug: it is
    logged and the guest gets `fallback()` (the interface's generic error).
    """

    def run(_store: object, *args: Any) -> Any:
        try:
            return call(*args)
        except HostCallError as error:
            return error.wit_value()
        except Exception:
            _log.exception("plugin %r: host function %s failed", context.plugin, name)
            return fallback()

    return run


def link_host_interfaces(
    linker: wasmtime.component.Linker,
    imports: Iterable[str],
    context: PluginHostContext,
    services: HostServices,
) -> None:
    """Define on `linker` every zeroclaw:host interface named in `imports`.

    `imports` are the component's real import names (`zeroclaw:host/kv@1.0.0`); other
    packages (WASI) are left to the caller. An interface the plugin was not granted is
    refused here too (`ImportNotGrantedError`), although the loader checked already.
    """
    from zeroclaw.plugins.host.config import link as link_config
    from zeroclaw.plugins.host.http import link as link_http
    from zeroclaw.plugins.host.kv import link as link_kv
    from zeroclaw.plugins.host.log import link as link_log
    from zeroclaw.plugins.host.memory import link as link_memory

    linkers: dict[str, Callable[[Any, PluginHostContext, HostServices], None]] = {
        "log": link_log,
        "kv": link_kv,
        "config": link_config,
        "http": link_http,
        "memory": link_memory,
    }
    host_imports = list(dict.fromkeys(n for n in imports if n.startswith(HOST_PACKAGE + "/")))
    check_imports(host_imports, context.grants)
    with linker.root() as root:
        for name in host_imports:
            interface = name.partition("/")[2].partition("@")[0]
            with root.add_instance(name) as instance:
                linkers[interface](instance, context, services)


def resolve_secrets(
    plugin: str, declared: Iterable[str], grants: Grants, mapping: Mapping[str, str]
) -> dict[str, str]:
    """Secret name -> value for each name the plugin declared and was granted.

    `mapping` is plugins.overrides.PLUGIN.secrets (name -> environment variable). A name
    without a mapping, or whose variable is unset or empty, is left out: the plugin's
    `get-secret` then answers `not-set`. Values are never logged.
    """
    granted = grants.secrets
    found: dict[str, str] = {}
    for name in declared:
        variable = mapping.get(name)
        if name not in granted or variable is None:
            continue
        value = os.environ.get(variable)
        if value:
            found[name] = value
        else:
            _log.debug(
                "plugin %r: secret %s is granted but environment variable %s is not set",
                plugin,
                name,
                variable,
            )
    return found


def plugin_settings(
    manifest_config: Mapping[str, Any], override: Mapping[str, Any]
) -> dict[str, Any]:
    """The manifest's [config] with the user's override laid over it.

    Tables merge key by key, at any depth; any other value in `override` replaces the
    manifest's. Neither argument is changed.
    """
    merged = copy.deepcopy(dict(manifest_config))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = plugin_settings(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
