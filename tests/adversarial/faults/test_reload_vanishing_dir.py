"""A plugin directory that vanishes and comes back while reloads run: every reload ends in
a report (swapped or rolled back), never an exception; the registry always serves a whole
snapshot; once the directory is back for good, a reload serves it again.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from wat_builder import WAT, build_component

from zeroclaw.config import Config
from zeroclaw.hooks.events import Event
from zeroclaw.plugins.lifecycle.registry import PluginRegistry
from zeroclaw.plugins.lifecycle.reload import PluginReloader, ReloadReport

pytestmark = pytest.mark.slow


def _plugin(directory: Path, component: Path) -> None:
    directory.mkdir(parents=True)
    shutil.copy(component, directory / "plugin.wasm")
    (directory / "plugin.toml").write_text(
        'name = "guard"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
        'component = "plugin.wasm"\ncapabilities = ["hooks.conversation", "hooks.modify"]\n'
    )


def test_reloads_survive_a_plugin_dir_vanishing_under_them(tmp_path: Path) -> None:
    component = build_component(WAT / "hook_guard.wat", tmp_path / "build")
    plugins = tmp_path / "plugins"
    _plugin(plugins / "guard", component)
    config = Config(data_dir=tmp_path / "data")
    config.plugins.enabled = True
    config.plugins.dirs = [plugins]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify"]

    with PluginRegistry.for_config(config) as registry:
        registry.load(config.plugins)
        reloader = PluginReloader(registry, config.plugins)
        stop = threading.Event()
        flips = 0

        def flip() -> None:
            nonlocal flips
            away = tmp_path / "away"
            while not stop.is_set():
                (plugins / "guard").rename(away)
                away.rename(plugins / "guard")
                flips += 1

        flipper = threading.Thread(target=flip)
        flipper.start()
        reports: list[ReloadReport] = []
        try:
            for _ in range(40):
                reports.append(reloader.reload("test"))
                snapshot = registry.current()
                # Whatever generation serves is whole: its plugins and handlers agree.
                assert {h.spec.name for h in snapshot.hook_handlers()} <= set(snapshot.plugins)
        finally:
            stop.set()
            flipper.join()
        final = reloader.reload("test")
        reloader.close()

        assert flips > 0
        assert len(reports) == 40
        assert final.swapped or final.plugins == 1
        served = registry.current()
        assert "guard" in served.plugins
        handlers = served.hook_handlers()
        assert [h.spec.name for h in handlers] == ["guard"]
        assert Event.BEFORE_TOOL_CALL in handlers[0].spec.events
