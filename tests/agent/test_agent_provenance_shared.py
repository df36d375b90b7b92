"""A tool call's hook steps as provenance: the calls whose steps are the same share one
tuple of records, and the row memory writes of it is the same JSON either way."""

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from zeroclaw.agent.provenance import client_provenance, hook_steps
from zeroclaw.hooks import Cancel, Event, HookRunner, ToolCallRequest, hook
from zeroclaw.memory import HookStepRecord, MemoryStore
from zeroclaw.memory.tables import tool_results
from zeroclaw.messages import ToolCall, ToolResult

BEFORE_TOOL = Event.BEFORE_TOOL_CALL


@hook(BEFORE_TOOL, name="audit", priority=2)
def audit(call: ToolCallRequest) -> None:
    return None


@hook(BEFORE_TOOL, name="guard", priority=1)
def guard(call: ToolCallRequest) -> Cancel | None:
    return Cancel("no shell") if call.tool == "shell" else None


async def test_calls_with_the_same_steps_share_one_tuple_of_records() -> None:
    runner = HookRunner()
    runner.register(audit, guard)

    first = await runner.explain(BEFORE_TOOL, ToolCallRequest("s1", "file_list", {}))
    again = await runner.explain(BEFORE_TOOL, ToolCallRequest("s2", "file_read", {"p": 1}))
    refused = await runner.explain(BEFORE_TOOL, ToolCallRequest("s1", "shell", {}))

    shared = hook_steps([first, None])
    assert hook_steps([again]) is shared
    assert [(s.handler, s.verdict) for s in shared] == [("audit", "passed"), ("guard", "passed")]
    other = hook_steps([refused])
    assert other is not shared
    assert [(s.handler, s.verdict, s.detail) for s in other] == [
        ("audit", "passed", None),
        ("guard", "blocked", "no shell"),
    ]
    assert hook_steps([None]) == ()


async def test_a_shared_tuple_is_stored_as_the_json_of_its_steps(tmp_path: Path) -> None:
    runner = HookRunner()
    runner.register(audit, guard)
    provenances = [
        client_provenance([await runner.explain(BEFORE_TOOL, ToolCallRequest("s1", tool, {}))])
        for tool in ("file_list", "file_read", "shell", "file_list")
    ]
    assert provenances[0].hooks is provenances[1].hooks is provenances[3].hooks

    async def hooks_column(conn: AsyncConnection) -> list[object]:
        found = await conn.execute(sa.select(tool_results.c.hooks).order_by(tool_results.c.id))
        return [row[0] for row in found]

    async with MemoryStore.open(tmp_path / "memory.db") as store:
        await store.ensure_session("s1")
        for index, provenance in enumerate(provenances):
            call = ToolCall(f"c{index}", "file_list", {})
            await store.record_tool_result("s1", call, ToolResult.ok("x"), provenance)
        stored = [c.provenance for c in await store.session_tool_calls("s1")]
        written = await store.database.read(hooks_column)

    assert stored == provenances
    assert written == [json.dumps([_as_written(s) for s in p.hooks]) for p in provenances]
    assert written[0] == written[1] != written[2]


def _as_written(step: HookStepRecord) -> dict[str, object]:
    return {
        "event": step.event,
        "handler": step.handler,
        "source": step.source,
        "verdict": step.verdict,
        "detail": step.detail,
        "fields": list(step.fields),
    }
