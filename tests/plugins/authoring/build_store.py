"""Built components kept across the authoring tests and across runs, so that no guest is
built twice (Python ~10 s, JavaScript ~25 s each on a loaded machine).

The store is keyed by the plugin's sources: the sha256 of the very files the build key
covers (`input_files`: everything but docs, tests.toml, hidden files and the component),
so a template made under another name, or edited by a tutorial, is another entry, and the
same sources made by two tests are one. Restoring puts the component and its build record
into the plugin directory; the build's own check (the full key: sources, toolchain
version, WIT, wrappers, and the component's sha256) still decides whether it is current,
so a stale entry is rebuilt and then replaced, never trusted.
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

from zeroclaw.plugins.authoring.build import RECORD_SUFFIX, input_files

ROOT = Path(__file__).resolve().parents[3]
STORE = ROOT / ".cache" / "test-template-builds"


def _component(directory: Path) -> Path:
    manifest = tomllib.loads((directory / "plugin.toml").read_text(encoding="utf-8"))
    return directory / str(manifest.get("component", "plugin.wasm"))


def _entry(directory: Path) -> tuple[Path, Path]:
    """The plugin's component, and its entry in the store."""
    component = _component(directory)
    digest = hashlib.sha256()
    for path in input_files(directory, component):
        for part in (path.relative_to(directory).as_posix().encode(), path.read_bytes()):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
    return component, STORE / digest.hexdigest()


def restore(directory: Path) -> None:
    """Put the stored build of these sources, if any, beside them."""
    component, entry = _entry(directory)
    stored = entry / component.name
    if stored.is_file() and not _same_record(entry, component):
        shutil.copy2(stored, component)
        shutil.copy2(entry / (component.name + RECORD_SUFFIX), component.parent)


def keep(directory: Path) -> None:
    """Store the plugin's component and build record, if it has been built."""
    component, entry = _entry(directory)
    record = component.with_name(component.name + RECORD_SUFFIX)
    if not (component.is_file() and record.is_file()) or _same_record(entry, component):
        return
    entry.mkdir(parents=True, exist_ok=True)
    for path in (component, record):
        shutil.copy2(path, entry / path.name)


def _same_record(entry: Path, component: Path) -> bool:
    name = component.name + RECORD_SUFFIX
    stored, here = entry / name, component.with_name(name)
    return stored.is_file() and here.is_file() and stored.read_bytes() == here.read_bytes()
