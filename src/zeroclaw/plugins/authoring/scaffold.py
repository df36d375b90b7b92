"""`zeroclaw plugins new`: a new plugin directory from a template, named and ready to build.

There is one template per kind (hook, tool, provider) and language (Python, JavaScript,
WAT), in `templates/KIND-LANGUAGE`: a complete plugin with one real example, its README and
`tests.toml` (the cases `zeroclaw plugins test` runs). Making a plugin is copying one and
replacing the template's name (`my-hook`, `my-tool`, `my-provider`) with the new name in
every text file, so the README, the manifest and the messages all say the plugin's name.
The templates ship inside the package (`zeroclaw/templates` in a wheel) and are read from
the source checkout otherwise.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Literal

from zeroclaw.plugins.contract.manifest import PLUGIN_NAME
from zeroclaw.plugins.errors import PluginError

Language = Literal["python", "javascript", "wat"]
LANGUAGES: tuple[Language, ...] = ("python", "javascript", "wat")
Kind = Literal["hook", "tool", "provider"]
KINDS: tuple[Kind, ...] = ("hook", "tool", "provider")
# Built and cached files of a template are never copied: the new plugin builds its own.
_NOT_COPIED = shutil.ignore_patterns("plugin.wasm", "*.build.json", "__pycache__", "node_modules")
_TEXT_SUFFIXES = frozenset({".md", ".toml", ".py", ".js", ".mjs", ".wat", ".wit"})


class ScaffoldError(PluginError):
    """The new plugin cannot be made (bad name, existing directory, no templates)."""


def template_name(kind: Kind) -> str:
    """The name a template of `kind` carries until `plugins new` renames it."""
    return f"my-{kind}"


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


def template_dir(kind: Kind, language: Language) -> Path:
    return templates_root() / f"{kind}-{language}"


def new_plugin(name: str, language: Language, parent: Path, kind: Kind = "hook") -> Path:
    """Copy the `kind`/`language` template to `parent/name` and give it `name`."""
    if not PLUGIN_NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a plugin name",
            hint="use lower-case letters, digits and -, e.g. redact-emails",
        )
    target = parent / name
    if target.exists():
        raise ScaffoldError(f"{target} already exists", hint="choose another name or another --dir")
    shutil.copytree(template_dir(kind, language), target, ignore=_NOT_COPIED)
    placeholder = template_name(kind)
    for path in sorted(target.rglob("*")):
        if path.is_file() and path.suffix in _TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            if placeholder in text:
                path.write_text(text.replace(placeholder, name), encoding="utf-8")
    return target
