"""What every host function shares: one plugin's view of the host, the runtime's services,
and the rule that a host function never raises into the guest.

Host functions never raise into the guest: an exception crossing into wasm traps the call
and kills the instance, for what is an ordinary failure (a key not found, a host not
allowed). Every function returns the WIT error value of its interface instead; anything
unexpected is logged and returned as that interface's generic error (`host_function`).

This module imports wasmtime only inside the functions that build WIT values.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from zeroclaw.named_env import ENVIRONMENT_ONLY, NamedEnv
from zeroclaw.plugins.contract.grants import Grants
from zeroclaw.plugins.host.kv_store import KvStore
from zeroclaw.plugins.host.log_limiter import LogLimiter
from zeroclaw.plugins.host.wit_values import HostCallError

if TYPE_CHECKING:
    from zeroclaw.memory import MemoryStore

__all__ = [
    "DEFAULT_RECALL_LIMIT",
    "ConsoleSink",
    "DeferredWrites",
    "HostServices",
    "PluginHostContext",
    "host_function",
    "plugin_settings",
    "resolve_secrets",
]

_log = logging.getLogger(__name__)

# The config's memory.recall_limit default; the runtime passes the configured value.
DEFAULT_RECALL_LIMIT = 5


class DeferredWrites(Protocol):
    """Where a guest's log and console lines wait while an inline-first attempt may still
    be abandoned (held_output.py's HeldOutput; a protocol here, as held_output writes
    through host/log.py, which builds on this module)."""

    def defer(self, write: Callable[[str, str], None], level: str, text: str) -> bool: ...


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
    `recall`. `env` is where the variables the config names for secrets and credentials
    are read: the config's (`Config.env`).
    """

    data_dir: Path
    memory: MemoryStore | None
    memory_recall_limit: int = DEFAULT_RECALL_LIMIT
    env: NamedEnv = ENVIRONMENT_ONLY
    _shared: _SharedState = field(
        default_factory=_SharedState, init=False, repr=False, compare=False
    )

    @property
    def kv_path(self) -> Path:
        return self.data_dir / "plugins" / "kv.db"

    def kv_store(self) -> KvStore:
        """The one kv store of this runtime, opened on first use."""
        with self._shared.lock:
            if self._shared.kv is None:
                self._shared.kv = KvStore.open(self.kv_path)
            return self._shared.kv

    def log_limiter(self, plugin: str) -> LogLimiter:
        """The log rate limiter of `plugin`, shared by all its instances."""
        with self._shared.lock:
            return self._shared.log_limiters.setdefault(plugin, LogLimiter())

    def close(self) -> None:
        with self._shared.lock:
            if self._shared.kv is not None:
                self._shared.kv.close()
                self._shared.kv = None


class ConsoleSink(Protocol):
    """Where `zeroclaw:host/console` puts what the guest says (host/console.py's
    GuestConsole)."""

    def write(self, level: str, text: str) -> None: ...

    def uncaught(self, kind: str, message: str, stack: str) -> None: ...

    def report_bad_result(self, problem: str) -> None: ...


@dataclass(frozen=True)
class PluginHostContext:
    """One plugin's view of the host.

    `settings`: the manifest's [config] overlaid by plugins.overrides.NAME.config
    (`plugin_settings`). `secrets`: granted secret name -> value (`resolve_secrets`).
    `deadline`: the `time.monotonic()` value by which the current call must end.
    `console`: where the guest's output and error reports go (`zeroclaw:host/console`).
    `held`: where log and console lines wait while an inline-first attempt may still be
    abandoned (host/held_output.py).
    """

    plugin: str
    grants: Grants
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    deadline: Callable[[], float]
    # Headers the host adds to this plugin's http requests (plugins.overrides.NAME.
    # http_credentials); the plugin never sees their values.
    credentials: tuple[HostCredential, ...] = ()
    console: ConsoleSink | None = None
    held: DeferredWrites | None = None


@dataclass(frozen=True, slots=True)
class HostCredential:
    """A header (`name: value`) the host adds to requests to exactly `host`."""

    host: str
    name: str
    value: str = field(repr=False)


def resolve_credentials(
    plugin: str, configured: Iterable[Any], env: NamedEnv
) -> tuple[HostCredential, ...]:
    """plugins.overrides.NAME.http_credentials with their values from the environment; one
    whose variable is unset or empty is left out (logged by name, never by value)."""
    found = []
    for credential in configured:
        value = env.getenv(credential.secret)
        if not value:
            _log.warning(
                "plugin %r: http credential for %s: environment variable %s is not set; "
                "requests go without it",
                plugin,
                credential.host,
                credential.secret,
            )
            continue
        found.append(HostCredential(credential.host, credential.header, credential.prefix + value))
    return tuple(found)


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


def resolve_secrets(
    plugin: str,
    declared: Iterable[str],
    grants: Grants,
    mapping: Mapping[str, str],
    env: NamedEnv,
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
        value = env.getenv(variable)
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
