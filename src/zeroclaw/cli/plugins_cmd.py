"""`zeroclaw plugins`: check a plugin, and see what the configured plugins are and do.

`validate PATH` runs every load step on one plugin directory under the current config
(grants and limits come from it) and lists every problem. `list` and `info NAME` load the
configured plugins afresh in this process: states, grants and limits are what the agent
would get; call counters start at zero here (a running agent's live counters are in its
metrics). Loading needs wasmtime (`pip install 'zeroclaw[plugins]'`); nothing here imports
it before a command runs.

`reload` and `status` talk to a running gateway (its /api/plugins endpoints, with a bearer
token); `approve NAME` works on the approvals file in the data dir, gateway or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
import typer
from pydantic import BaseModel, ValidationError
from rich.markup import escape

from zeroclaw.cli.plugins_build_cmd import build, new
from zeroclaw.cli.state import err_console, state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.config.models import PluginsConfig
from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.auth import TOKEN_ENV
from zeroclaw.gateway.plugin_bodies import PluginReloadResult, PluginsStatus
from zeroclaw.gateway.settings import GatewaySettings
from zeroclaw.plugins.capabilities import Grants, Refusal, grants_for_plugin
from zeroclaw.plugins.errors import ManifestError
from zeroclaw.plugins.manifest import MANIFEST_FILE, PluginManifest, load_manifest
from zeroclaw.plugins.permissions import ApprovalStore

if TYPE_CHECKING:
    from zeroclaw.plugins.loader import LoadedPlugin, PluginStatus
    from zeroclaw.plugins.registry import PluginSnapshot

plugins_app = typer.Typer(
    help="Validate, list, inspect, reload and approve WebAssembly plugins.",
    no_args_is_help=True,
)
plugins_app.command("build")(build)
plugins_app.command("new")(new)


class PluginsUnavailableError(ZeroClawError):
    """The plugin runtime cannot run here (wasmtime missing)."""


@plugins_app.command("validate")
def validate(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="The plugin's directory (the one holding plugin.toml).")
    ],
) -> None:
    """Run every load step on one plugin under the current config: manifest, ABI, grants,
    compile, exports, imports, instantiate, self-describe. Exit 0 with a summary, or 1 with
    every problem found."""
    config = state_of(ctx).config()
    directory = path.parent if path.name == MANIFEST_FILE else path
    with user_errors():
        _require_wasmtime()
        from zeroclaw.plugins.loader import LoadContext, engine_settings, validate_plugin
        from zeroclaw.plugins.registry import PluginRegistry

        with PluginRegistry.for_config(config) as registry:
            context = LoadContext(
                config=config.plugins,
                engine=registry.engine(engine_settings(config.plugins, [directory])),
                services=registry.services,
            )
            result = validate_plugin(directory, context)
            if result.plugin is not None:
                result.plugin.calls.close()
    if not result.ok:
        for problem in result.problems:
            err_console.print(f"[bold red]error:[/] {escape(problem.message)}", highlight=False)
            if problem.hint:
                err_console.print(f"  [yellow]hint:[/] {escape(problem.hint)}", highlight=False)
        raise typer.Exit(1)
    plugin = result.plugin
    assert plugin is not None
    typer.echo(
        f"OK: {plugin.name} {plugin.version} {plugin.package}, "
        f"grants: {_capabilities(plugin.grants.granted)}; {_provides(plugin)}"
    )
    for refusal in plugin.grants.refused:
        typer.echo(f"  not granted: {refusal.capability} ({_refusal_text(refusal)})")
    for warning in plugin.warnings:
        typer.echo(f"  warning: {warning}")


@plugins_app.command("list")
def list_plugins(ctx: typer.Context) -> None:
    """Every plugin in plugins.dirs: name, version, package, state and what it provides."""
    config = state_of(ctx).config()
    with _loaded(config) as snapshot:
        if not config.plugins.enabled:
            typer.echo("plugins.enabled = false: the agent loads none of these.")
        if not snapshot.statuses:
            typer.echo(f"No plugins found in plugins.dirs ({_dirs(config)}).")
        for status in snapshot.statuses:
            typer.echo(_status_line(status))
        _echo_notes(snapshot)


@plugins_app.command("info")
def info(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The plugin's name (from its plugin.toml).")],
) -> None:
    """One plugin in detail: requested vs granted capabilities, effective limits, state,
    events, breaker and call counters."""
    config = state_of(ctx).config()
    with _loaded(config) as snapshot:
        status = snapshot.status(name)
        if status is None:
            known = ", ".join(s.name for s in snapshot.statuses) or "none"
            with user_errors():
                raise ZeroClawError(
                    f"no plugin named {name!r} in plugins.dirs (found: {known})",
                    hint="`zeroclaw plugins list` shows them",
                )
        for line in _info_lines(status):
            typer.echo(line)


GatewayUrl = Annotated[
    str | None,
    typer.Option(
        "--url", help="The running gateway's base URL (default: gateway.host and gateway.port)."
    ),
]
GatewayToken = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        show_envvar=True,
        help="A bearer token the gateway accepts.",
    ),
]


@plugins_app.command("reload")
def reload(ctx: typer.Context, url: GatewayUrl = None, token: GatewayToken = None) -> None:
    """Make a running gateway reload its plugins (as SIGHUP does) and show how it ended:
    the new generation serving, or why the running plugins stay (exit 1)."""
    config = state_of(ctx).config()
    with user_errors():
        body = _gateway_call(config.gateway, "POST", "/api/plugins/reload", url, token)
        result = _answer(PluginReloadResult, body, url or _gateway_url(config.gateway))
    for line in _reload_lines(result):
        typer.echo(line)
    if not result.swapped:
        raise typer.Exit(1)


@plugins_app.command("status")
def status(ctx: typer.Context, url: GatewayUrl = None, token: GatewayToken = None) -> None:
    """A running gateway's plugins: the generation serving, each plugin's state and grants,
    the last reload and the last failed one (with its reason)."""
    config = state_of(ctx).config()
    with user_errors():
        body = _gateway_call(config.gateway, "GET", "/api/plugins/status", url, token)
        answer = _answer(PluginsStatus, body, url or _gateway_url(config.gateway))
    for line in _status_lines(answer):
        typer.echo(line)


@plugins_app.command("approve")
def approve(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The plugin's name (from its plugin.toml).")],
) -> None:
    """Approve the capabilities plugin NAME is granted under the current config, for
    plugins.require_approval_for_new_capabilities. Works offline: it writes the approvals
    file in the data dir, and a running gateway applies it at its next reload."""
    config = state_of(ctx).config()
    with user_errors():
        _require_wasmtime()
        manifest = _find_manifest(config.plugins, name)
        grants = grants_for_plugin(manifest.name, manifest.requested_capabilities, config.plugins)
        store = ApprovalStore.for_data_dir(config.data_dir)
        approval = store.approve(name, [str(c) for c in grants.granted])
    typer.echo(
        f"approved {name} {manifest.version}: grants {', '.join(approval.grants) or 'none'} "
        f"({approval.grant_hash[:19]}...) in {store.path}"
    )
    for refusal in grants.refused:
        typer.echo(f"  not granted (not approved either): {refusal.capability}")
    typer.echo("A running gateway serves it from its next reload: `zeroclaw plugins reload`.")
    if not config.plugins.require_approval_for_new_capabilities:
        typer.echo(
            "note: plugins.require_approval_for_new_capabilities is off: reloads do not "
            "check approvals"
        )


# -- the running gateway -----------------------------------------------------------------------


def _gateway_url(settings: GatewaySettings) -> str:
    """Where the gateway of `settings` answers locally (a wildcard bind -> loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


def _gateway_call(
    settings: GatewaySettings, method: str, path: str, url: str | None, token: str | None
) -> Any:
    base = (url or _gateway_url(settings)).rstrip("/")
    if not token:
        raise ZeroClawError(
            "no token for the gateway",
            hint=f"pass --token, or set {TOKEN_ENV} (the token itself, not its hash)",
        )
    if not (token.isascii() and token.isprintable()):
        raise ZeroClawError(
            "the gateway token holds characters an HTTP header cannot carry (non-ASCII, "
            "control characters or a line break)",
            hint=f"pass the token `zeroclaw gateway hash-token` printed (zc_...) with --token "
            f"or {TOKEN_ENV}",
        )
    try:
        response = httpx.request(
            method,
            base + path,
            headers={"Authorization": f"Bearer {token}"},
            # a reload compiles and instantiates every plugin: give it the turn timeout
            timeout=settings.request_timeout_s,
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
        raise ZeroClawError(
            f"{base} is not a gateway URL: {exc}",
            hint="pass the gateway's base URL with --url, e.g. http://127.0.0.1:8080",
        ) from None
    except httpx.HTTPError as exc:
        raise ZeroClawError(
            f"no answer from a gateway at {base}: {exc}",
            hint="start one with `zeroclaw gateway`, or pass its address with --url",
        ) from None
    if response.status_code == 401:
        raise ZeroClawError(
            f"the gateway at {base} refused the token",
            hint=f"pass a token it accepts with --token or {TOKEN_ENV}",
        )
    if response.is_error:
        raise ZeroClawError(
            f"the gateway at {base} answered {response.status_code}: " + _error_message(response)
        )
    try:
        return response.json()
    except ValueError:
        raise _not_a_gateway(base, "its answer is not JSON") from None


_Answer = TypeVar("_Answer", bound=BaseModel)


def _answer(model: type[_Answer], body: Any, base: str) -> _Answer:
    """The gateway's answer as `model`; anything else did not come from a ZeroClaw gateway
    (of this version)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _not_a_gateway(
            base.rstrip("/"),
            f"its answer is not a {model.__name__} ({exc.error_count()} problem(s))",
        ) from None


def _not_a_gateway(base: str, why: str) -> ZeroClawError:
    return ZeroClawError(
        f"{base} does not look like a ZeroClaw gateway: {why}",
        hint="check --url (the gateway's base URL, e.g. http://127.0.0.1:8080) and that "
        "the gateway runs the same ZeroClaw version",
    )


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _find_manifest(config: PluginsConfig, name: str) -> PluginManifest:
    from zeroclaw.plugins.loader import plugin_directories

    directories, _ = plugin_directories(config.dirs)
    found = []
    for directory in directories:
        try:
            manifest = load_manifest(directory)
        except ManifestError:
            continue
        if manifest.name == name:
            return manifest
        found.append(manifest.name)
    raise ZeroClawError(
        f"no plugin named {name!r} in plugins.dirs (found: {', '.join(found) or 'none'})",
        hint="`zeroclaw plugins list` shows them",
    )


def _reload_lines(result: PluginReloadResult) -> Iterator[str]:
    if result.swapped:
        yield (
            f"reloaded: generation {result.generation} serves {result.plugins} plugin(s) "
            f"(replacing {result.previous_generation}) in {result.duration_ms:.0f} ms"
        )
    else:
        yield f"rolled back: generation {result.generation} keeps serving"
        yield f"  reason: {result.reason}"
    yield from _report_details(result)


def _report_details(result: PluginReloadResult) -> Iterator[str]:
    for problem in result.problems:
        if problem != result.reason:
            yield f"  failed: {problem}"
    for change in result.permission_changes:
        changes = [f"+{g}" for g in change.added] + [f"-{g}" for g in change.removed]
        kind = "new plugin" if change.new_plugin else "grants"
        yield f"  {change.plugin}: {kind} {' '.join(changes)}"
    for name in result.awaiting_approval:
        yield f"  awaiting approval: {name} (`zeroclaw plugins approve {name}`, then reload)"
    for line in result.still_failing:
        yield f"  still failing (not serving before either): {line}"


def _status_lines(status: PluginsStatus) -> Iterator[str]:
    if not status.enabled:
        yield "plugins.enabled = false: the gateway loads no plugins."
        return
    watching = ", ".join(status.watching) or "nothing"
    hot = f"on, watching {watching}" if status.hot_reload else "off (reload on demand)"
    yield f"generation {status.generation}, {len(status.plugins)} plugin(s); hot reload: {hot}"
    if status.watcher_error:
        yield f"watcher stopped: {status.watcher_error}"
    if status.require_approval_for_new_capabilities:
        yield "new capabilities need approval (plugins.require_approval_for_new_capabilities)"
    if status.serving_blocker:
        yield f"NOT SERVING (503): {status.serving_blocker}"
    counts = status.reloads
    yield f"reloads: {counts.swapped} swapped, {counts.rolled_back} rolled back"
    if status.last_reload is not None:
        yield "last reload: " + _when(status.last_reload)
    failure = status.last_failure
    if failure is not None:
        if failure != status.last_reload:
            yield "last failed reload: " + _when(failure)
        yield f"  reason: {failure.reason}"
        yield from _report_details(failure)
    if status.retiring:
        generations = ", ".join(map(str, status.retiring))
        yield f"replaced, still in use by a turn in flight: generation {generations}"
    for plugin in status.plugins:
        state = plugin.state + (" (required)" if plugin.required else "")
        line = f"{plugin.name}  {plugin.version or '?'}  {plugin.package or '?'}  {state}"
        if plugin.error:
            yield f"{line}  {plugin.error.splitlines()[0]}"
        else:
            yield f"{line}  grants: {', '.join(plugin.grants) or 'none'}"


def _when(result: PluginReloadResult) -> str:
    at = result.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if result.swapped:
        return f"swapped to generation {result.generation} ({result.trigger}, {at})"
    return f"rolled back, generation {result.generation} kept ({result.trigger}, {at})"


# -- loading -----------------------------------------------------------------------------------


def _require_wasmtime() -> None:
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        raise PluginsUnavailableError(
            "the plugin runtime needs wasmtime, which is not installed",
            hint="pip install 'zeroclaw[plugins]'",
        ) from None


@contextmanager
def _loaded(config: Config) -> Iterator[PluginSnapshot]:
    """A fresh load of the configured plugins (required ones that fail are reported, not
    raised), closed afterwards."""
    with user_errors():
        _require_wasmtime()
        from zeroclaw.plugins.registry import PluginRegistry

        registry = PluginRegistry.for_config(config)
        try:
            snapshot = registry.build(config.plugins, strict=False)
        except BaseException:
            registry.close()
            raise
    try:
        yield snapshot
    finally:
        snapshot.close()
        registry.close()


# -- rendering ---------------------------------------------------------------------------------


def _status_line(status: PluginStatus) -> str:
    state = status.current_state + (" (required)" if status.required else "")
    head = f"{status.name}  {status.version or '?'}  {status.package or '?'}  {state}"
    if status.plugin is not None:
        return f"{head}  {_provides(status.plugin)}"
    if status.error is not None:
        return f"{head}  {status.error.message.splitlines()[0]}"
    return head


def _provides(plugin: LoadedPlugin) -> str:
    if plugin.package.id == "zeroclaw:hooks":
        events = ", ".join(sorted(e.value for e in plugin.events)) or "none"
        return f"events: {events}"
    if plugin.package.id == "zeroclaw:tools":
        return "tools: " + (", ".join(t.name for t in plugin.tools) or "none")
    provider = plugin.provider
    return f"provider: {provider.display_name}" if provider is not None else "provider"


def _info_lines(status: PluginStatus) -> Iterator[str]:
    yield f"name: {status.name}"
    yield f"directory: {status.directory}"
    yield f"version: {status.version or '?'}"
    yield f"package: {status.package or '?'}"
    yield f"state: {status.current_state}" + (" (required)" if status.required else "")
    if status.error is not None:
        yield f"error: {status.error.message}"
        if status.error.hint:
            yield f"hint: {status.error.hint}"
    plugin = status.plugin
    if plugin is None:
        return
    yield from _grant_lines(plugin.grants)
    limits = plugin.limits
    yield (
        f"limits: timeout_ms {limits.timeout_ms}, memory_mb {limits.memory_mb}, "
        f"max_concurrency {limits.max_concurrency}, fuel {limits.fuel or 'off'}"
    )
    for warning in plugin.warnings:
        yield f"  warning: {warning}"
    yield _provides(plugin)
    for event, why in sorted(plugin.withheld_events.items()):
        yield f"  withheld: {event.value}: {why}"
    for tool in plugin.tools:
        yield f"  tool {tool.name}: {tool.description}"
    if plugin.provider is not None:
        provider = plugin.provider
        yield (
            f"  default model {provider.default_model}; models: "
            f"{', '.join(provider.models) or 'any'}; tools: {provider.supports_tools}"
        )
    breaker = plugin.calls.breaker_status()
    retry = "" if breaker.retry_in_s is None else f", next try in {breaker.retry_in_s:.0f}s"
    yield (
        f"breaker: {breaker.state.value} ({breaker.consecutive_failures} failures in a row, "
        f"{breaker.trips} trips{retry})"
    )
    stats = plugin.calls.stats()
    yield (
        f"calls: {stats.calls} (ok {stats.ok}, failures {stats.failures}: timeouts "
        f"{stats.timeouts}, traps {stats.traps}, memory {stats.memory}, bad results "
        f"{stats.bad_results}; busy {stats.busy}, quarantined {stats.quarantined}, "
        f"ignored changes {stats.ignored_changes})"
    )
    yield f"compile cache: {'hit' if plugin.from_cache else 'miss (compiled now)'}"


def _grant_lines(grants: Grants) -> Iterator[str]:
    yield f"requested: {_capabilities(grants.requested)}"
    yield f"granted: {_capabilities(grants.granted)}"
    for refusal in grants.refused:
        yield f"  not granted: {refusal.capability} ({_refusal_text(refusal)})"


def _capabilities(capabilities: frozenset[object]) -> str:
    return ", ".join(sorted(str(c) for c in capabilities)) or "none"


def _refusal_text(refusal: Refusal) -> str:
    if refusal.reason == "denied" and refusal.rule is not None:
        return f'denied by "{refusal.rule.capability}" in {refusal.rule.source}'
    return f"not allowed by {refusal.source or 'plugins.capabilities.allow'}"


def _dirs(config: Config) -> str:
    return ", ".join(str(d) for d in config.plugins.dirs) or "none set"


def _echo_notes(snapshot: PluginSnapshot) -> None:
    for warning in snapshot.warnings:
        typer.echo(f"note: {warning}")
    for problem in snapshot.required_problems:
        typer.echo(f"required plugin not loaded: {problem}")
