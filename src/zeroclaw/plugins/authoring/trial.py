"""`zeroclaw plugins test`: call one plugin the way the host calls it, and say what came back.

A trial runs cases against a plugin that the loader has loaded (`load_plugin`, under the
limits and grants the caller's config gives it) through the adapters the agent uses:
`PluginHookHandler` for a hook event, `PluginTool.run` for a tool, `PluginProvider.chat`
for a provider. Nothing here loads or calls wasm by another path, so what a trial shows is
what the agent would get: a change made without `hooks.modify` is ignored here too.

A case is one call: an `event` (its sample payload, `hooks.payload_json.SAMPLES`, with the
case's fields laid over it), a `tool` with its arguments, or a `chat` message. Each result
has the outcome (`unchanged`, `continue`, `cancel` for a hook; `ok` or `error` for a tool's
or provider's own answer; `failed` when the call itself failed: a trap, an uncaught guest
exception, a timeout, a bad result), what came back (the payload's changes, the tool's
output, the answer), the time, and the lines the plugin wrote to the host's log during the
call. A case may expect an outcome and a text the answer contains. Cases come from the
command line, or from `tests.toml` beside plugin.toml (`read_cases`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from zeroclaw.errors import ZeroClawError
from zeroclaw.hooks.events import Event, HookKind, ModifyingPayload, VoidPayload
from zeroclaw.hooks.handler import Cancel
from zeroclaw.hooks.payload_json import sample_payload
from zeroclaw.messages import ChatMessage
from zeroclaw.plugins.adapters.hooks import PluginHookHandler
from zeroclaw.plugins.adapters.providers import PluginProvider
from zeroclaw.plugins.adapters.tools import PluginTool
from zeroclaw.plugins.errors import PluginCallError, PluginError
from zeroclaw.plugins.host.log import plugin_logger
from zeroclaw.plugins.loading.loader import LoadedPlugin
from zeroclaw.providers.base import ChatRequest, ProviderError

CASES_FILE = "tests.toml"
CaseKind = Literal["event", "tool", "chat"]
Outcome = Literal["unchanged", "continue", "cancel", "ok", "error", "failed"]
OUTCOMES: tuple[str, ...] = ("unchanged", "continue", "cancel", "ok", "error", "failed")
_CASE_KEYS = frozenset(
    {"name", "event", "tool", "chat", "payload", "arguments", "expect", "contains"}
)
_HOST_LOGGER = "zeroclaw.plugins"
SYSTEM_PROMPT = "You are a helpful assistant."


class TrialError(PluginError):
    """A trial cannot run: a bad case, a case the plugin's kind cannot take, a bad file."""


@dataclass(frozen=True)
class TrialCase:
    """One call to make. `target` is the event, the tool's name or the chat message;
    `payload` the event's fields (over its sample) or the tool's arguments."""

    name: str
    kind: CaseKind
    target: str
    payload: Mapping[str, Any] | None = None
    expect: str | None = None
    contains: str | None = None


@dataclass(frozen=True)
class LogLine:
    level: str
    text: str
    source: str  # "plugin" (its own lines) or "host" (what the host said about it)


@dataclass(frozen=True)
class TrialResult:
    case: TrialCase
    outcome: Outcome
    details: tuple[str, ...]
    seconds: float
    log: tuple[LogLine, ...] = ()
    error: ZeroClawError | None = None
    problem: str | None = None  # the expectation that was not met

    @property
    def passed(self) -> bool:
        return self.outcome != "failed" and self.problem is None


# -- cases ------------------------------------------------------------------------------------


def default_case(plugin: LoadedPlugin) -> TrialCase:
    """A call that makes sense for any plugin of its kind: the first event it handles (its
    sample payload), its first tool with empty arguments, or a chat saying hello."""
    kind = plugin.package.id
    if kind == "zeroclaw:hooks":
        handled = sorted(plugin.events | set(plugin.withheld_events), key=lambda e: e.value)
        if not handled:
            raise TrialError(
                f"plugin {plugin.name!r} handles no event (its handles() is empty)",
                hint="name the events it handles in handles()",
            )
        return TrialCase(handled[0].value, "event", handled[0].value)
    if kind == "zeroclaw:tools":
        if not plugin.tools:
            raise TrialError(f"plugin {plugin.name!r} offers no tool (its tools() is empty)")
        return TrialCase(plugin.tools[0].name, "tool", plugin.tools[0].name, {})
    return TrialCase("chat", "chat", "Hello!")


