"""A tool call's provenance, as memory stores it beside the result: who offered the tool,
how approval went, and what each hook handler of before_tool_call and tool_result_persist
did to it.

The gate (agent/tool_gate.py) knows all of it when the call ends; this turns its outcome
into the plain record memory keeps (memory.ToolProvenance), so the operator console can
show, after any restart, what happened to a call without guessing from today's registry.
A handler's changes are kept as the names of the fields it changed, never their values:
what a redaction hook removed must not come back through the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable

from zeroclaw.agent.tool_gate import GateOutcome
from zeroclaw.hooks import Explanation
from zeroclaw.hooks.explain import StepSummary
from zeroclaw.memory import HookStepRecord, ToolProvenance
from zeroclaw.memory.records import HookVerdict, OwnerKind


def gate_provenance(outcome: GateOutcome, duration_ms: float) -> ToolProvenance:
    """The provenance of a call that went through the gate."""
    kind, name = _owner(outcome.owner)
    return ToolProvenance(
        owner_kind=kind,
        owner_name=name,
        owner_version=outcome.owner_version,
        approval=outcome.approval,
        hooks=hook_steps(outcome.hooks),
        blocked_by=outcome.blocked_by,
        duration_ms=round(duration_ms, 3),
    )


def client_provenance(
    explanations: Iterable[Explanation | None], *, blocked_by: str | None = None
) -> ToolProvenance:
    """The provenance of a call of the API client's own tool: it ran on the client (or was
    refused by a hook before it got there), so no policy or approval applied here."""
    return ToolProvenance("client", None, None, "not_needed", hook_steps(explanations), blocked_by)


def refusing_hook(explanation: Explanation | None) -> str | None:
    """`hook:HANDLER` for the handler that refused a client's tool call: the one that
    cancelled, or the last one that renamed the call (to a tool the client lacks)."""
    if explanation is None:
        return None
    handler = explanation.stopped_by or next(
        (step.handler for step in reversed(explanation.steps) if "tool" in step.changes), None
    )
    return f"hook:{handler}" if handler is not None else None


def hook_steps(explanations: Iterable[Explanation | None]) -> tuple[HookStepRecord, ...]:
    return _shared(
        tuple(
            _step(explanation.event.value, summary)
            for explanation in explanations
            if explanation is not None
            for summary in explanation.step_summaries()
        )
    )


# A tool call records every handler step of two dispatches, and the steps of one handler
# repeat from call to call: one record per distinct step, shared (records are immutable).
# Bounded: a detail (a cancel reason, a failure's cause) may vary without end.
_RECORDS: dict[tuple[str, StepSummary], HookStepRecord] = {}
_MAX_RECORDS = 4096


# The steps of a whole call repeat too (the same handlers, the same outcomes): one tuple
# per distinct sequence of records, shared, so what memory derives from a call's steps
# (the hooks JSON of its row, memory/store.py) is made once per sequence, not per call.
# Keyed by the records' identities (they are shared, above): no record is hashed. An
# entry holds its records, so no key's ids can be reused while it is there.
_SEQUENCES: dict[tuple[int, ...], tuple[HookStepRecord, ...]] = {}


def _shared(records: tuple[HookStepRecord, ...]) -> tuple[HookStepRecord, ...]:
    if not records:
        return ()
    key = tuple(map(id, records))
    shared = _SEQUENCES.get(key)
    if shared is None:
        if len(_SEQUENCES) >= _MAX_RECORDS:
            _SEQUENCES.clear()
        shared = _SEQUENCES[key] = records
    return shared


def _step(event: str, summary: StepSummary) -> HookStepRecord:
    key = (event, summary)
    record = _RECORDS.get(key)
    if record is None:
        record = _record(event, summary)
        if len(_RECORDS) >= _MAX_RECORDS:
            _RECORDS.clear()
        _RECORDS[key] = record
    return record


def _record(event: str, summary: StepSummary) -> HookStepRecord:
    handler, source, failure_policy, outcome, detail, fields = summary
    verdict: HookVerdict
    if outcome == "continue":
        verdict = "modified" if fields else "passed"
    elif outcome == "cancel" or failure_policy == "fail_closed":
        verdict = "blocked"  # a fail_closed failure stops the chain as a Cancel does
    else:
        verdict = "failed"  # fail_open: skipped, the call went on without it
    return HookStepRecord(event, handler, source, verdict, detail, fields)


def _owner(label: str | None) -> tuple[OwnerKind, str | None]:
    """`native`, `plugin:NAME`, `mcp:SERVER` (the registry's labels) as (kind, name)."""
    if label is None:
        return "none", None
    kind, _, name = label.partition(":")
    if kind == "plugin":
        return "plugin", name or None
    if kind == "mcp":
        return "mcp", name or None
    return "native", None
