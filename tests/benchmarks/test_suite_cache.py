"""Which compile cache the suite uses: the persistent one (`zeroclaw demo`'s, or
--cache-dir) unless --cold, and what its output says about it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from suite import _cache_line, compile_cache, plugin_config

from zeroclaw.config.models import user_plugin_cache_dir


def test_plugins_compile_into_the_persistent_cache_by_default(tmp_path: Path) -> None:
    work, persistent = tmp_path / "work", tmp_path / "persistent"
    work.mkdir()

    cache = compile_cache(work, cold=False, cache_dir=persistent)

    assert cache == {"kind": "persistent", "path": str(persistent.resolve())}
    config = plugin_config(work / "data-x", work / "plugins")
    assert config.plugins.cache_dir is not None
    assert config.plugins.cache_dir.resolve() == persistent.resolve()
    assert "Compile cache: persistent" in _cache_line(cache)


def test_the_default_persistent_cache_is_the_demo_s(tmp_path: Path) -> None:
    compile_cache(tmp_path, cold=False, cache_dir=None)

    assert (tmp_path / "plugin-cache").resolve() == user_plugin_cache_dir().resolve()


def test_cold_compiles_into_a_cache_of_this_run_only(tmp_path: Path) -> None:
    cache = compile_cache(tmp_path, cold=True, cache_dir=tmp_path / "persistent")

    assert cache["kind"] == "cold"
    assert (tmp_path / "plugin-cache").is_dir()
    assert not (tmp_path / "plugin-cache").is_symlink()
    assert not (tmp_path / "persistent").exists()
    assert "cold (--cold)" in _cache_line(cache)
