"""`zeroclaw tools`: list the tools the model sees, and call one by hand.

Both work on what a turn would use now: the native tools plus, with plugins on, the tools of
the loaded tool plugins (a native tool of the same name wins). `tools call` runs a plugin
tool through the same gate as a native one: policy, approval, before_tool_call, schema."""

from __future__ import annotations

import asyncio
import json
from contextlib import closing
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zeroclaw.agent import AgentRuntime, Approver
from zeroclaw.cli.agent_cmd import choose_approver
from zeroclaw.cli.guest_log import LogLevelOption, guest_log
from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import err_console, require_text, state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.text_validity import UTF8_HINT, invalid_text

tools_app = typer.Typer(help="List and call tools.", no_args_is_help=True)


@tools_app.command("list")
def list_tools(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every tool with its owner (native or plugin:NAME), whether it changes things, and
    what the policy says; then any tool name two owners offered, and which one is used."""
    use_json(json_output)
    config = state_of(ctx).config()
    console = Console()
    with (
        user_errors(),
        closing(
            AgentRuntime.from_config(config, approver=choose_approver(console, yes=False))
        ) as runtime,
    ):
        tools = runtime.live_tools()
        rows: list[dict[str, Any]] = []
        for spec in tools.specs():
            tool = tools.get(spec.name)
            mutating = tool is not None and tool.mutating
            rows.append(
                {
                    "name": spec.name,
                    "owner": tools.label_of(spec.name) or "?",
                    "changes": mutating,
                    "policy": runtime.policy.check_call(spec.name, mutating, 0).action,
                    "description": spec.description,
                    "parameters": spec.parameters,
                }
            )
        if json_output:
            print_json(
                {
                    "tools": rows,
                    "conflicts": [
                        {
                            "name": c.name,
                            "kept": c.kept_by or str(c.kept),
                            "dropped": c.dropped_by or str(c.dropped),
                            "description": c.describe(),
                        }
                        for c in tools.conflicts
                    ],
                }
            )
            return
        table = Table("tool", "owner", "changes", "policy", "description")
        for row in rows:
            table.add_row(
                row["name"],
                row["owner"],
                "yes" if row["changes"] else "no",
                row["policy"],
                row["description"],
            )
        console.print(table)
        for conflict in tools.conflicts:
            console.print(f"[yellow]conflict:[/] {escape(conflict.describe())}", highlight=False)


@tools_app.command("call")
def call_tool(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Tool name.")],
    args: Annotated[str, typer.Option("--args", help="Arguments as a JSON object.")] = "{}",
    session: Annotated[str, typer.Option("--session", "-s", help="Session id.")] = "cli",
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve if approval is needed.")
    ] = False,
    log_level: LogLevelOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Call one tool through the same security policy the agent uses. Exit 1 if it fails."""
    use_json(json_output)
    arguments = _parse_args(args)
    with user_errors():
        require_text(session, "--session")
    config = state_of(ctx).config()
    console = Console()
    call = ToolCall(id="cli", name=name, arguments=arguments)
    with user_errors(), guest_log(log_level):
        result = asyncio.run(_call(config, choose_approver(console, yes=yes), session, call))
    if not result.success:
        with user_errors():
            raise ToolCallFailed(result.error or "the tool failed")
    if json_output:
        print_json({"tool": name, "success": True, "output": result.output})
        return
    typer.echo(result.output)


async def _call(config: Config, approver: Approver, session: str, call: ToolCall) -> ToolResult:
    async with AgentRuntime.from_config(config, approver=approver) as runtime:
        return (await runtime.call_tool(session, call, origin="cli")).result


class ToolCallFailed(ZeroClawError):
    """The tool ran (or was refused) and its result is a failure."""


def _parse_args(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        err_console.print(f"[bold red]error:[/] --args is not valid JSON: {escape(str(exc))}")
        raise typer.Exit(2) from None
    if not isinstance(value, dict):
        err_console.print('[bold red]error:[/] --args must be a JSON object, e.g. {"path": "."}')
        raise typer.Exit(2)
    bad = invalid_text(value, "--args")
    if bad is not None:
        err_console.print(f"[bold red]error:[/] {escape(bad)} is not valid UTF-8 text")
        err_console.print(f"[yellow]hint:[/] {escape(UTF8_HINT)}", highlight=False)
        raise typer.Exit(2)
    return value
