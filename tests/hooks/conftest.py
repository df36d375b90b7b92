"""Fixtures of the built-in hook tests: a config on a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config import Config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    return config
