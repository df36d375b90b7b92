"""`zeroclaw agent`, `tools`, `doctor` and `demo`, driven through the real CLI app."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zeroclaw import __version__
from zeroclaw.cli import app
from zeroclaw.cli.demo_cmd import load_plugins_commands
from zeroclaw.memory import MemoryStore, postgres_location
from zeroclaw.memory.fleet.session_lock import hold_session
from zeroclaw.plugins.authoring.build import build_plugin


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "data"\n[tools]\nautonomy = "full"\n')
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), *args])


def test_one_shot_message_calls_the_tool_and_exits_zero(config_file: Path) -> None:
    (config_file.parent / "data" / "workspace").mkdir(parents=True)
    (config_file.parent / "data" / "workspace" / "hello.txt").write_text("hi")
    result = run(config_file, "agent", "-m", "/tool file_list {}")

    assert result.exit_code == 0, result.output
    assert "hello.txt" in result.output
    assert (config_file.parent / "data" / "zeroclaw.db").exists()


def test_missing_api_key_names_the_variable_and_exits_one(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[llm]\nprovider = "openai"\n')
    result = run(config_file, "agent", "-m", "hello")

    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.output
    assert "Traceback" not in result.output


def test_provider_failure_exits_one_with_the_reason(config_file: Path, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text('[{"error": {"status": 400, "message": "model does not exist"}}]')
    config_file.write_text(
        'data_dir = "data"\n[llm]\nprovider = "fake"\n'
        f'[llm.providers.fake]\nkind = "scripted"\nscript = "{script}"\n'
    )
    result = run(config_file, "agent", "-m", "hello")

    assert result.exit_code == 1
    assert "model does not exist" in result.output


def test_bad_config_is_reported_without_traceback(config_file: Path) -> None:
    config_file.write_text('[agent]\nmax_tool_iterations = "lots"\n')
    result = run(config_file, "agent", "-m", "hello")

    assert result.exit_code == 1
    assert '`agent.max_tool_iterations`: expected integer, got "lots"' in result.output


def test_tools_list_shows_owner_and_policy(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[tools]\nautonomy = "read_only"\n')
    result = run(config_file, "tools", "list")

    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "native" in lines["file_read"]
    assert "deny" in lines["file_write"]
    assert "allow" in lines["file_read"]


def test_tools_call_runs_a_tool(config_file: Path) -> None:
    result = run(
        config_file, "tools", "call", "file_write", "--args", '{"path": "x.txt", "content": "42"}'
    )
    assert result.exit_code == 0, result.output
    assert (config_file.parent / "data" / "workspace" / "x.txt").read_text() == "42"

    read = run(config_file, "tools", "call", "file_read", "--args", '{"path": "x.txt"}')
    assert read.exit_code == 0
    assert "42" in read.output


def test_tools_call_refused_by_policy_exits_one(config_file: Path) -> None:
    config_file.write_text('data_dir = "data"\n[tools]\nautonomy = "read_only"\n')
    result = run(
        config_file, "tools", "call", "file_write", "--args", '{"path": "x", "content": ""}'
    )

    assert result.exit_code == 1
    assert "denied by security policy" in result.output
    assert not (config_file.parent / "data" / "workspace" / "x").exists()


def test_tools_call_rejects_bad_json(config_file: Path) -> None:
    assert run(config_file, "tools", "call", "file_list", "--args", "{nope").exit_code == 2
    assert run(config_file, "tools", "call", "file_list", "--args", "[1]").exit_code == 2


def test_tools_call_unknown_tool_exits_one(config_file: Path) -> None:
    result = run(config_file, "tools", "call", "no_such_tool")
    assert result.exit_code == 1
    assert "file_read" in result.output  # the error lists the known tools


def test_doctor_passes_on_defaults_and_fails_on_a_missing_key(config_file: Path) -> None:
    ok = run(config_file, "doctor", "--offline")
    assert ok.exit_code == 0, ok.output
    assert "provider offline" in ok.output

    config_file.write_text(
        'data_dir = "data"\n[llm]\nprovider = "offline"\nfallbacks = ["anthropic"]\n'
    )
    missing = run(config_file, "doctor", "--offline")
    assert missing.exit_code == 1
    assert "ANTHROPIC_API_KEY" in missing.output


def test_demo_runs_every_turn(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path / "demo")])

    assert result.exit_code == 0, result.output
    assert "demo finished" in result.output
    assert "not in tools.shell.allowed_commands" in result.output
    assert (tmp_path / "demo" / "workspace" / "notes" / "todo.md").exists()


def test_python_dash_m_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"zeroclaw {__version__}"


def test_demo_with_plugins_shows_them_at_work(tmp_path: Path) -> None:
    """The README's demo: the example plugins redact a key and block a command."""
    examples = Path(__file__).parents[2] / "examples" / "plugins"
    plugins = tmp_path / "plugins"
    # The WAT example builds in milliseconds and needs no toolchain beyond wasm-tools.
    shutil.copytree(examples / "compaction-floor", plugins / "compaction-floor")
    build_plugin(plugins / "compaction-floor")

    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(tmp_path / "demo"), "--plugins", str(plugins)]
    )

    assert result.exit_code == 0, result.output
    assert "plugin compaction-floor 0.1.0 loaded" in result.output
    assert "demo finished: 11/11" in result.output
    # It ends with the commands that load the same plugins into one's own config; run
    # them, and the user's `plugins list` shows the plugin the demo loaded.
    commands = [line.strip() for line in result.output.splitlines() if "config set" in line]
    assert commands == load_plugins_commands(plugins)
    config_file = tmp_path / "mine" / "config.toml"
    for command in commands:
        args = ["--config", str(config_file), *shlex.split(command)[1:]]
        assert CliRunner().invoke(app, args).exit_code == 0, command
    listed = CliRunner().invoke(app, ["--config", str(config_file), "plugins", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith("compaction-floor  0.1.0  zeroclaw:hooks@1.0.0  loaded")


async def test_an_agent_turn_waits_for_the_session_lock_another_process_holds(
    tmp_path: Path, postgres_url: str
) -> None:
    """`zeroclaw agent` takes the session's lock across processes, as a gateway replica
    does: while another process (here, this test's own connection) runs a turn of the
    session, the CLI's turn waits, storing nothing; once it ends, the CLI's turn runs."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "data"\n[memory]\nbackend = "postgres"\nurl = "{postgres_url}"\n'
        '[observability]\nbackend = "noop"\n'
    )
    async with MemoryStore.open(postgres_location(postgres_url)) as store:
        async with hold_session(store.database, "shared"):
            chat = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "zeroclaw",
                "--config",
                str(config),
                "agent",
                "-m",
                "hello from the terminal",
                "-s",
                "shared",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            # The chat has started (its session exists), and its turn waits for the lock.
            for _ in range(1200):
                if await store.get_session("shared") is not None:
                    break
                await asyncio.sleep(0.05)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(asyncio.shield(chat.wait()), timeout=2)
            assert await store.session_messages("shared") == []
        output, _ = await asyncio.wait_for(chat.communicate(), timeout=60)
        assert chat.returncode == 0, output.decode()
        said = [(m.message.role, m.message.content) for m in await store.session_messages("shared")]
    assert said[0] == ("user", "hello from the terminal")
    assert [role for role, _ in said] == ["user", "assistant"]
