"""Install, upgrade and remove, as transactions: nothing half-done is ever visible.

An install (or upgrade) goes in two steps, so the operator can be shown what the plugin
asks for before anything changes:

1. `stage`: fetch the source into a fresh folder beside the install dir (never inside it,
   where a watcher or a load would see it), then validate it completely under the
   current config, exactly as the loader would load it (manifest, ABI, grants, compile,
   exports, imports, instantiate, self-describe, and its signature under
   `plugins.signature_mode`). Any failure throws the folder away: nothing has changed.
2. `commit`: write the new plugins.lock entry, then rename the staged folder into
   `install_dir/NAME` (the old version, if any, is renamed aside first and deleted last).
   The lock goes first because a reload that runs between the two steps then refuses the
   old files (pin mismatch) and keeps serving what it serves, and the rename triggers the
   reload that picks the new version up; the other order could leave a new plugin
   refused until the next change. A failed rename restores the old lock and folder.

A plugin of the same name found elsewhere in `plugins.dirs` is refused (it would load
twice); `--name N` refuses a source whose plugin is not named N.

Removing renames the folder aside and drops the lock entry, in the same order.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from zeroclaw.config import Config
from zeroclaw.plugins.contract.digests import plugin_digests
from zeroclaw.plugins.contract.grants import Grants, grants_for_plugin
from zeroclaw.plugins.contract.lock import LockEntry, PluginLock
from zeroclaw.plugins.contract.manifest import MANIFEST_FILE, PluginManifest, load_manifest
from zeroclaw.plugins.contract.permissions import PermissionDiff, permission_diffs
from zeroclaw.plugins.contract.signature import check_signature
from zeroclaw.plugins.distribution.sources import Fetched, Source, fetch
from zeroclaw.plugins.errors import InstallError, LockError, ManifestError, PluginError


@dataclass(frozen=True)
class StagedPlugin:
    """A fetched and validated plugin, not yet visible."""

    fetched: Fetched
    manifest: PluginManifest
    grants: Grants
    warnings: tuple[str, ...]
    entry: LockEntry
    previous: PluginManifest | None = None  # the installed version it would replace
    previous_entry: LockEntry | None = None
    diff: tuple[PermissionDiff, ...] = ()
    unchanged: bool = False  # the same digests as the installed version

    @property
    def name(self) -> str:
        return self.manifest.name


@dataclass(frozen=True)
class InstalledPlugin:
    name: str
    directory: Path
    entry: LockEntry | None
    manifest: PluginManifest | None = None


@dataclass
class PluginInstaller:
    """Installs into `config.plugins.install_dir`, pinning in `config.plugins.lock_file`."""

    config: Config
    _staging: list[Path] = field(default_factory=list)

    @property
    def install_dir(self) -> Path:
        return self.config.plugins.install_dir or self.config.data_dir / "plugins"

    @property
    def lock_path(self) -> Path:
        lock_file = self.config.plugins.lock_file
        if lock_file is None:
            raise LockError(
                "plugins.lock_file is not set, so installed plugins cannot be pinned",
                hint="load the config from a file (the lock goes beside it), or set "
                "plugins.lock_file",
            )
        return lock_file

    def lock(self) -> PluginLock:
        return PluginLock.read(self.lock_path)

    # -- staging ----------------------------------------------------------------------------

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh folder on the install dir's file system, removed afterwards."""
        root = self.install_dir.parent / f".{self.install_dir.name}.staging"
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="install-", dir=root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def stage(
        self, source: Source, folder: Path, *, expect_name: str | None = None
    ) -> StagedPlugin:
        """Fetch and validate `source` in `folder` (from `staging()`); see the docstring."""
        fetched = fetch(source, folder, self.config.plugins.install)
        manifest = load_manifest(fetched.directory)
        if expect_name is not None and manifest.name != expect_name:
            raise InstallError(
                f"{source} holds plugin {manifest.name!r}, not {expect_name!r} (--name)",
                hint="check the source, or drop --name",
            )
        self._refuse_duplicate(manifest.name)
        plugin_warnings = self._validate(fetched.directory)
        digests = plugin_digests(fetched.directory, manifest)
        # Recorded whatever signature_mode says, so the lock shows who signed what.
        signature = check_signature(
            manifest.name, fetched.directory, digests, self.config.plugins.trusted_keys
        )
        signer = signature.signer if signature.state in ("ok", "untrusted") else None
        entry = LockEntry(
            source=source.location,
            version=manifest.version,
            component_sha256=digests.component_sha256,
            manifest_sha256=digests.manifest_sha256,
            signer=signer,
            source_sha256=fetched.source_sha256,
            installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        grants = grants_for_plugin(
            manifest.name, manifest.requested_capabilities, self.config.plugins
        )
        previous, previous_entry = self._installed(manifest.name)
        diff: tuple[PermissionDiff, ...] = ()
        if previous is not None:
            before = grants_for_plugin(
                previous.name, previous.requested_capabilities, self.config.plugins
            )
            diff = permission_diffs(
                {previous.name: [str(c) for c in before.granted]},
                {manifest.name: [str(c) for c in grants.granted]},
            )
        unchanged = previous_entry is not None and (
            previous_entry.component_sha256,
            previous_entry.manifest_sha256,
        ) == (entry.component_sha256, entry.manifest_sha256)
        return StagedPlugin(
            fetched,
            manifest,
            grants,
            plugin_warnings,
            entry,
            previous,
            previous_entry,
            diff,
            unchanged,
        )

    def _validate(self, directory: Path) -> tuple[str, ...]:
        """Every load step, under the current config, without the lock (it is about to
        change); returns the plugin's warnings."""
        from zeroclaw.plugins.host.context import HostServices
        from zeroclaw.plugins.loading.loader import LoadContext, engine_settings, validate_plugin
        from zeroclaw.plugins.wasm.engine import PluginEngine

        plugins = self.config.plugins
        services = HostServices(data_dir=self.config.data_dir, memory=None, env=self.config.env)
        engine = PluginEngine(
            engine_settings(plugins, [directory]), cache_dir=self.config.plugin_cache_dir
        )
        engine.start()
        try:
            result = validate_plugin(directory, LoadContext(plugins, engine, services))
            if result.plugin is not None:
                result.plugin.calls.close()
        finally:
            engine.close()
            services.close()
        if not result.ok:
            lines = [problem.message for problem in result.problems]
            hints = [problem.hint for problem in result.problems if problem.hint]
            raise InstallError(
                "the plugin failed validation, so nothing was installed:\n"
                + "\n".join(f"  - {line}" for line in lines),
                hint="; ".join(dict.fromkeys(hints)) or None,
            )
        assert result.plugin is not None
        return result.plugin.warnings

    # -- committing ---------------------------------------------------------------------------

    def commit(self, staged: StagedPlugin, folder: Path) -> InstalledPlugin:
        """Make `staged` the installed version of its plugin (see the module docstring)."""
        name = staged.name
        target = self.install_dir / name
        lock = self.lock()
        previous_lock = lock
        lock.with_entry(name, staged.entry).write()
        aside = folder / "previous"
        self.install_dir.mkdir(parents=True, exist_ok=True)
        try:
            if target.exists():
                os.rename(target, aside)
            try:
                os.rename(staged.fetched.directory, target)
            except OSError:
                if aside.exists():
                    os.rename(aside, target)
                raise
        except BaseException:
            previous_lock.write()
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return InstalledPlugin(name, target, staged.entry, staged.manifest)

    def remove(self, name: str) -> InstalledPlugin:
        lock = self.lock()
        entry = lock.get(name)
        target = self.install_dir / name
        if entry is None and not target.is_dir():
            raise InstallError(
                f"plugin {name!r} is not installed (not in {self.install_dir}, nor in "
                f"{lock.path}){self._elsewhere(name)}",
                hint="`zeroclaw plugins list` shows the plugins and where they come from",
            )
        with self.staging() as folder:
            if entry is not None:
                lock.without(name).write()
            if target.is_dir():
                try:
                    os.rename(target, folder / "removed")
                except OSError:
                    lock.write()
                    raise
        return InstalledPlugin(name, target, entry)

    # -- what is there ------------------------------------------------------------------------

    def _installed(self, name: str) -> tuple[PluginManifest | None, LockEntry | None]:
        target = self.install_dir / name
        entry = self.lock().get(name)
        try:
            return load_manifest(target), entry
        except ManifestError:
            return None, entry

    def _refuse_duplicate(self, name: str) -> None:
        elsewhere = self._elsewhere(name)
        if elsewhere:
            raise InstallError(
                f"plugin {name!r} is already in plugins.dirs{elsewhere}; installing it too "
                "would load it twice",
                hint="remove that folder or its dir from plugins.dirs, or install another plugin",
            )

    def _elsewhere(self, name: str) -> str:
        """Where a plugin named `name` is in plugins.dirs (outside the install dir)."""
        for root in self.config.plugins.dirs:
            if root == self.install_dir:
                continue
            candidates = [root] if (root / MANIFEST_FILE).is_file() else _children(root)
            for directory in candidates:
                try:
                    if load_manifest(directory).name == name:
                        return f" (at {directory})"
                except PluginError:
                    continue
        return ""


def _children(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [p for p in root.iterdir() if (p / MANIFEST_FILE).is_file()]
