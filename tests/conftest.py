"""Every test runs with its own HOME and XDG dirs and without provider keys or
ZEROCLAW_CONFIG from the outside, so the user's real config, data and keys are never
read or written.

Also the storage faults several suites need (storage_faults.py): a read-only path and
a small disk to fill."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage_faults import MakeReadOnly, SmallDisk, mount_small_disk, read_only_maker

OUTSIDE_ENV = ("ZEROCLAW_CONFIG", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in OUTSIDE_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def make_read_only(request: pytest.FixtureRequest) -> MakeReadOnly:
    """Make a directory or file read-only for this test (undone at its end), or skip."""
    return read_only_maker(request.addfinalizer)


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> SmallDisk:
    """A directory on a 1 MiB tmpfs of its own (unmounted at the end), or skip."""
    return mount_small_disk(tmp_path / "small-disk", request.addfinalizer)
