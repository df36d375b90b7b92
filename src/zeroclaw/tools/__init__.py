"""Tools: the protocol, the registry, the security policy and the built-in tools."""

from zeroclaw.tools.base import (
    CallDependentMutation,
    RunsCommand,
    Tool,
    ToolContext,
    ToolOwner,
    command_of,
    is_mutating_call,
)
from zeroclaw.tools.builtin import builtin_tools, default_registry
from zeroclaw.tools.errors import PolicyViolation, ToolRegistrationError
from zeroclaw.tools.policy import PolicyAction, PolicyDecision, SecurityPolicy
from zeroclaw.tools.registry import DEFAULT_MAX_OUTPUT_BYTES, ToolConflict, ToolRegistry

__all__ = [
    "DEFAULT_MAX_OUTPUT_BYTES",
    "CallDependentMutation",
    "PolicyAction",
    "PolicyDecision",
    "PolicyViolation",
    "RunsCommand",
    "SecurityPolicy",
    "Tool",
    "ToolConflict",
    "ToolContext",
    "ToolOwner",
    "ToolRegistrationError",
    "ToolRegistry",
    "builtin_tools",
    "command_of",
    "default_registry",
    "is_mutating_call",
]
