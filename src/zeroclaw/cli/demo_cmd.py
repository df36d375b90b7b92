"""`zeroclaw demo`: a few turns of the agent on the offline provider, in a scratch data
dir, showing tools being called, answered, remembered and refused. Needs no key and no
network; it is the README's first command."""

from __future__ import annotations

import asyncio
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


def demo_config(data_dir: Path) -> Config:
    config = Config(data_dir=data_dir)
    config.llm.provider = "offline"
    # The demo works in its own scratch workspace, so it may change files without asking.
    config.tools.autonomy = "full"
    return config


async def run_demo(config: Config, channel: TerminalChannel) -> int:
    """Run every demo message in one session; the number of turns that ended in an answer."""
    answered = 0
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        for message in DEMO_MESSAGES:
            channel.console.print(Rule(f"you: {escape(message)}", align="left"))
            result = await channel.one_shot(runtime.agent, "demo", message)
            answered += result.stop_reason == "answer"
    return answered


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Keep the demo's data here (default: a temporary dir)."),
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
        config = demo_config(data_dir or Path(scratch))
        answered = asyncio.run(run_demo(config, channel))
    console.print(Rule())
    console.print(f"[bold green]demo finished:[/] {answered}/{len(DEMO_MESSAGES)} turns answered")
    if answered != len(DEMO_MESSAGES):
        raise typer.Exit(1)
