"""`zeroclaw plugins`: check a plugin, and see what the configured plugins are and do.

`validate PATH` runs every load step on one plugin directory under the current config
(grants and limits come from it) and lists every problem. `list` and `info NAME` load the
configured plugins afresh in this process: states, grants and limits are what the agent
would get; call counters start at zero here (a running agent's live counters are in its
metrics). Loading needs wasmtime (`pip install 'zeroclaw[plugins]'`); nothing here imports
it before a command runs.

`reload` and `status` talk to a running gateway (plugins_remote_cmd.py); `build` and `new`
are in plugins_build_cmd.py, `test` and `wit` in plugins_test_cmd.py; `install`,
`upgrade`, `remove`, `publish`, `keygen`, `sign` and `verify` in plugins_dist_cmd.py;
`approve NAME` works on the approvals file in the data dir, gateway or not.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.plugins_build_cmd import build, new
from zeroclaw.cli.plugins_dist_cmd import install, keygen, publish, remove, sign, upgrade, verify
from zeroclaw.cli.plugins_json import plugin_detail, plugin_summary, validation
from zeroclaw.cli.plugins_remote_cmd import reload, status
from zeroclaw.cli.plugins_runtime import require_wasmtime
from zeroclaw.cli.plugins_test_cmd import GrantOption, try_plugin, wit, with_grants
from zeroclaw.cli.state import err_console, state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.errors import ZeroClawError
from zeroclaw.memory import MemoryStore
from zeroclaw.plugins.contract.grants import Grants
from zeroclaw.plugins.contract.lock import LockEntry, PluginLock
from zeroclaw.plugins.contract.manifest import MANIFEST_FILE
from zeroclaw.plugins.contract.permissions import Approvals, ApprovalStore
from zeroclaw.plugins.lifecycle.approval import approve_plugin, refuse_plugin

if TYPE_CHECKING:
    from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
    from zeroclaw.plugins.loading.loader import LoadedPlugin, PluginStatus

plugins_app = typer.Typer(
    help="Install, validate, list, inspect, reload, approve, sign and publish WebAssembly plugins.",
    no_args_is_help=True,
)
plugins_app.command("build")(build)
plugins_app.command("new")(new)
plugins_app.command("reload")(reload)
plugins_app.command("status")(status)
plugins_app.command("install")(install)
plugins_app.command("upgrade")(upgrade)
plugins_app.command("remove")(remove)
plugins_app.command("publish")(publish)
plugins_app.command("keygen")(keygen)
plugins_app.command("sign")(sign)
plugins_app.command("verify")(verify)
plugins_app.command("test")(try_plugin)
plugins_app.command("wit")(wit)


@plugins_app.command("validate")
def validate(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="The plugin's directory (the one holding plugin.toml).")
    ],
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 on warnings too (e.g. a plugin never called)."),
    ] = False,
    grant: GrantOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Run every load step on one plugin under the current config: manifest, ABI, grants,
    compile, exports, imports, instantiate, self-describe. Exit 0 with a summary, or 1 with
    every problem found. Warns when the plugin would never be called (no event it may
    receive, no tool, a provider nothing names, a capability not granted)."""
    use_json(json_output)
    directory = path.parent if path.name == MANIFEST_FILE else path
    config = with_grants(state_of(ctx).config(), directory, grant)
    with user_errors():
        require_wasmtime()
        from zeroclaw.plugins.lifecycle.registry import PluginRegistry
        from zeroclaw.plugins.loading.loader import LoadContext, engine_settings, validate_plugin

        with PluginRegistry.for_config(config) as registry:
            context = LoadContext(
                config=config.plugins,
                engine=registry.engine(engine_settings(config.plugins, [directory])),
                services=registry.services,
                log_warnings=False,
            )
            result = validate_plugin(directory, context)
            if result.plugin is not None:
                result.plugin.calls.close()
    if not result.ok and json_output:
        problems = [{"message": p.message, "hint": p.hint} for p in result.problems]
        print_json({"ok": False, "plugin": None, "problems": problems, "warnings": []})
        raise typer.Exit(1)
    if not result.ok:
        for problem in result.problems:
            err_console.print(f"[bold red]error:[/] {escape(problem.message)}", highlight=False)
            if problem.hint:
                err_console.print(f"  [yellow]hint:[/] {escape(problem.hint)}", highlight=False)
        raise typer.Exit(1)
    plugin = result.plugin
    assert plugin is not None
    from zeroclaw.plugins.authoring.reachability import unreachable_reasons

    warnings = [*plugin.warnings, *unreachable_reasons(plugin, config.llm)]
    if json_output:
        ok = not (warnings and strict)
        print_json(validation(plugin, warnings, ok=ok))
        if not ok:
            raise typer.Exit(1)
        return
    typer.echo(
        f"OK: {plugin.name} {plugin.version} {plugin.package}, "
        f"grants: {_capabilities(plugin.grants.granted)}; {_provides(plugin)}"
    )
    for warning in warnings:
        typer.echo(f"  warning: {warning}")
    if warnings and strict:
        err_console.print(
            f"[bold red]error:[/] {len(warnings)} warning(s) and --strict",
            highlight=False,
        )
        err_console.print(
            "[yellow]hint:[/] allow the capabilities it asks for in plugins.capabilities.allow "
            "(or drop them from plugin.toml), and name a provider plugin in llm.provider",
            highlight=False,
        )
        raise typer.Exit(1)


