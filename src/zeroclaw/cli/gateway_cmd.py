"""`zeroclaw gateway`: serve the agent over HTTP; `zeroclaw gateway hash-token`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from zeroclaw.cli.log_output import check_level
from zeroclaw.cli.state import require_text, state_of, user_errors
from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.auth import hash_token, new_token
from zeroclaw.text_validity import UTF8_HINT

if TYPE_CHECKING:
    from zeroclaw.gateway.state import GatewayState

gateway_app = typer.Typer(
    help="Serve the agent over HTTP: webhook, OpenAI-compatible API, sessions, metrics.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@gateway_app.callback()
def gateway(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: gateway.host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default: gateway.port; 0: any)."),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="debug, info, warning or error (default: the global --log-level, else info).",
        ),
    ] = None,
) -> None:
    """Run the HTTP gateway until SIGTERM or Ctrl-C (see docs/gateway.md)."""
    if ctx.invoked_subcommand is not None:
        return
    state = state_of(ctx)
    level = _log_level(log_level or state.log_level or "info")
    with user_errors():
        require_text(host, "--host")
    config = state.config()
    # Imported here: FastAPI and uvicorn take a while to import, and only this command
    # needs them.
    from zeroclaw.gateway.lifecycle.server import open_gateway

    with user_errors():
        server = open_gateway(
            config,
            host=host or config.gateway.host,
            port=config.gateway.port if port is None else port,
            on_started=_announce,
            log_level=level,
        )
    # The runtime's log lines (observer events, hook failures) beside uvicorn's.
    if state.log_output is not None:
        state.log_output.set_level(level)
    server.run()


@gateway_app.command("hash-token")
def hash_token_cmd(
    stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Hash the token read from stdin instead of a new one."),
    ] = False,
) -> None:
    """Make a bearer token and the hash to list in gateway.tokens.

    Without --stdin a new random token is made; keep it, it is printed only this once.
    The config stores only the hash, so a leaked config file grants nothing.
    """
    if stdin:
        with user_errors(exit_code=2):
            token = _read_token()
        if not token:
            typer.echo("error: no token on stdin", err=True)
            raise typer.Exit(2)

    else:
        token = new_token()
        typer.echo(f"token: {token}")
    digest = hash_token(token)
    typer.echo(f"hash:  {digest}")
    typer.echo(f'\n[gateway]\ntokens = ["{digest}"]')


def _read_token() -> str:
    try:
        token = sys.stdin.readline().strip()
    except UnicodeDecodeError:
        raise ZeroClawError("the token on stdin is not valid UTF-8 text", hint=UTF8_HINT) from None
    require_text(token, "the token on stdin")
    return token


def _announce(host: str, port: int, state: GatewayState) -> None:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    typer.echo(f"ZeroClaw gateway listening on {base} (OpenAI base URL: {base}/v1)")
    if state.console_logins is not None:
        typer.echo(f"Operator console: {base}/ui (log in with a token or the pairing code)")
    if state.pairing is not None and state.pairing.open:
        typer.echo(
            f"Pairing code: {state.pairing.code} - exchange it once for a token: "
            f"curl -X POST {base}/pair -H 'content-type: application/json' "
            f'-d \'{{"code": "{state.pairing.code}"}}\''
        )
    sys.stdout.flush()


def _log_level(name: str) -> str:
    try:
        return check_level(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None
