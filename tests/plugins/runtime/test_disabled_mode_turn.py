"""plugins.enabled = false (the default): a whole agent turn, through the CLI, runs without
the plugin runtime ever importing wasmtime, even with a plugin sitting in plugins.dirs.
Checked in a fresh interpreter, with the same run and plugins enabled as the control."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from runtime_support import MakePlugin

SCRIPT = textwrap.dedent(
    """
    import sys
    from zeroclaw.cli import app

    for args in (["agent", "-m", "/tool file_list {}"], ["doctor", "--offline"]):
        try:
            app(["--config", sys.argv[1], *args], standalone_mode=False)
        except SystemExit as exit:
            assert not exit.code, exit.code
    print("WASMTIME-IMPORTED", "wasmtime" in sys.modules)
    """
)


def run_agent(config_file: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(config_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(("enabled", "imported"), [(False, False), (True, True)])
def test_a_turn_with_plugins_disabled_never_imports_wasmtime(
    make_plugin: MakePlugin, plugins_dir: Path, tmp_path: Path, enabled: bool, imported: bool
) -> None:
    make_plugin("guard", "hook_guard", capabilities=("hooks.conversation", "hooks.modify"))
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{tmp_path / "data"}"
            [tools]
            autonomy = "full"
            [plugins]
            enabled = {str(enabled).lower()}
            dirs = ["{plugins_dir}"]
            [plugins.capabilities]
            allow = ["hooks.conversation", "hooks.modify"]
            """
        )
    )

    output = run_agent(config_file)

    assert f"WASMTIME-IMPORTED {imported}" in output
    # with the guard loaded the tool call is blocked; without it, it runs
    assert ("blocked by wasm guard" in output) is enabled
