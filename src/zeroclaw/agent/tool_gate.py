"""The one path every tool call takes, from the agent loop or from `zeroclaw tools call`:

    security policy -> approval (supervised) -> before_tool_call hook -> registry

A refused or cancelled call never reaches the tool and comes back as a failed result the
model sees. A hook that changes the tool or its arguments sends the changed call through
the policy again, so a hook can narrow a call but never smuggle a forbidden one past it.

The registry routes the call by owner (native or plugin); the gate does not care which:
plugin tools take exactly this path. With plugins on, the registry is the live plugin
snapshot's view (native tools plus that snapshot's plugin tools), taken once per turn like
the hook runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zeroclaw.agent.approval import Approver
from zeroclaw.hooks import Event, HookRunner, HookSource, ToolCallRequest, hook_source
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.tools import SecurityPolicy, ToolContext, ToolRegistry, is_mutating_call

# Where a caller gets the registry to run tools from: a fixed registry, or the view of the
# live plugin snapshot (asked once per turn).
ToolSource = Callable[[], ToolRegistry]


def tool_source(tools: ToolRegistry | ToolSource) -> ToolSource:
    """A source for `tools`: a registry stands for itself."""
    if isinstance(tools, ToolRegistry):
        registry = tools
        return lambda: registry
    return tools


@dataclass(frozen=True, slots=True)
class GateOutcome:
    result: ToolResult
    # "policy", "approval" or "hook:<handler>" when the call never reached the tool.
    blocked_by: str | None = None


class ToolGate:
    def __init__(
        self,
        policy: SecurityPolicy,
        registry: ToolRegistry | ToolSource,
        approver: Approver,
        workspace: Path,
        hooks: HookRunner | HookSource | None = None,
    ) -> None:
        self._policy = policy
        self._registry = tool_source(registry)
        self._approver = approver
        self._workspace = workspace
        self._hooks = hook_source(hooks)

    async def run(
        self,
        session_id: str,
        call: ToolCall,
        calls_so_far: int,
        *,
        hooks: HookRunner | None = None,
        tools: ToolRegistry | None = None,
    ) -> GateOutcome:
        """Run `call` if allowed; `calls_so_far` counts this turn's earlier calls; `hooks`
        and `tools` are the turn's runner and registry (default: the gate's own, live)."""
        registry = tools if tools is not None else self._registry()
        refusal = await self._refusal(call, calls_so_far, registry)
        if refusal is not None:
            return refusal
        request = await (hooks or self._hooks()).run(
            Event.BEFORE_TOOL_CALL, ToolCallRequest(session_id, call.name, call.arguments)
        )
        if request.cancelled:
            return GateOutcome(
                ToolResult.fail(f"blocked by hook: {request.reason}"),
                blocked_by=f"hook:{request.cancelled_by or '?'}",
            )
        changed = request.payload
        if (changed.tool, changed.arguments) != (call.name, call.arguments):
            call = ToolCall(call.id, changed.tool, changed.arguments)
            refusal = await self._refusal(call, calls_so_far, registry)
            if refusal is not None:
                return refusal
        context = ToolContext(session_id=session_id, workspace=self._workspace)
        return GateOutcome(await registry.execute(call.name, call.arguments, context))

    async def _refusal(
        self, call: ToolCall, calls_so_far: int, registry: ToolRegistry
    ) -> GateOutcome | None:
        tool = registry.get(call.name)
        mutating = is_mutating_call(tool, call.arguments) if tool is not None else False
        decision = self._policy.check_call(call.name, mutating, calls_so_far)
        if decision.action == "deny":
            return GateOutcome(
                ToolResult.fail(f"denied by security policy: {decision.reason}"), "policy"
            )
        if decision.action == "needs_approval" and not await self._approver.approve(
            call, decision.reason
        ):
            return GateOutcome(ToolResult.fail(f"not approved: {decision.reason}"), "approval")
        return None
