"""`zeroclaw plugins new`: a new hook plugin directory from a template (templates/hook-*),
named and ready to build. The templates ship inside the package (`zeroclaw/templates` in a
wheel) and are read from the source checkout otherwise."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Literal

from zeroclaw.plugins.contract.manifest import PLUGIN_NAME
from zeroclaw.plugins.errors import PluginError

Language = Literal["python", "javascript", "wat"]
LANGUAGES: tuple[Language, ...] = ("python", "javascript", "wat")
TEMPLATE_NAME = "my-hook"
# Built and cached files of a template are never copied: the new plugin builds its own.
_NOT_COPIED = shutil.ignore_patterns("plugin.wasm", "*.build.json", "__pycache__", "node_modules")


class ScaffoldError(PluginError):
    """The new plugin cannot be made (bad name, existing directory, no templates)."""


def templates_root() -> Path:
    candidates = [Path(__file__).resolve().parents[4] / "templates"]
    shipped = resources.files("zeroclaw").joinpath("templates")
    if isinstance(shipped, Path):
        candidates.insert(0, shipped)
    for path in candidates:
        if (path / "hook-python").is_dir():
            return path
    raise ScaffoldError(
        f"cannot find the plugin templates (looked in {', '.join(map(str, candidates))})",
        hint="reinstall ZeroClaw, or run it from a source checkout",
    )


def new_plugin(name: str, language: Language, parent: Path) -> Path:
    """Copy the `language` hook template to `parent/name` and give it `name`."""
    if not PLUGIN_NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a plugin name",
            hint="use lower-case letters, digits and -, e.g. redact-emails",
        )
    target = parent / name
    if target.exists():
        raise ScaffoldError(f"{target} already exists", hint="choose another name or another --dir")
    shutil.copytree(templates_root() / f"hook-{language}", target, ignore=_NOT_COPIED)
    manifest = target / "plugin.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace(f'name = "{TEMPLATE_NAME}"', f'name = "{name}"', 1), encoding="utf-8"
    )
    return target
