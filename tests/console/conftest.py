"""Fixtures of the console tests: plugin directories (the compaction-floor example, built
from its WAT, and copies of it under other names), a config file for a real `zeroclaw
gateway` process, and Debian's chromium driven by Playwright (skipped, saying why, when
it cannot start)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from console_support import CHROMIUM, CHROMIUM_ARGS, ROOT, TOKEN, plugin_copy

from gateway_processes import gateway_processes
from zeroclaw.gateway.auth import hash_token
from zeroclaw.plugins.authoring.build import build_plugin


@pytest.fixture(scope="session")
def floor_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/plugins/compaction-floor with its component built (once)."""
    directory = tmp_path_factory.mktemp("floor") / "compaction-floor"
    shutil.copytree(ROOT / "examples" / "plugins" / "compaction-floor", directory)
    build_plugin(directory)
    return directory


@pytest.fixture
def plugins_dir(tmp_path: Path, floor_template: Path) -> Path:
    """compaction-floor, and `grower` (the same hook under another name), loaded at start."""
    path = tmp_path / "plugins"
    path.mkdir()
    shutil.copytree(floor_template, path / "compaction-floor")
    plugin_copy(floor_template, path, "grower", description="Asks for more later on.")
    return path


@pytest.fixture
def config_file(tmp_path: Path, plugins_dir: Path) -> Path:
    """Plugins on, reloads only when asked (no watcher: each test says when), new grants
    wait for approval, tools run without asking."""
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
data_dir = "{tmp_path / "data"}"
[gateway]
tokens = ["{hash_token(TOKEN)}"]
[gateway.console]
live_interval_ms = 200
[tools]
autonomy = "full"
[plugins]
enabled = true
hot_reload = false
dirs = ["{plugins_dir}"]
require_approval_for_new_capabilities = true
[plugins.capabilities]
allow = ["hooks.modify", "hooks.conversation", "log", "kv"]
"""
    )
    return path


@pytest.fixture
def gateway(config_file: Path) -> Iterator[str]:
    """A real `zeroclaw gateway` process on 127.0.0.1: its base URL."""
    with gateway_processes() as start:
        _process, base = start(config_file)
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium under Playwright, once per module; skipped when it cannot start
    (the reason is the error). Not once per session: Playwright's sync API keeps an event
    loop running in this thread while it is started, and the async tests of the suites
    after this one need the thread to themselves."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    manager = sync_api.sync_playwright().start()
    try:
        launched = manager.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:
        manager.stop()
        pytest.skip(f"chromium cannot start: {str(exc).splitlines()[0]}")
    yield launched
    launched.close()
    manager.stop()


@pytest.fixture
def screenshot() -> Callable[[object, str], None]:
    """`screenshot(page, name)`: a PNG of the page, into docs/images/ when
    ZEROCLAW_CONSOLE_SCREENSHOTS=1 (how docs/console.md's pictures are made), else nowhere
    that lasts."""
    keep = os.environ.get("ZEROCLAW_CONSOLE_SCREENSHOTS") == "1"
    target = ROOT / "docs" / "images"

    def take(page: object, name: str) -> None:
        data = page.screenshot(full_page=False, type="png")  # type: ignore[attr-defined]
        assert data.startswith(b"\x89PNG")
        if keep:
            target.mkdir(parents=True, exist_ok=True)
            (target / f"console-{name}.png").write_bytes(data)

    return take
