"""`zeroclaw demo --plugins` keeps compiled plugins in the user's cache dir (here the test's
own XDG_CACHE_HOME, see tests/conftest.py), so a second run deserializes instead of
compiling; the demo's scratch data dir holds no cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.config import Config
from zeroclaw.plugins.authoring.build import build_plugin

EXAMPLES = Path(__file__).parents[2] / "examples" / "plugins"


def demo(tmp_path: Path, data: str, *extra: str) -> str:
    plugins = str(tmp_path / "plugins")
    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(tmp_path / data), "--plugins", plugins, *extra]
    )
    assert result.exit_code == 0, result.output
    assert "plugin compaction-floor 0.1.0 loaded" in result.output
    return result.output


def entries(directory: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in directory.glob("*.cwasm")}


def test_a_second_demo_run_loads_its_plugins_from_the_user_cache(
    tmp_path: Path, isolated_home: Path
) -> None:
    shutil.copytree(EXAMPLES / "compaction-floor", tmp_path / "plugins" / "compaction-floor")
    build_plugin(tmp_path / "plugins" / "compaction-floor")
    user_cache = isolated_home / ".cache" / "zeroclaw" / "plugin-cache"

    demo(tmp_path, "first")
    written = entries(user_cache)
    assert len(written) == 1  # compiled once, into the user's cache
    assert not (tmp_path / "first" / "plugin-cache").exists()

    demo(tmp_path, "second")
    assert entries(user_cache) == written  # read back, not compiled and written again


def test_the_demo_cache_dir_can_be_chosen(tmp_path: Path, isolated_home: Path) -> None:
    shutil.copytree(EXAMPLES / "compaction-floor", tmp_path / "plugins" / "compaction-floor")
    build_plugin(tmp_path / "plugins" / "compaction-floor")

    demo(tmp_path, "data", "--cache-dir", str(tmp_path / "mine"))

    assert len(entries(tmp_path / "mine")) == 1
    assert not (isolated_home / ".cache" / "zeroclaw").exists()


def test_plugins_cache_dir_defaults_to_the_data_dir(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    assert config.plugin_cache_dir == tmp_path / "data" / "plugin-cache"
    config.plugins.cache_dir = tmp_path / "elsewhere"
    assert config.plugin_cache_dir == tmp_path / "elsewhere"
