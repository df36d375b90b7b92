"""`zeroclaw agent`: chat in the terminal, interactively or one message at a time."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console

from zeroclaw.agent import AgentRuntime, AllowApprover, Approver, DenyApprover
from zeroclaw.channels.terminal import TerminalApprover, TerminalChannel
from zeroclaw.cli.state import state_of, user_errors
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
) -> None:
    """Chat with the agent (interactive), or send one message with -m."""
    config = state_of(ctx).config()
    apply_overrides(config, provider, model)
    channel = TerminalChannel()
    with (
        user_errors(),
        AgentRuntime.from_config(
            config, approver=choose_approver(channel.console, yes=yes)
        ) as runtime,
    ):
        if message is None:
            asyncio.run(channel.run_interactive(runtime.agent, session))
            return
        result = asyncio.run(runtime.agent.turn(session, message, channel=channel.name))
        channel.show_turn(result)
        if result.stop_reason != "answer":
            raise typer.Exit(2)
