"""What the console tests share: the token, the hostile string, the chromium they drive
and its flags, and plugin directories written from the compaction-floor example."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import tomlkit

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "zc_console-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHROMIUM = Path(os.environ.get("ZEROCLAW_CHROMIUM", "/usr/bin/chromium"))
# What chromium needs here: no sandbox (root in a container), no GPU, and nothing that
# reaches for the network on its own (the network is closed).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "<img src=x onerror=alert(1)>"


def plugin_copy(template: Path, into: Path, name: str, **manifest: object) -> Path:
    """A copy of `template` named `name`, its plugin.toml keys replaced by `manifest`."""
    directory = into / name
    shutil.copytree(template, directory)
    write_manifest(directory, name=name, **manifest)
    return directory


def write_manifest(directory: Path, **keys: object) -> None:
    path = directory / "plugin.toml"
    document = tomlkit.parse(path.read_text())
    for key, value in keys.items():
        document[key] = value
    path.write_text(tomlkit.dumps(document))
