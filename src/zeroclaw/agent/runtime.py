"""Assembling a working agent from a `Config`: memory, security policy, tools, provider.

One place decides how the parts fit, so the CLI, the demo and (later) the gateway build
the same agent. `AgentRuntime` owns what must be closed (the SQLite store).
"""

from __future__ import annotations

from types import TracebackType

from zeroclaw.agent.approval import Approver
from zeroclaw.agent.loop import Agent
from zeroclaw.agent.tool_gate import ToolGate
from zeroclaw.config import Config
from zeroclaw.memory import MemoryStore
from zeroclaw.providers import Provider, build_provider
from zeroclaw.tools import SecurityPolicy, ToolRegistry, default_registry


class AgentRuntime:
    def __init__(
        self,
        config: Config,
        memory: MemoryStore,
        policy: SecurityPolicy,
        tools: ToolRegistry,
        gate: ToolGate,
        provider: Provider,
        agent: Agent,
    ) -> None:
        self.config = config
        self.memory = memory
        self.policy = policy
        self.tools = tools
        self.gate = gate
        self.provider = provider
        self.agent = agent

    @classmethod
    def from_config(cls, config: Config, *, approver: Approver) -> AgentRuntime:
        workspace = config.workspace
        workspace.mkdir(parents=True, exist_ok=True)
        provider = build_provider(config.llm)
        memory = MemoryStore.open(config.memory_path)
        try:
            policy = SecurityPolicy(config.tools, workspace)
            tools = default_registry(config, memory, policy)
            gate = ToolGate(policy, tools, approver, workspace)
            agent = Agent(
                config=config.agent,
                provider=provider,
                # An empty model lets each provider of the chain use its own default.
                model=config.llm.model or "",
                tools=tools,
                gate=gate,
                memory=memory,
            )
        except BaseException:
            memory.close()
            raise
        return cls(config, memory, policy, tools, gate, provider, agent)

    def close(self) -> None:
        self.memory.close()

    def __enter__(self) -> AgentRuntime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
