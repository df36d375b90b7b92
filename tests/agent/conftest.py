"""A real agent on a real SQLite file, real tools and a real policy; only the model is a
small real implementation (scripted or offline)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zeroclaw.agent import Agent, AllowApprover, Approver
from zeroclaw.agent.loop import ProviderResolver
from zeroclaw.agent.tool_gate import ToolGate
from zeroclaw.config import Config
from zeroclaw.hooks import HookRunner, ObserverBridge
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import Observer
from zeroclaw.providers import Provider
from zeroclaw.tools import SecurityPolicy, default_registry

MakeAgent = Callable[..., Agent]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    return config


@pytest.fixture
def memory(config: Config) -> Iterator[MemoryStore]:
    with MemoryStore.open(config.memory_path) as store:
        yield store


@pytest.fixture
def runner() -> HookRunner:
    return HookRunner()


@pytest.fixture
def make_agent(config: Config, memory: MemoryStore, runner: HookRunner) -> MakeAgent:
    """An agent whose hooks run on `runner`, with the ObserverBridge as its observer (or
    the `observer` given)."""

    def make(
        provider: Provider,
        *,
        approver: Approver | None = None,
        model: str = "",
        provider_for: ProviderResolver | None = None,
        observer: Observer | None = None,
    ) -> Agent:
        policy = SecurityPolicy(config.tools, config.workspace)
        tools = default_registry(config, memory, policy)
        gate = ToolGate(policy, tools, approver or AllowApprover(), config.workspace, runner)
        return Agent(
            config=config.agent,
            provider=provider,
            model=model,
            tools=tools,
            gate=gate,
            memory=memory,
            hooks=runner,
            observer=observer or ObserverBridge(runner),
            provider_for=provider_for,
        )

    return make
