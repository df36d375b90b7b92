"""The agent: the turn loop, compaction, approvals and the assembly of a runtime."""

from zeroclaw.agent.approval import AllowApprover, Approver, DenyApprover
from zeroclaw.agent.loop import CANCELLED_TURN, Agent, ToolExchange, TurnBlocked, TurnResult
from zeroclaw.agent.runtime import AgentRuntime
from zeroclaw.agent.steering import (
    Steering,
    SteeringRefused,
    ToolAnswer,
    ToolAnswersMismatch,
    ToolNameClash,
    UnsupportedOption,
)

__all__ = [
    "CANCELLED_TURN",
    "Agent",
    "AgentRuntime",
    "AllowApprover",
    "Approver",
    "DenyApprover",
    "Steering",
    "SteeringRefused",
    "ToolAnswer",
    "ToolAnswersMismatch",
    "ToolExchange",
    "ToolNameClash",
    "TurnBlocked",
    "TurnResult",
    "UnsupportedOption",
]