def read_cases(directory: Path) -> list[TrialCase]:
    """The cases of `directory/tests.toml` ([[case]] tables), or none if it has no file."""
    path = directory / CASES_FILE
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TrialError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"case"})
    if unknown:
        raise TrialError(
            f"{path}: unknown key(s) {', '.join(unknown)}", hint="cases are [[case]] tables"
        )
    cases = data.get("case", [])
    if not isinstance(cases, list):
        raise TrialError(f"{path}: `case` must be [[case]] tables")
    return [_case_from_table(path, index, table) for index, table in enumerate(cases, 1)]


def _case_from_table(path: Path, index: int, table: Any) -> TrialCase:
    where = f"{path}: case {index}"
    if not isinstance(table, dict):
        raise TrialError(f"{where} is not a table")
    unknown = sorted(set(table) - _CASE_KEYS)
    if unknown:
        raise TrialError(
            f"{where}: unknown key(s) {', '.join(unknown)}",
            hint="a case has: " + ", ".join(sorted(_CASE_KEYS)),
        )
    named = [key for key in ("event", "tool", "chat") if key in table]
    if len(named) != 1:
        raise TrialError(f"{where} must name exactly one of event, tool, chat")
    kind: CaseKind = named[0]  # type: ignore[assignment]
    payload = table.get("arguments" if kind == "tool" else "payload")
    if payload is not None and not isinstance(payload, dict):
        raise TrialError(f"{where}: payload / arguments must be a table")
    return make_case(
        kind,
        str(table[kind]),
        payload if kind != "tool" or payload is not None else {},
        expect=table.get("expect"),
        contains=table.get("contains"),
        name=str(table.get("name") or f"case {index}"),
        where=where,
    )


def make_case(
    kind: CaseKind,
    target: str,
    payload: Mapping[str, Any] | None,
    *,
    expect: Any = None,
    contains: Any = None,
    name: str | None = None,
    where: str = "the case",
) -> TrialCase:
    if expect is not None and expect not in OUTCOMES:
        raise TrialError(f"{where}: expect = {expect!r}; use one of {', '.join(OUTCOMES)}")
    if contains is not None and not isinstance(contains, str):
        raise TrialError(f"{where}: contains must be text")
    return TrialCase(name or target, kind, target, payload, expect, contains)


