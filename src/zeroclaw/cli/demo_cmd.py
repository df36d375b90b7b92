"""`zeroclaw demo`: a few turns of the agent on the offline provider, in a scratch data
dir, showing tools being called, answered, remembered and refused. Needs no key and no
network; it is the README's first command (`scripts/demo`, which builds the example
plugins and passes `--plugins examples/plugins`).

With `--plugins DIR` the demo loads the WebAssembly plugins of DIR, granted exactly the
hook capabilities the examples ask for, and the turns show them at work: redact-secrets
(Python) scrubs a key from a tool result, guard-shell (JavaScript) blocks a command the
policy alone would have run. It ends by printing the `zeroclaw config set` commands that
load the same plugins into the user's own config.

The demo's data dir is scratch, but its compile cache is not: compiled plugins go to the
user's cache dir (`user_plugin_cache_dir`, e.g. ~/.cache/zeroclaw/plugin-cache, or
`--cache-dir`), keyed and checksummed like any compile cache, so only the first run pays
for compiling the Python and JavaScript guests (seconds each)."""

from __future__ import annotations

import asyncio
import json
import shlex
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.channels.terminal import TerminalChannel
from zeroclaw.cli.state import user_errors
from zeroclaw.config import Config
from zeroclaw.config.models import user_plugin_cache_dir

PLUGIN_MESSAGES = (
    '/tool file_write {"path": "notes/.env", "content": '
    '"OPENAI_API_KEY=sk-proj-Zq3xXv8dKp2LmN7aQw4eRt6yUi9oP1sDf5gHj"}',
    '/tool file_read {"path": "notes/.env"}',
    '/tool shell {"command": "echo shutdown -h now"}',
)

# What the example plugins ask for; a real deployment grants per plugin (see
# docs/plugins-runtime.md). Nothing else (no http, no kv, no files) is granted.
DEMO_GRANTS = ["hooks.conversation", "hooks.modify", "hooks.tool_results", "log"]

DEMO_MESSAGES = (
    "Hello! What can you do?",
    '/tool file_write {"path": "notes/todo.md", "content": "- try ZeroClaw\\n- write a plugin\\n"}',
    '/tool file_list {"path": ".", "recursive": true}',
    '/tool file_read {"path": "notes/todo.md"}',
    '/tool memory_store {"key": "plugins", "value": "plugins run in a WebAssembly sandbox"}',
    '/tool memory_recall {"query": "sandbox"}',
    '/tool shell {"command": "echo hello from the workspace"}',
    '/tool shell {"command": "rm -rf /"}',
)


def demo_config(
    data_dir: Path, plugins: Path | None = None, cache_dir: Path | None = None
) -> Config:
    config = Config(data_dir=data_dir)
    config.llm.provider = "offline"
    # The demo works in its own scratch workspace, so it may change files without asking.
    config.tools.autonomy = "full"
    if plugins is not None:
        config.plugins.enabled = True
        config.plugins.dirs = [plugins.resolve()]
        config.plugins.capabilities.allow = list(DEMO_GRANTS)
        config.plugins.cache_dir = cache_dir or user_plugin_cache_dir()
    return config


def demo_messages(config: Config) -> tuple[str, ...]:
    return DEMO_MESSAGES + (PLUGIN_MESSAGES if config.plugins.enabled else ())


async def run_demo(config: Config, channel: TerminalChannel) -> int:
    """Run every demo message in one session; the number of turns that ended in an answer."""
    answered = 0
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        if runtime.plugins is not None:
            show_plugins(runtime, channel)
        for message in demo_messages(config):
            channel.console.print(Rule(f"you: {escape(message)}", align="left"))
            result = await channel.one_shot(
                runtime.agent, "demo", message, locks=runtime.session_locks
            )
            answered += result.stop_reason == "answer"
    return answered


def show_plugins(runtime: AgentRuntime, channel: TerminalChannel) -> None:
    assert runtime.plugins is not None
    snapshot = runtime.plugins.current()
    for plugin in snapshot.plugins.values():
        channel.console.print(
            f"[bold]plugin[/] [cyan]{escape(plugin.name)}[/] {escape(plugin.version)} "
            f"loaded ({escape(plugin.manifest.description)})"
        )
    for status in snapshot.load_errors:
        channel.console.print(
            f"[yellow]plugin {escape(status.name)} not loaded:[/] {escape(str(status.error))}"
        )


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Keep the demo's data here (default: a temporary dir)."),
    ] = None,
    plugins: Annotated[
        Path | None,
        typer.Option(
            "--plugins",
            help="Load the WebAssembly plugins of this directory (built with "
            "`zeroclaw plugins build`), e.g. examples/plugins.",
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Keep compiled plugins here (default: the user's cache dir, "
            "e.g. ~/.cache/zeroclaw/plugin-cache; delete it to clear).",
        ),
    ] = None,
) -> None:
    """Run the agent on the offline provider: tool calls, memory and a refused command."""
    console = Console()
    console.print(
        "[bold]ZeroClaw demo[/] on the [cyan]offline[/] provider: deterministic and "
        "[bold]not a language model[/]. It calls the tool a message names "
        "(`/tool NAME {json}`) and reports the result."
    )
    channel = TerminalChannel(console)
    with user_errors(), tempfile.TemporaryDirectory(prefix="zeroclaw-demo-") as scratch:
        config = demo_config(data_dir or Path(scratch), plugins, cache_dir)
        answered = asyncio.run(run_demo(config, channel))
    total = len(demo_messages(config))
    console.print(Rule())
    console.print(f"[bold green]demo finished:[/] {answered}/{total} turns answered")
    if plugins is not None:
        console.print(
            "\nTo load these plugins into your own agent (your config file, comments kept):",
            highlight=False,
        )
        for line in load_plugins_commands(plugins):
            console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
        console.print("then `zeroclaw plugins list` shows them.", markup=False, highlight=False)
    if answered != total:
        raise typer.Exit(1)


def load_plugins_commands(plugins: Path) -> list[str]:
    """The `zeroclaw config set` commands that give one's own config what the demo's has:
    plugins on, the demo's plugin dir searched, the example plugins' grants allowed."""
    directory = json.dumps([str(plugins.resolve())])
    grants = json.dumps(DEMO_GRANTS)
    return [
        "zeroclaw config set plugins.enabled true",
        f"zeroclaw config set plugins.dirs {shlex.quote(directory)}",
        f"zeroclaw config set plugins.capabilities.allow {shlex.quote(grants)}",
    ]
