"""The tools ZeroClaw ships with, and the registry a runtime starts from."""

from __future__ import annotations

from zeroclaw.config.models import Config
from zeroclaw.memory import MemoryStore
from zeroclaw.tools.base import Tool
from zeroclaw.tools.builtin.files import FileListTool, FileReadTool, FileWriteTool
from zeroclaw.tools.builtin.http_request import HttpRequestTool
from zeroclaw.tools.builtin.memory import MemoryRecallTool, MemoryStoreTool
from zeroclaw.tools.builtin.shell import ShellTool
from zeroclaw.tools.policy import SecurityPolicy
from zeroclaw.tools.registry import ToolRegistry


def builtin_tools(config: Config, memory: MemoryStore, policy: SecurityPolicy) -> list[Tool]:
    tools = config.tools
    return [
        ShellTool(policy, tools.shell),
        FileReadTool(policy, tools.max_file_bytes),
        FileWriteTool(policy, tools.max_file_bytes),
        FileListTool(policy),
        MemoryStoreTool(memory),
        MemoryRecallTool(memory, default_limit=config.memory.recall_limit),
        HttpRequestTool(policy, tools.http_request),
    ]


def default_registry(config: Config, memory: MemoryStore, policy: SecurityPolicy) -> ToolRegistry:
    """Every built-in tool, registered as native. Which ones the model may call is the
    policy's business (tools.allowed), decided per call."""
    registry = ToolRegistry()
    for tool in builtin_tools(config, memory, policy):
        registry.register(tool, "native")
    return registry


__all__ = [
    "FileListTool",
    "FileReadTool",
    "FileWriteTool",
    "HttpRequestTool",
    "MemoryRecallTool",
    "MemoryStoreTool",
    "ShellTool",
    "builtin_tools",
    "default_registry",
]
