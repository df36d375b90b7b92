"""`zeroclaw agent`: chat in the terminal, interactively or one message at a time.

A person at a terminal (stdin and stdout both terminals) gets the line editor, with its
history file in the data dir (channels/chat_prompt.py); a script piping lines in gets a
plain reader, so nothing it sends is taken for an editing key."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console

from zeroclaw.agent import AgentRuntime, AllowApprover, Approver, DenyApprover, TurnResult
from zeroclaw.channels.chat_prompt import HISTORY_FILE, ChatPrompt
from zeroclaw.channels.terminal import (
    LineReader,
    PlainLineReader,
    TerminalApprover,
    TerminalChannel,
)
from zeroclaw.cli.guest_log import LogLevelOption, guest_log
from zeroclaw.cli.state import require_text, state_of, user_errors
from zeroclaw.config import Config


def choose_approver(console: Console, *, yes: bool) -> Approver:
    """--yes approves in advance; a terminal can ask; anything else cannot, so it refuses."""
    if yes:
        return AllowApprover()
    if sys.stdin.isatty():
        return TerminalApprover(console)
    return DenyApprover()


def apply_overrides(config: Config, provider: str | None, model: str | None) -> None:
    with user_errors():
        if provider is not None:
            config.llm.provider = provider
            config.llm.model = None
        if model is not None:
            config.llm.model = model


def agent(
    ctx: typer.Context,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Send one message, print the reply, exit.")
    ] = None,
    session: Annotated[str, typer.Option("--session", "-s", help="Session id.")] = "main",
    provider: Annotated[
        str | None, typer.Option("--provider", help="Provider name (overrides llm.provider).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model (overrides llm.model).")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve every tool call that needs approval.")
    ] = False,
    log_level: LogLevelOption = None,
) -> None:
    """Chat with the agent (interactive), or send one message with -m."""
    with user_errors():
        for value, what in ((message, "--message"), (session, "--session")):
            require_text(value, what)
        for value, what in ((provider, "--provider"), (model, "--model")):
            require_text(value, what)
    config = state_of(ctx).config()
    apply_overrides(config, provider, model)
    channel = TerminalChannel()
    approver = choose_approver(channel.console, yes=yes)
    with user_errors(), guest_log(log_level):
        result = asyncio.run(_chat(config, channel, approver, session, message))
    if result is not None and result.stop_reason == "max_iterations":
        raise typer.Exit(2)


async def _chat(
    config: Config,
    channel: TerminalChannel,
    approver: Approver,
    session: str,
    message: str | None,
) -> TurnResult | None:
    async with AgentRuntime.from_config(config, approver=approver) as runtime:
        if message is not None:
            return await channel.one_shot(
                runtime.agent, session, message, locks=runtime.session_locks
            )
        runtime.start_heartbeat()
        agent = runtime.agent
        reader: LineReader
        if sys.stdin.isatty() and sys.stdout.isatty():

            def tool_names() -> list[str]:
                # Asked at each completion: the live snapshot's, after any reload.
                return agent.extensions_for_turn().tools.names()

            reader = ChatPrompt(channel.console, config.data_dir / HISTORY_FILE, tool_names)
        else:
            reader = PlainLineReader(channel.console)
        await channel.run_interactive(agent, session, reader, locks=runtime.session_locks)
        return None
