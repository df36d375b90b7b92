"""`python -m zeroclaw` is the same as the `zeroclaw` command."""

from zeroclaw.cli import app

app(prog_name="zeroclaw")
