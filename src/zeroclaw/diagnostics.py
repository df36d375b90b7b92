"""What `zeroclaw doctor` checks: config, data dir, memory database, audit log, workspace,
each provider the agent may use (key present, server reachable) and, when plugins are
enabled, the plugin runtime (wasmtime importable, plugin dirs present, each plugin loads).
Each check is independent and returns a `Check`; one failing check never hides the others.

The databases (memory, and the plugin kv store when it exists, whether plugins are on or
not) get SQLite's own integrity check, read-only, before anything opens them for writing:
a damaged file is reported with its path and the way to recover it, never touched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx

from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.errors import ZeroClawError
from zeroclaw.memory import MemoryStore, MemoryStoreError, check_integrity, require_writable_dir
from zeroclaw.memory.errors import recovery_hint
from zeroclaw.observability import AuditLogError, check_audit_path
from zeroclaw.providers import ProviderFactory

if TYPE_CHECKING:
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
    from zeroclaw.plugins.loading.loader import PluginStatus

Status = Literal["ok", "warn", "fail"]
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str


Probe = Callable[[ProviderConfig, str | None], str]


def run_checks(config: Config, *, source: str, probe: Probe | None = None) -> list[Check]:
    """Every check, in order. `probe` reaches a provider (None: skip network checks)."""
    checks = [Check("config", "ok", source)]
    checks.append(_check_writable("data dir", config.data_dir, key="data_dir"))
    checks.append(_check_writable("workspace", config.workspace, key="tools.workspace"))
    checks.append(_check_memory(config))
    checks.append(_check_audit(config))
    checks.extend(_check_plugin_kv(config))
    checks.extend(_check_providers(config, probe))
    checks.extend(_check_plugins(config))
    return checks


def _check_writable(name: str, path: Path, *, key: str) -> Check:
    try:
        require_writable_dir(path, what=name, key=key)
    except MemoryStoreError as exc:
        return Check(name, "fail", str(exc))
    return Check(name, "ok", str(path))


def _check_memory(config: Config) -> Check:
    try:
        location = config.memory_location()
    except ZeroClawError as exc:
        return Check("memory", "fail", str(exc))
    path = location.path
    integrity = _check_integrity("memory", path) if path is not None and path.is_file() else None
    if integrity is not None and integrity.status == "fail":
        return integrity
    try:
        # Opening migrates the database to this ZeroClaw's schema, as any start would.
        with MemoryStore.open(location) as memory:
            sessions = len(memory.blocking(memory.list_sessions(limit=1000)))
    except (ZeroClawError, OSError) as exc:
        return Check("memory", "fail", str(exc))
    detail = f"{location.display} ({sessions} session(s))"
    if integrity is None:
        return Check("memory", "ok", detail)
    return Check("memory", integrity.status, f"{detail}, {integrity.detail}")


def _check_audit(config: Config) -> Check:
    """The audit log's file opens for appending and its directory for rotation, as a start
    needs (a start with an unwritable audit.path stops before doing anything)."""
    if not config.audit.enabled:
        return Check("audit log", "ok", "off (audit.enabled = false)")
    try:
        check_audit_path(config.audit_path)
    except AuditLogError as exc:
        return Check("audit log", "fail", str(exc))
    return Check("audit log", "ok", str(config.audit_path))


def _check_plugin_kv(config: Config) -> Iterator[Check]:
    # Where plugins/host keeps the plugins' kv store (HostServices.kv_path); not imported
    # from there, so that the doctor with plugins disabled never imports the plugin runtime.
    path = config.data_dir / "plugins" / "kv.db"
    if path.is_file():
        check = _check_integrity("plugin kv", path)
        yield check if check.status == "fail" else replace(check, detail=f"{path}, {check.detail}")


def _check_integrity(name: str, path: Path) -> Check:
    """SQLite's integrity check of the file at `path`: ok, not checked (warn), or damaged
    (fail, with the path and how to recover)."""
    report = check_integrity(path)
    if report.unchecked is not None:
        return Check(name, "warn", f"integrity not checked: {report.unchecked}")
    if report.ok:
        return Check(name, "ok", f"{report.check} ok")
    return Check(
        name,
        "fail",
        f"{path} is damaged (PRAGMA {report.check}: {'; '.join(report.problems)})"
        f"\n  hint: {recovery_hint(path)}",
    )


def _provider_chain(config: Config) -> Iterator[str]:
    seen: set[str] = set()
    routed = [route.provider for route in config.llm.routes.values()]
    for name in [config.llm.provider, *config.llm.fallbacks, *routed]:
        if name not in seen:
            seen.add(name)
            yield name


def _check_providers(config: Config, probe: Probe | None) -> Iterator[Check]:
    for name in _provider_chain(config):
        label = f"provider {name}"
        provider = config.llm.providers.get(name)
        if provider is None and config.plugins.enabled:
            # Not a native provider: a provider plugin must answer to it (`plugins` check).
            yield Check(label, "ok", "resolved from the provider plugins (see the plugins check)")
            continue
        if provider is None:
            yield Check(
                label,
                "fail",
                "not defined in [llm.providers] (and plugins are off, so no plugin provides it)",
            )
            continue
        key = config.env.getenv(provider.api_key_env) if provider.api_key_env else None
        if provider.api_key_env and not key:
            yield Check(
                label,
                "fail",
                f"{provider.api_key_env} is set neither in the environment nor in the .env file",
            )
            continue
        if provider.kind == "offline":
            yield Check(label, "ok", "offline (built in, not a language model)")
        elif provider.kind == "scripted":
            ok = provider.script is not None and provider.script.is_file()
            yield Check(label, "ok" if ok else "fail", f"script {provider.script}")
        elif probe is None:
            yield Check(label, "ok", f"{provider.kind} at {provider.base_url} (not probed)")
        else:
            try:
                yield Check(label, "ok", probe(provider, key))
            except (httpx.HTTPError, ZeroClawError) as exc:
                yield Check(label, "warn", f"{provider.base_url} unreachable: {exc}")


def probe_provider(provider: ProviderConfig, key: str | None) -> str:
    """GET the provider's model list: proves the server answers and the key is accepted."""
    base = (provider.base_url or "").rstrip("/")
    if provider.kind == "anthropic":
        url, headers = (
            f"{base}/v1/models",
            {"x-api-key": key or "", "anthropic-version": "2023-06-01"},
        )
    else:
        url, headers = f"{base}/models", {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(url, headers=headers, timeout=PROBE_TIMEOUT_S)
    if response.status_code in (401, 403):
        raise ZeroClawError(f"the server refused the API key (HTTP {response.status_code})")
    return f"{provider.kind} at {base}: HTTP {response.status_code}"


def _check_plugins(config: Config) -> Iterator[Check]:
    """With plugins disabled, one line (and wasmtime is not imported); enabled: wasmtime,
    each plugin dir, then a real load of every plugin, as the agent would load them."""
    if not config.plugins.enabled:
        yield Check("plugins", "ok", "disabled (plugins.enabled = false)")
        return
    try:
        from importlib.metadata import version

        import wasmtime  # noqa: F401
    except ImportError:
        yield Check("plugins", "fail", "wasmtime is not installed: pip install 'zeroclaw[plugins]'")
        return
    yield Check("plugins", "ok", f"enabled, wasmtime {version('wasmtime')}")
    yield _check_native_code()
    if not config.plugins.dirs:
        yield Check("plugin dirs", "warn", "plugins.dirs is empty: no plugin can load")
    for directory in config.plugins.dirs:
        exists = directory.is_dir()
        yield Check(
            f"plugin dir {directory}",
            "ok" if exists else "warn",
            "found" if exists else "does not exist (plugins.dirs)",
        )
    yield from _check_plugin_loads(config)


def _check_native_code() -> Check:
    """Which of the plugin runtime's two native parts this install runs (scripts/install
    builds them; each has a slower Python fallback, taken silently at run time)."""
    from zeroclaw.plugins.wasm import conversion, native_ticker

    parts = {
        "epoch ticker": native_ticker.load() is not None,
        "call path": conversion.NATIVE is not None,
    }
    detail = ", ".join(f"{name} {'native' if built else 'Python'}" for name, built in parts.items())
    if all(parts.values()):
        return Check("plugin native code", "ok", detail)
    return Check(
        "plugin native code",
        "warn",
        f"{detail}: plugin calls are slower"
        "\n  hint: run scripts/install with a C compiler and the Python headers "
        "(Debian: apt install gcc python3-dev); unset ZEROCLAW_PYTHON_TICKER and "
        "ZEROCLAW_PYTHON_CALLS",
    )


def _check_plugin_loads(config: Config) -> Iterator[Check]:
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    try:
        with PluginRegistry.for_config(config) as registry:
            snapshot = registry.build(config.plugins, strict=False)
            try:
                checks = [_plugin_check(status) for status in snapshot.statuses]
                checks.append(_plugin_providers_check(config, snapshot))
            finally:
                snapshot.close()
    except ZeroClawError as exc:
        yield Check("plugins load", "fail", exc.message)
        return
    yield from checks
    for problem in snapshot.required_problems:
        yield Check("required plugin", "fail", problem)


def _plugin_providers_check(config: Config, snapshot: PluginSnapshot) -> Check:
    """Every provider the config names resolves, native or from these plugins."""
    try:
        ProviderFactory(config.llm, env=config.env).for_plugins(snapshot.provider).build()
    except ZeroClawError as exc:
        return Check("providers with plugins", "fail", exc.message)
    return Check("providers with plugins", "ok", "every configured provider resolves")


def _plugin_check(status: PluginStatus) -> Check:
    label = f"plugin {status.name}"
    if status.state == "disabled":
        return Check(label, "ok", "disabled (plugins.overrides.NAME.enabled = false)")
    if status.error is not None or status.plugin is None:
        message = status.error.message if status.error is not None else "did not load"
        return Check(label, "fail", message)
    plugin = status.plugin
    cache = "compile cache hit" if plugin.from_cache else "compiled"
    detail = f"{plugin.version} {plugin.package} loads ({cache}, {plugin.load_ms:.0f} ms)"
    if plugin.warnings:
        return Check(label, "warn", f"{detail}; " + "; ".join(plugin.warnings))
    return Check(label, "ok", detail)
