"""The root typer app: global options and the registration of every command group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zeroclaw import __version__
from zeroclaw.cli.agent_cmd import agent
from zeroclaw.cli.config_cmd import config_app
from zeroclaw.cli.demo_cmd import demo
from zeroclaw.cli.doctor_cmd import doctor
from zeroclaw.cli.gateway_cmd import gateway_app
from zeroclaw.cli.hooks_cmd import hooks_app
from zeroclaw.cli.json_output import use_json
from zeroclaw.cli.log_output import DEFAULT_LEVEL, LEVELS, check_level, log_to_stderr
from zeroclaw.cli.mcp_cmd import mcp_app
from zeroclaw.cli.memory_cmd import memory_app
from zeroclaw.cli.plugins_cmd import plugins_app
from zeroclaw.cli.state import CliState, ReportingGroup
from zeroclaw.cli.tools_cmd import tools_app

app = typer.Typer(
    name="zeroclaw",
    help="ZeroClaw: a self-hosted AI agent runtime with sandboxed WebAssembly plugins.",
    cls=ReportingGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # `zeroclaw --install-completion` (bash, zsh, fish, PowerShell), typer's own.
    add_completion=True,
)


def _level(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_level(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zeroclaw {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $ZEROCLAW_CONFIG, else the platform config dir).",
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            callback=_level,
            help=f"Log lines on stderr: {', '.join(LEVELS)} (default: {DEFAULT_LEVEL}; "
            "the gateway's: info). Below debug, one line per failure; debug adds tracebacks.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    use_json(False)
    output = log_to_stderr(log_level or DEFAULT_LEVEL)
    ctx.call_on_close(output.close)
    ctx.obj = CliState(config_path=config, log_level=log_level, log_output=output)


app.command()(agent)
app.command()(demo)
app.command()(doctor)
app.add_typer(tools_app, name="tools")
app.add_typer(config_app, name="config")
app.add_typer(gateway_app, name="gateway")
app.add_typer(hooks_app, name="hooks")
app.add_typer(memory_app, name="memory")
app.add_typer(plugins_app, name="plugins")
app.add_typer(mcp_app, name="mcp")
