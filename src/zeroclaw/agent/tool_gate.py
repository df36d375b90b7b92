"""The one path every tool call takes, from the agent loop or from `zeroclaw tools call`:
security policy first, then approval when the policy asks for it, then the registry.
A refused call never reaches the tool and comes back as a failed result the model sees.
"""

from __future__ import annotations

from pathlib import Path

from zeroclaw.agent.approval import Approver
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.tools import SecurityPolicy, ToolContext, ToolRegistry, is_mutating_call


class ToolGate:
    def __init__(
        self, policy: SecurityPolicy, registry: ToolRegistry, approver: Approver, workspace: Path
    ) -> None:
        self._policy = policy
        self._registry = registry
        self._approver = approver
        self._workspace = workspace

    async def run(self, session_id: str, call: ToolCall, calls_so_far: int) -> ToolResult:
        """Run `call` if the policy allows it; `calls_so_far` counts this turn's earlier calls."""
        tool = self._registry.get(call.name)
        mutating = is_mutating_call(tool, call.arguments) if tool is not None else False
        decision = self._policy.check_call(call.name, mutating, calls_so_far)
        if decision.action == "deny":
            return ToolResult.fail(f"denied by security policy: {decision.reason}")
        if decision.action == "needs_approval" and not await self._approver.approve(
            call, decision.reason
        ):
            return ToolResult.fail(f"not approved: {decision.reason}")
        context = ToolContext(session_id=session_id, workspace=self._workspace)
        return await self._registry.execute(call.name, call.arguments, context)
