"""The `--json` shapes docs/commands-reference.md shows are what the commands print, run
on a real (default) config; the plugin commands' shapes are checked with real plugins in
tests/plugins/runtime/test_plugins_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from json_shapes import documented_shape, shape_differences
from zeroclaw.cli import app

COMMANDS = [
    ("doctor", ["doctor", "--offline", "--json"]),
    ("tools list", ["tools", "list", "--json"]),
    ("config show", ["config", "show", "--json"]),
    ("config get", ["config", "get", "llm.provider", "--json"]),
    ("hooks list", ["hooks", "list", "--json"]),
    ("plugins list", ["plugins", "list", "--json"]),
]


@pytest.mark.parametrize(("command", "argv"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_documented_json_shape_is_what_the_command_prints(
    command: str, argv: list[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), *argv])
    assert result.exit_code == 0, result.output
    problems = shape_differences(documented_shape(command), json.loads(result.stdout))
    assert not problems, (
        f"`zeroclaw {command} --json` differs from its shape in docs/commands-reference.md: "
        + "; ".join(problems)
    )


def test_a_renamed_key_is_found() -> None:
    documented = {"ok": True, "checks": [{"name": "x", "status": "ok"}]}
    actual = {"ok": True, "checks": [{"name": "x", "state": "ok"}]}
    assert shape_differences(documented, actual) == [
        ".checks[0].state: in the output, not in the docs",
        ".checks[0].status: in the docs, not in the output",
    ]
