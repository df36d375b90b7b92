"""The one path every tool call takes, whoever asks (the agent loop, `zeroclaw tools call`,
an MCP client through `zeroclaw mcp serve`) and whoever owns the tool (native, plugin,
MCP server):

    security policy -> approval -> before_tool_call hook -> registry -> tool_result_persist

A refused or cancelled call never reaches the tool and comes back as a failed result. A
hook that changes the tool or its arguments sends the changed call through the policy and
approval again, so a hook can narrow a call but never smuggle a forbidden one past them.
tool_result_persist sees every result, refusals included, so a redaction hook cleans what
any caller gets back; the registry has already cut long output.

A call of a client's tool (a function an OpenAI client offered with its request) runs on
the client, so neither the policy nor the registry sees it; `screen_client_call` runs
before_tool_call on it all the same, so a guard may change its arguments or refuse it.

Approval (see agent/approval.py and tools.approval): a decision of the policy that needs
one goes to the approver; where nobody can answer, the call is refused at once. The
outcome records how approval went and who owns the tool, for the audit log.

With plugins on, the registry is the live plugin snapshot's view (native tools plus that
snapshot's plugin tools, plus the connected MCP servers' tools), taken once per turn like
the hook runner.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path

from zeroclaw.agent.approval import Approver
from zeroclaw.hooks import (
    Event,
    Explanation,
    HookRunner,
    HookSource,
    ToolCallRequest,
    ToolResultPersist,
    hook_source,
)
from zeroclaw.messages import ToolCall, ToolResult
from zeroclaw.observability import ApprovalOutcome
from zeroclaw.tools import (
    SecurityPolicy,
    ToolContext,
    ToolRegistry,
    command_of,
    is_mutating_call,
)

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
    # Who offers the tool: "native", "plugin:NAME", "mcp:SERVER" (None: no such tool).
    owner: str | None = None
    approval: ApprovalOutcome = "not_needed"
    # The plugin's version, for a plugin tool.
    owner_version: str | None = None
    # What before_tool_call and tool_result_persist did, in that order (stored with the
    # result as its provenance).
    hooks: tuple[Explanation, ...] = ()


@dataclass(frozen=True, slots=True)
class Persisted:
    """A result as tool_result_persist left it, and what its handlers did."""

    result: ToolResult
    explanation: Explanation | None


@dataclass(frozen=True, slots=True)
class Screened:
    """A client's tool call after before_tool_call: the call as the client gets it, or
    (`refusal` set) the call as the model made it and the failed result it sees."""

    call: ToolCall
    explanation: Explanation | None
    refusal: ToolResult | None = None


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

    def tools(self) -> ToolRegistry:
        """The registry a call starting now would use."""
        return self._registry()

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
        and `tools` are the turn's runner and registry (default: the gate's own, live).
        The result is what tool_result_persist made of it."""
        runner = hooks or self._hooks()
        outcome = await self._outcome(session_id, call, calls_so_far, runner, tools)
        persisted = await self.persistable(session_id, call, outcome.result, hooks=runner)
        explained = (persisted.explanation,) if persisted.explanation is not None else ()
        return replace(outcome, result=persisted.result, hooks=outcome.hooks + explained)

    async def persistable(
        self, session_id: str, call: ToolCall, result: ToolResult, *, hooks: HookRunner | None
    ) -> Persisted:
        """tool_result_persist: `result` as it will be stored and shown to the model (also
        for a client's tool, whose result the client sent), and what the handlers did."""
        persisted = await (hooks or self._hooks()).run(
            Event.TOOL_RESULT_PERSIST,
            ToolResultPersist(session_id, call.name, call.id, result),
            explain=True,
        )
        if persisted.cancelled:
            return Persisted(
                ToolResult.fail(f"blocked by hook: {persisted.reason}"), persisted.explanation
            )
        return Persisted(persisted.payload.result, persisted.explanation)

    async def _outcome(
        self,
        session_id: str,
        call: ToolCall,
        calls_so_far: int,
        hooks: HookRunner,
        tools: ToolRegistry | None,
    ) -> GateOutcome:
        registry = tools if tools is not None else self._registry()
        owner = registry.label_of(call.name)
        refusal, approval = await self._refusal(call, calls_so_far, registry)
        if refusal is not None:
            return refusal
        request = await hooks.run(
            Event.BEFORE_TOOL_CALL,
            ToolCallRequest(session_id, call.name, call.arguments),
            explain=True,
        )
        explained = (request.explanation,) if request.explanation is not None else ()
        if request.cancelled:
            return GateOutcome(
                ToolResult.fail(f"blocked by hook: {request.reason}"),
                blocked_by=f"hook:{request.cancelled_by or '?'}",
                owner=owner,
                approval=approval,
                owner_version=registry.version_of(call.name),
                hooks=explained,
            )
        changed = request.payload
        if (changed.tool, changed.arguments) != (call.name, call.arguments):
            call = ToolCall(call.id, changed.tool, changed.arguments)
            owner = registry.label_of(call.name)
            refusal, approval = await self._refusal(call, calls_so_far, registry)
            if refusal is not None:
                return replace(refusal, hooks=explained)
        context = ToolContext(session_id=session_id, workspace=self._workspace)
        result = await registry.execute(call.name, call.arguments, context)
        return GateOutcome(
            result,
            owner=owner,
            approval=approval,
            owner_version=registry.version_of(call.name),
            hooks=explained,
        )

    async def screen_client_call(
        self,
        session_id: str,
        call: ToolCall,
        client_tools: Collection[str],
        *,
        hooks: HookRunner | None = None,
    ) -> Screened:
        """before_tool_call on a call of a client's tool: the call as the client gets it,
        or the failed result the model sees when a handler refused it (or renamed it to a
        tool the client does not have: that would smuggle it past the policy)."""
        request = await (hooks or self._hooks()).run(
            Event.BEFORE_TOOL_CALL,
            ToolCallRequest(session_id, call.name, call.arguments),
            explain=True,
        )
        explanation = request.explanation
        if request.cancelled:
            return Screened(
                call, explanation, ToolResult.fail(f"blocked by hook: {request.reason}")
            )
        changed = request.payload
        if changed.tool not in client_tools:
            refusal = ToolResult.fail(
                f"blocked by hook: a handler renamed the call to {changed.tool!r}, which is "
                "not one of the client's tools"
            )
            return Screened(call, explanation, refusal)
        return Screened(ToolCall(call.id, changed.tool, changed.arguments), explanation)

    async def _refusal(
        self, call: ToolCall, calls_so_far: int, registry: ToolRegistry
    ) -> tuple[GateOutcome | None, ApprovalOutcome]:
        """(a refusal, or None if the call may go on; how approval went)."""
        tool = registry.get(call.name)
        owner = registry.label_of(call.name)
        version = registry.version_of(call.name)
        mutating = is_mutating_call(tool, call.arguments) if tool is not None else False
        decision = self._policy.check_call(
            call.name, mutating, calls_so_far, command=command_of(tool, call.arguments)
        )
        if decision.action == "deny":
            refused = ToolResult.fail(f"denied by security policy: {decision.reason}")
            return GateOutcome(refused, "policy", owner, owner_version=version), "not_needed"
        if decision.action == "allow":
            return None, "auto" if decision.rule is not None else "not_needed"
        approver = self._approver
        if not approver.can_ask:
            refused = ToolResult.fail(
                f"needs approval ({decision.reason}), but nobody can approve it here "
                "(no interactive terminal: the gateway, `mcp serve`, or -m without a "
                "terminal); allow it with tools.approval.auto_approve or a "
                "tools.approval.commands rule, or run with --yes"
            )
            return GateOutcome(refused, "approval", owner, "unavailable", version), "unavailable"
        if not await approver.approve(call, decision.reason):
            refused = ToolResult.fail(f"not approved: {decision.reason}")
            return GateOutcome(refused, "approval", owner, "denied", version), "denied"
        return None, "auto" if approver.in_advance else "approved"
