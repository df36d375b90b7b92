"""`zeroclaw plugins reload` and `plugins status`: the plugins of a running gateway.

Both talk to its /api/plugins endpoints with a bearer token (`gateway_client.py`); nothing
here loads a plugin in this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import typer

from zeroclaw.cli.gateway_client import gateway_answer, gateway_call, gateway_url
from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.plugins_fleet import fleet_json, fleet_lines, fleet_of
from zeroclaw.cli.state import state_of, user_errors
from zeroclaw.gateway.auth import TOKEN_ENV
from zeroclaw.gateway.plugin_bodies import PluginReloadResult, PluginsStatus, RefusedChange

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


def reload(
    ctx: typer.Context,
    url: GatewayUrl = None,
    token: GatewayToken = None,
    json_output: JsonFlag = False,
) -> None:
    """Make a running gateway reload its plugins (as SIGHUP does) and show how it ended:
    the new generation serving, or why the running plugins stay (exit 1)."""
    use_json(json_output)
    config = state_of(ctx).config()
    with user_errors():
        body = gateway_call(config, "POST", "/api/plugins/reload", url, token)
        result = gateway_answer(PluginReloadResult, body, url or gateway_url(config.gateway))
    if json_output:
        # A rollback is an answer, not a failure to get one: on stdout, and exit 1.
        print_json(result.model_dump(mode="json"))
    else:
        for line in _reload_lines(result):
            typer.echo(line)
    if not result.swapped:
        raise typer.Exit(1)


def status(
    ctx: typer.Context,
    url: GatewayUrl = None,
    token: GatewayToken = None,
    fleet: Annotated[
        bool,
        typer.Option(
            "--fleet",
            help="List every replica sharing the PostgreSQL database, with its snapshot "
            "hash (read from the database; no token needed).",
        ),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """A running gateway's plugins: the generation serving, each plugin's state and grants,
    the last reload and the last failed one (with its reason). With --fleet: every
    replica's generation and snapshot hash, and whether they run the same plugins."""
    use_json(json_output)
    config = state_of(ctx).config()
    if fleet:
        with user_errors():
            replicas = fleet_of(config)
        if json_output:
            print_json(fleet_json(replicas))
            return
        for line in fleet_lines(replicas):
            typer.echo(line)
        return
    with user_errors():
        body = gateway_call(config, "GET", "/api/plugins/status", url, token)
        answer = gateway_answer(PluginsStatus, body, url or gateway_url(config.gateway))
    if json_output:
        print_json(answer.model_dump(mode="json"))
        return
    for line in _status_lines(answer):
        typer.echo(line)


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
    if result.fleet_notified:
        yield "the other replicas were asked to reload: `zeroclaw plugins status --fleet`"


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
    for refused in result.refused:
        yield f"  refused: {_refused_line(refused)}"
    for line in result.still_failing:
        yield f"  still failing (not serving before either): {line}"


def _status_lines(status: PluginsStatus) -> Iterator[str]:
    if not status.enabled:
        yield "plugins.enabled = false: the gateway loads no plugins."
        return
    watching = ", ".join(status.watching) or "nothing"
    hot = f"on, watching {watching}" if status.hot_reload else "off (reload on demand)"
    yield f"generation {status.generation}, {len(status.plugins)} plugin(s); hot reload: {hot}"
    replica = f"replica {status.replica}, " if status.replica else ""
    yield f"{replica}snapshot {status.snapshot_hash}"
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
    for refused in status.refused:
        yield f"refused: {_refused_line(refused)}"
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
        if plugin.skipped:
            yield (
                f"  {plugin.skipped} failed call(s) skipped (fail_open): mark it required "
                f"(plugins.overrides.{plugin.name}.required) if it guards something"
            )
        if plugin.inline_overruns:
            yield (
                f"  {plugin.inline_overruns} call(s) overran the inline deadline and ran again "
                "on a worker thread (plugins.inline_first)"
            )


def _refused_line(refused: RefusedChange) -> str:
    grants = ", ".join(refused.grants) or "none"
    return (
        f"{refused.plugin} (grants {grants}) by {refused.refused_by} at {refused.refused_at}: "
        f"not loaded, not asked again; `zeroclaw plugins approve {refused.plugin}` overrides"
    )


def _when(result: PluginReloadResult) -> str:
    at = result.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if result.swapped:
        return f"swapped to generation {result.generation} ({result.trigger}, {at})"
    return f"rolled back, generation {result.generation} kept ({result.trigger}, {at})"