def payload_option(raw: str | None) -> dict[str, Any] | None:
    """`--payload`: a JSON object, or None."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TrialError(f"--payload is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TrialError("--payload must be a JSON object")
    return data


# -- running ----------------------------------------------------------------------------------


async def run_case(plugin: LoadedPlugin, case: TrialCase, log_level: int) -> TrialResult:
    """Make the call of `case` and judge it against what it expects."""
    with _captured(plugin.name, log_level) as lines:
        started = time.perf_counter()
        try:
            outcome, details = await _call(plugin, case)
            error: ZeroClawError | None = None
        except (PluginCallError, TrialFailure) as failure:
            outcome, details, error = "failed", (), failure
        seconds = time.perf_counter() - started
    result = TrialResult(case, outcome, details, seconds, tuple(lines), error)
    return dataclasses.replace(result, problem=_unmet(result))


class TrialFailure(ZeroClawError):
    """The call could not be made as the case asks (an event not handled, no such tool),
    or the provider failed (then `__cause__` is the PluginCallError)."""


async def _call(plugin: LoadedPlugin, case: TrialCase) -> tuple[Outcome, tuple[str, ...]]:
    kind = plugin.package.id
    wanted = {"event": "zeroclaw:hooks", "tool": "zeroclaw:tools", "chat": "zeroclaw:providers"}
    if wanted[case.kind] != kind:
        option = {"zeroclaw:hooks": "--event", "zeroclaw:tools": "--tool"}.get(kind, "--chat")
        raise TrialError(
            f"plugin {plugin.name!r} is a {kind} plugin: it takes no --{case.kind}",
            hint=f"call it with {option}",
        )
    if case.kind == "event":
        return await _event(plugin, case)
    if case.kind == "tool":
        return await _tool(plugin, case)
    return await _chat(plugin, case)


async def _event(plugin: LoadedPlugin, case: TrialCase) -> tuple[Outcome, tuple[str, ...]]:
    event = Event.parse(case.target.replace("-", "_"))
    if event in plugin.withheld_events:
        raise TrialFailure(
            f"plugin {plugin.name!r} handles {event.value} but is not called for it: "
            f"{plugin.withheld_events[event]}",
            hint="grant it for this run with --grant hooks.conversation",
        )
    if event not in plugin.events:
        handled = ", ".join(sorted(e.value for e in plugin.events)) or "none"
        raise TrialFailure(
            f"plugin {plugin.name!r} does not handle {event.value} (handles: {handled})",
            hint="name the event in the plugin's handles()",
        )
    payload = sample_payload(event, case.payload)
    handler = PluginHookHandler(plugin)
    if event.kind is HookKind.VOID:
        assert isinstance(payload, VoidPayload)
        await handler.observe(event, payload)
        return "ok", ()
    assert isinstance(payload, ModifyingPayload)
    outcome = await handler.handle(event, payload)
    if isinstance(outcome, Cancel):
        return "cancel", (f"reason: {outcome.reason}",)
    changes = tuple(_changes(payload, outcome.payload))
    return ("continue", changes) if changes else ("unchanged", ())


def _changes(before: object, after: object) -> Iterator[str]:
    for field in dataclasses.fields(before):  # type: ignore[arg-type]
        old, new = getattr(before, field.name), getattr(after, field.name)
        if old != new:
            yield f"{field.name}:"
            yield f"  - {_shown(old)}"
            yield f"  + {_shown(new)}"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    try:
        return json.dumps(value, ensure_ascii=False, default=_plain)
    except (TypeError, ValueError):
        return repr(value)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return repr(value)


async def _tool(plugin: LoadedPlugin, case: TrialCase) -> tuple[Outcome, tuple[str, ...]]:
    spec = next((tool for tool in plugin.tools if tool.name == case.target), None)
    if spec is None:
        offered = ", ".join(tool.name for tool in plugin.tools) or "none"
        raise TrialFailure(
            f"plugin {plugin.name!r} offers no tool {case.target!r} (it offers: {offered})",
            hint="name one of its tools with --tool",
        )
    result = await PluginTool(plugin, spec).run(dict(case.payload or {}))
    if result.success:
        return "ok", tuple(result.output.splitlines() or [""])
    return "error", (result.error or "",)


async def _chat(plugin: LoadedPlugin, case: TrialCase) -> tuple[Outcome, tuple[str, ...]]:
    messages = (ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", case.target))
    try:
        response = await PluginProvider(plugin).chat(ChatRequest(messages=messages, model=""))
    except ProviderError as error:
        if isinstance(error.__cause__, PluginCallError):
            raise error.__cause__ from None
        return "error", (error.message,)
    lines = [*(response.text or "").splitlines()]
    lines += [f"tool call {c.name} {json.dumps(c.arguments)}" for c in response.tool_calls]
    usage = response.usage
    lines.append(
        f"(model {response.model or '?'}; tokens in {usage.input_tokens}, "
        f"out {usage.output_tokens})"
    )
    return "ok", tuple(lines)


def _unmet(result: TrialResult) -> str | None:
    case = result.case
    if result.outcome == "failed":
        return None  # the failure itself is the problem
    if case.expect is not None and result.outcome != case.expect:
        return f"expected {case.expect}, got {result.outcome}"
    if case.contains is not None and case.contains not in "\n".join(result.details):
        return f"expected the answer to contain {case.contains!r}"
    return None


# -- the plugin's log lines during a call ---------------------------------------------------


class _Collector(logging.Handler):
    def __init__(self, level: int, source: str, lines: list[LogLine]) -> None:
        super().__init__(level)
        self.source = source
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(LogLine(record.levelname.lower(), record.getMessage(), self.source))


@contextmanager
def _captured(plugin: str, level: int) -> Iterator[list[LogLine]]:
    """The plugin's own log lines at `level` and up, and the host's warnings about it,
    collected (not printed) while the block runs."""
    lines: list[LogLine] = []
    targets = [
        (plugin_logger(plugin), level, "plugin"),
        (logging.getLogger(_HOST_LOGGER), logging.WARNING, "host"),
    ]
    saved = []
    for logger, threshold, source in targets:
        handler = _Collector(threshold, source, lines)
        saved.append((logger, handler, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(min(threshold, logger.getEffectiveLevel()))
        logger.propagate = False
    try:
        yield lines
    finally:
        for logger, handler, old_level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = propagate
