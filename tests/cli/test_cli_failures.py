"""Real commands in failure situations print one line per failure, never a traceback.

`python -m zeroclaw` in a subprocess (its real stderr, as a user sees it) with an
unreachable provider and with a hook plugin that traps; the CLI app in-process with a
damaged, read-only or full data dir. Each asserts the line names the error and the fix,
and that nothing already stored was changed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from storage_faults import (
    FILLED_SESSION,
    MakeReadOnly,
    SmallDisk,
    damage_page,
    filled_memory,
    page_of,
)
from zeroclaw.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "plugins" / "fixtures"

TRAPPING_HOOK = """\
;; handles() -> [before-tool-call]; before-tool-call traps at once.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\\0d")
  (data (i32.const 8) "\\00\\00\\00\\00\\01\\00\\00\\00")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32)
    i32.const 8)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param i32 i32 i32 i32 i32 i32) (result i32)
    unreachable)
)
"""


def zeroclaw(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=config.parent,
    )


def run(config: Path, *args: str) -> Result:
    # A wide terminal: rich would otherwise wrap long paths inside the words we look for.
    return CliRunner().invoke(app, ["--config", str(config), *args], env={"COLUMNS": "500"})


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "data"\n[llm]\nprovider = "offline"\n')
    return path


# -- logging: one line per failure -------------------------------------------------------


def test_an_unreachable_provider_is_one_error_and_one_hook_line(config: Path) -> None:
    config.write_text(
        'data_dir = "data"\n[llm]\nprovider = "local"\nmodel = "m"\nfallbacks = []\n'
        f'[llm.providers.local]\nkind = "openai"\nbase_url = "http://127.0.0.1:{closed_port()}/v1"\n'
    )
    done = zeroclaw(config, "agent", "-m", "hi")

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert lines_with(done.stderr, "error: provider 'local': cannot reach")
    assert lines_with(done.stderr, "hint: is the server running?")
    # The session summary at the end fails too: one line, with the handler, type and hint.
    [summary] = lines_with(done.stderr, "session_memory")
    assert "ProviderError" in summary
    assert "hint: is the server running?" in summary
    assert len(done.stderr.splitlines()) <= 5, done.stderr

    debug = zeroclaw(config, "--log-level", "debug", "agent", "-m", "hi")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr  # kept for whoever asks for it


@pytest.mark.slow
def test_a_trapping_hook_plugin_is_one_line_and_the_turn_goes_on(config: Path) -> None:
    plugin = config.parent / "plugins" / "trapper"
    plugin.mkdir(parents=True)
    (plugin / "plugin.wat").write_text(TRAPPING_HOOK)
    (plugin / "plugin.toml").write_text(
        'name = "trapper"\nversion = "0.1.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
        'component = "plugin.wasm"\ndescription = "Traps on every tool call."\n'
        'capabilities = ["hooks.conversation", "hooks.modify"]\n'
    )
    config.write_text(
        'data_dir = "data"\n[llm]\nprovider = "offline"\n[tools]\nautonomy = "full"\n'
        '[plugins]\nenabled = true\ndirs = ["plugins"]\n'
        '[plugins.capabilities]\nallow = ["hooks.conversation", "hooks.modify"]\n'
    )
    built = zeroclaw(config, "plugins", "build", str(plugin))
    if built.returncode != 0 and "wasm-tools is not installed" in built.stderr:
        pytest.skip("wasm-tools is not installed: the WAT plugin cannot be built")
    assert built.returncode == 0, built.stderr

    done = zeroclaw(config, "agent", "-m", "/tool file_list {}")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    [failure] = lines_with(done.stderr, "hook 'trapper'")
    assert "PluginTrap" in failure
    assert "plugins.overrides.trapper.limits.memory_mb" in failure  # the hint
    assert "skipped (fail_open)" in failure
    assert len(done.stderr.splitlines()) <= 3, done.stderr


# -- a damaged, read-only or full data dir --------------------------------------------------


def test_a_damaged_memory_database_is_one_error_and_doctor_finds_it(config: Path) -> None:
    db = config.parent / "data" / "zeroclaw.db"
    db.parent.mkdir()
    filled_memory(db)
    damaged = damage_page(db, page_of(db, "messages", root=True))

    turn = run(config, "agent", "--session", FILLED_SESSION, "-m", "hi")
    assert turn.exit_code == 1
    assert "Traceback" not in turn.output
    assert lines_with(turn.output, "error: cannot")
    assert "the file is damaged" in turn.output
    assert "zeroclaw doctor" in turn.output

    doctor = run(config, "doctor", "--offline")
    assert doctor.exit_code == 1
    flat = " ".join(doctor.output.split())
    assert f"memory: {db} is damaged (PRAGMA integrity_check" in flat
    assert f"sqlite3 {db} .recover" in flat
    assert db.read_bytes()[: len(damaged)] == damaged


def test_doctor_checks_the_plugin_kv_database_when_it_exists(config: Path) -> None:
    kv = config.parent / "data" / "plugins" / "kv.db"
    kv.parent.mkdir(parents=True)
    filled_memory(kv)  # any SQLite file of many pages will do
    assert run(config, "doctor", "--offline").exit_code == 0
    assert "plugin kv" in run(config, "doctor", "--offline").output

    damage_page(kv, page_of(kv, "messages"))
    doctor = run(config, "doctor", "--offline")

    assert doctor.exit_code == 1
    flat = " ".join(doctor.output.split())
    assert f"plugin kv: {kv} is damaged" in flat
    assert f"sqlite3 {kv} .recover" in flat


def test_a_read_only_data_dir_is_refused_at_start_by_every_command_that_writes(
    config: Path, make_read_only: MakeReadOnly
) -> None:
    data = config.parent / "data"
    data.mkdir()
    texts = filled_memory(data / "zeroclaw.db")
    before = (data / "zeroclaw.db").read_bytes()
    make_read_only(data)

    for command in (
        ["agent", "-m", "hi"],
        ["gateway", "--port", "0"],
        ["hooks", "list"],
        ["tools", "call", "file_list", "--args", "{}"],
    ):
        result = run(config, *command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        assert f"error: the data dir {data} is not writable" in result.output, command
        assert "set data_dir to a writable directory" in " ".join(result.output.split())
        assert "lock" not in result.output
    doctor = run(config, "doctor", "--offline")
    assert doctor.exit_code == 1
    assert f"data dir: the data dir {data} is not writable" in " ".join(doctor.output.split())
    assert (data / "zeroclaw.db").read_bytes() == before
    assert len(texts) > 0


def test_a_full_disk_is_refused_at_start(tmp_path: Path, small_disk: SmallDisk) -> None:
    config = tmp_path / "full.toml"
    config.write_text(f'data_dir = "{small_disk.path}"\n[llm]\nprovider = "offline"\n')
    small_disk.fill()

    result = run(config, "agent", "-m", "hi")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"error: the disk holding the data dir {small_disk.path} is full" in result.output
    assert "free space" in result.output
