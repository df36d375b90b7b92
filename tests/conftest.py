"""Every test runs with its own HOME and XDG dirs and without provider keys or
ZEROCLAW_CONFIG from the outside, so the user's real config, data and keys are never
read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

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
