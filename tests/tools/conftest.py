from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config.models import ToolsConfig
from zeroclaw.tools import SecurityPolicy, ToolContext


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path.resolve()


@pytest.fixture
def policy(workspace: Path) -> SecurityPolicy:
    return SecurityPolicy(ToolsConfig(), workspace)


@pytest.fixture
def context(workspace: Path) -> ToolContext:
    return ToolContext(session_id="test", workspace=workspace)
