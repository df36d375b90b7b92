"""The `zeroclaw` command line (typer). Each command group lives in its own module."""

from zeroclaw.cli.app import app

__all__ = ["app"]
