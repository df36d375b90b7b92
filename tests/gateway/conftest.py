"""Fixtures of the gateway tests; the harness is in gateway_harness.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_harness import Gateway, RendezvousTool, make_config, running_gateway

from zeroclaw.config import Config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def gateway(config: Config) -> Iterator[Gateway]:
    with running_gateway(config) as running:
        yield running


@pytest.fixture
def rendezvous() -> RendezvousTool:
    return RendezvousTool()
