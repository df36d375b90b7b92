"""One hostile plugin folder beside a good one, through the real CLI in a real process.

The bad folder's plugin.toml nests 30,000 arrays (before the fix: a `RecursionError` and a
1,000-frame traceback from `plugins list`, `plugins validate` and `agent`, so one bad
folder stopped the agent from starting). Now each command names the bad file on one line
and goes on with the good plugin, a real WAT component.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zeroclaw.plugins.authoring.build import wat_component

ROOT = Path(__file__).resolve().parents[2]
HOOK_WAT = ROOT / "tests" / "plugins" / "fixtures" / "wat" / "hook_minimal.wat"
HOOKS_WIT = ROOT / "wit" / "zeroclaw" / "hooks" / "v1"
HOSTILE = "a = " + "[" * 30_000 + "]" * 30_000 + "\n"


@pytest.fixture(scope="module")
def good_component(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("component")
    return wat_component(
        HOOK_WAT.read_text(), HOOKS_WIT, "zeroclaw:hooks/hooks@1.0.0", work / "good.wasm", work
    )


@pytest.fixture
def plugins_dir(tmp_path: Path, good_component: Path) -> Path:
    root = tmp_path / "plugins"
    good = root / "good"
    good.mkdir(parents=True)
    (good / "plugin.wasm").write_bytes(good_component.read_bytes())
    (good / "plugin.toml").write_text(
        'name = "good"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
        'component = "plugin.wasm"\n'
    )
    bad = root / "bad"
    bad.mkdir()
    (bad / "plugin.toml").write_text(HOSTILE)
    return root


def config_file(tmp_path: Path, plugins_dir: Path, *, enabled: bool) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"data_dir = {json.dumps(str(tmp_path / 'data'))}\n"
        f"[plugins]\nenabled = {str(enabled).lower()}\n"
        f"dirs = [{json.dumps(str(plugins_dir))}]\n"
    )
    return path


def zeroclaw(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
        timeout=120,
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_plugins_list_names_the_bad_file_and_lists_the_good_plugin(
    tmp_path: Path, plugins_dir: Path, enabled: bool
) -> None:
    result = zeroclaw(config_file(tmp_path, plugins_dir, enabled=enabled), "plugins", "list")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert "RecursionError" not in output
    bad_file = plugins_dir / "bad" / "plugin.toml"
    bad_lines = [line for line in result.stdout.splitlines() if line.startswith("bad ")]
    assert bad_lines == [
        f"bad  ?  ?  failed  {bad_file} nests arrays or inline tables more than 32 levels "
        "deep (line 1)"
    ]
    good_lines = [line for line in result.stdout.splitlines() if line.startswith("good ")]
    assert good_lines == ["good  1.0.0  zeroclaw:hooks@1.0.0  loaded  events: none"]


def test_plugins_validate_names_the_bad_file_on_one_line(tmp_path: Path, plugins_dir: Path) -> None:
    config = config_file(tmp_path, plugins_dir, enabled=True)

    bad = zeroclaw(config, "plugins", "validate", str(plugins_dir / "bad"))
    good = zeroclaw(config, "plugins", "validate", str(plugins_dir / "good"))

    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {plugins_dir / 'bad' / 'plugin.toml'} nests arrays or inline tables more "
        "than 32 levels deep (line 1)"
    ]
    assert "hint: flatten the structure" in bad.stderr
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: good 1.0.0 zeroclaw:hooks@1.0.0")


def test_the_agent_starts_and_answers_beside_a_hostile_folder(
    tmp_path: Path, plugins_dir: Path
) -> None:
    config = config_file(tmp_path, plugins_dir, enabled=True)

    result = zeroclaw(config, "agent", "-m", "hello there")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "hello there" in result.stdout  # the offline provider echoes