@plugins_app.command("list")
def list_plugins(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every plugin in plugins.dirs and the install dir: name, version, package, state, what
    it provides, and where it came from (its plugins.lock source and component digest)."""
    use_json(json_output)
    config = state_of(ctx).config()
    lock = _lock(config)
    with _loaded(config) as snapshot:
        if json_output:
            print_json(
                {
                    "enabled": config.plugins.enabled,
                    "dirs": config.plugins.search_dirs,
                    "plugins": [
                        plugin_summary(s, lock.get(s.name) if lock is not None else None)
                        for s in snapshot.statuses
                    ],
                    "notes": list(snapshot.warnings),
                    "required_problems": list(snapshot.required_problems),
                }
            )
            return
        if not config.plugins.enabled:
            typer.echo("plugins.enabled = false: the agent loads none of these.")
        if not snapshot.statuses:
            typer.echo(f"No plugins found in plugins.dirs ({_dirs(config)}).")
        for status in snapshot.statuses:
            typer.echo(_status_line(status))
            entry = lock.get(status.name) if lock is not None else None
            if entry is not None:
                typer.echo(f"    {_origin(entry)}")
        _echo_notes(snapshot)


def _origin(entry: LockEntry) -> str:
    """Where an installed plugin came from, as plugins.lock pins it."""
    signer = f", signed by {entry.signer}" if entry.signer else ", unsigned"
    return (
        f"source: {entry.source}, version {entry.version}, component sha256 "
        f"{entry.component_sha256[:16]}...{signer}"
    )


@plugins_app.command("info")
def info(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The plugin's name (from its plugin.toml).")],
    json_output: JsonFlag = False,
) -> None:
    """One plugin in detail: requested vs granted capabilities, effective limits, state,
    events, breaker and call counters."""
    use_json(json_output)
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
        if json_output:
            lock = _lock(config)
            print_json(plugin_detail(status, lock.get(name) if lock is not None else None))
            return
        for line in _info_lines(status):
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
        require_wasmtime()
        with _approvals(config) as store:
            done = approve_plugin(config.plugins, store, name)
    approval = done.approval
    typer.echo(
        f"approved {name} {done.manifest.version}: grants "
        f"{', '.join(approval.grants) or 'none'} ({approval.grant_hash[:19]}...) in {store.where}"
    )
    for refusal in done.grants.refused:
        typer.echo(f"  not granted (not approved either): {refusal.capability}")
    typer.echo("A running gateway serves it from its next reload: `zeroclaw plugins reload`.")
    if not config.plugins.require_approval_for_new_capabilities:
        typer.echo(
            "note: plugins.require_approval_for_new_capabilities is off: reloads do not "
            "check approvals"
        )


@plugins_app.command("refuse")
def refuse(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The plugin's name (from its plugin.toml).")],
) -> None:
    """Refuse the capabilities plugin NAME asks for under the current config: while it asks
    for the same set, reloads keep its live version (or none) and ask nobody. Works offline,
    like approve; `zeroclaw plugins approve NAME` overrides it."""
    config = state_of(ctx).config()
    with user_errors():
        require_wasmtime()
        with _approvals(config) as store:
            done = refuse_plugin(config.plugins, store, name, by=f"cli:{_user()}")
    refusal = done.refusal
    typer.echo(
        f"refused {name} {done.manifest.version}: grants "
        f"{', '.join(refusal.grants) or 'none'} ({refusal.grant_hash[:19]}...) in {store.where}"
    )
    typer.echo(
        "A running gateway keeps the plugin's live version (or none) at its reloads while it "
        "asks for this set; a change of request is asked about again."
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return str(os.getuid())


@contextmanager
def _approvals(config: Config) -> Iterator[Approvals]:
    """The approvals file (SQLite), or the database the replicas share (PostgreSQL)."""
    if config.memory.backend == "sqlite":
        yield ApprovalStore.for_data_dir(config.data_dir)
        return
    from zeroclaw.plugins.contract.shared_approvals import SharedApprovalStore

    with MemoryStore.open(config.memory_location()) as memory:
        yield SharedApprovalStore(memory)


# -- the running gateway -----------------------------------------------------------------------


def _lock(config: Config) -> PluginLock | None:
    with user_errors():
        lock_file = config.plugins.lock_file
        return PluginLock.read(lock_file) if lock_file is not None else None


# -- loading -----------------------------------------------------------------------------------


@contextmanager
def _loaded(config: Config) -> Iterator[PluginSnapshot]:
    """A fresh load of the configured plugins (required ones that fail are reported, not
    raised), closed afterwards."""
    with user_errors():
        require_wasmtime()
        from zeroclaw.plugins.lifecycle.registry import PluginRegistry

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
        f"ignored changes {stats.ignored_changes}, skipped (fail_open) {stats.skipped})"
    )
    yield f"runs: {_where(plugin)}; inline overruns {stats.inline_overruns}"
    yield f"compile cache: {'hit' if plugin.from_cache else 'miss (compiled now)'}"


def _where(plugin: LoadedPlugin) -> str:
    """Where the plugin's calls run (wasm/inline.py), in the words of the docs."""
    mode = plugin.calls.inline.value
    if mode == "inline first":
        return (
            "inline first (on the event loop's thread; a call that overruns "
            "plugins.inline_call_ms runs again on a worker thread)"
        )
    if mode == "inline":
        return "inline (on the event loop's thread)"
    return "worker threads"


def _grant_lines(grants: Grants) -> Iterator[str]:
    yield f"requested: {_capabilities(grants.requested)}"
    yield f"granted: {_capabilities(grants.granted)}"
    for refusal in grants.refused:
        yield f"  not granted: {refusal.capability} ({refusal.why})"


def _capabilities(capabilities: frozenset[object]) -> str:
    return ", ".join(sorted(str(c) for c in capabilities)) or "none"


def _dirs(config: Config) -> str:
    return ", ".join(str(d) for d in config.plugins.search_dirs) or "none set"


def _echo_notes(snapshot: PluginSnapshot) -> None:
    for warning in snapshot.warnings:
        typer.echo(f"note: {warning}")
    for problem in snapshot.required_problems:
        typer.echo(f"required plugin not loaded: {problem}")
