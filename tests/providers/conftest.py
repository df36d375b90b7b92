"""Fixtures of the provider tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_llm_server import FakeLLMServer


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()
