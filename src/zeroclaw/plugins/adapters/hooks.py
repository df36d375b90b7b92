"""Plugin-backed hook handlers: hook plugins as objects the HookRunner already knows how to
use. (Tool plugins as `Tool`s: tool_adapter.py; provider plugins as `Provider`s:
provider_adapter.py.)

`PluginHookHandler` implements `zeroclaw.hooks.handler.HookHandler`, so a hook plugin joins
the HookRunner beside native handlers: same ordering (its `priority` from plugin.toml,
then its name), same cancel, timeout and failure-policy semantics. Void events reach it
through the ObserverBridge like any handler.

What a plugin may do is decided here, per call:

- it is registered only for the events it named in `handles()` and may receive: an event
  that carries conversation content needs `hooks.conversation` (the loader withholds it
  otherwise, so such a handler is never called);
- `continue` with changes, or `cancel`, on a modifying event needs `hooks.modify`; on
  `tool_result_persist` it needs `hooks.tool_results`. Without the grant the result counts
  as `unchanged`, and the host logs it and counts it (`ignored_changes` in `plugins info`);
- only the fields each event declares changeable are read back from `continue` (see
  `CHANGEABLE`, and the WIT doc comments); values in them that break the contract
  (arguments that are not a JSON object, an unknown message role, an empty model name) make
  the call fail with `PluginBadResult`, which the handler's failure policy then handles;
- a changed field may not grow past `plugins.limits.max_answer_bytes` of text (or past its
  own size, if it was larger): the change goes on to the next handler, and a hook must not
  be able to make a neighbour fail by handing it more than its memory takes.

Failure policy: the hooks default (fail_open), except for a plugin marked `required` in
the config, whose failures cancel (fail_closed): the operator said the host must not run
without it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, NamedTuple, get_args

from zeroclaw.hooks.events import Event, GatewayStop, ModifyingPayload, VoidPayload
from zeroclaw.hooks.handler import (
    DEFAULT_FAILURE_POLICY,
    BlockingCalls,
    Cancel,
    Continue,
    HandlerSpec,
    HookOutcome,
)
from zeroclaw.messages import ChatMessage, Role, ToolCall, ToolResult
from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.contract.manifest import ANSWER_CAP_KEY
from zeroclaw.plugins.loading.loader import LoadedPlugin
from zeroclaw.plugins.wasm.calls import NotInline
from zeroclaw.plugins.wasm.conversion import LiftError, Variant, kebab
from zeroclaw.plugins.wasm.inline import InlineMode
from zeroclaw.plugins.wasm.workers import PluginWorkers

_LOG = logging.getLogger("zeroclaw.plugins")

# The fields of each modifying event a plugin may change (the WIT says "Changeable: ...").
CHANGEABLE: Mapping[Event, tuple[str, ...]] = {
    Event.BEFORE_MODEL_RESOLVE: ("provider", "model"),
    Event.BEFORE_PROMPT_BUILD: ("system_prompt", "context"),
    Event.BEFORE_LLM_CALL: ("model", "messages"),
    Event.BEFORE_TOOL_CALL: ("arguments",),
    Event.ON_MESSAGE_RECEIVED: ("content",),
    Event.ON_MESSAGE_SENDING: ("content",),
    Event.BEFORE_COMPACTION: (),
    Event.TOOL_RESULT_PERSIST: ("result",),
}

# Time the HookRunner gives a plugin handler before giving up on it: a call may wait up to
# its timeout for a slot and then run up to its timeout; the plugin runtime's own deadline
# normally ends it first, with a typed error.
_RUNNER_GRACE_MS = 250

_ROLES = frozenset(get_args(Role))
# The WIT function of each event (`before_tool_call` -> `before-tool-call`).
_FUNCTION = {event: kebab(event.value) for event in Event}


class _Decision(NamedTuple):
    # A tuple: one is made per call that changes or cancels, and a frozen dataclass costs
    # several times more to make.
    kind: Literal["unchanged", "continue", "cancel"]
    changes: Mapping[str, Any]
    reason: str = ""


class PluginHookHandler:
    """The hook handler of one loaded hook plugin, for every event it may receive.

    Given `threads` (the worker threads of its generation's hook chains, see
    `hook_handlers`), a handler whose calls never run inline offers them as
    `blocking_calls`: the runner then calls it on one of those threads, with the plugins
    next to it in the chain, in one hop from the event loop and back. An inline-first
    plugin (wasm/inline.py) does not: its calls try the loop's thread first, and the rare
    one that overruns goes to the plugin's own worker threads through `call_async`.
    """

    def __init__(self, plugin: LoadedPlugin, threads: PluginWorkers | None = None) -> None:
        if not plugin.events:
            raise ValueError(f"plugin {plugin.name!r} handles no event it may receive")
        self.plugin = plugin
        self.spec = HandlerSpec(
            name=plugin.name,
            events=plugin.events,
            priority=plugin.manifest.hook_priority,
            source=f"plugin:{plugin.name}",
            timeout_s=(2 * plugin.limits.timeout_ms + _RUNNER_GRACE_MS) / 1000,
            call_timeout_ms=plugin.limits.timeout_ms,
            failure_policy="fail_closed" if plugin.required else DEFAULT_FAILURE_POLICY,
        )
        self._warned: set[tuple[Event, str]] = set()
        self._answer_cap = plugin.limits.max_answer_bytes
        # The WIT function of each event it handles: one lookup per call (an Enum hashes
        # in Python).
        self._functions = {event: _FUNCTION[event] for event in plugin.events}
        # The grant a change or a cancel needs on each event, and whether it has it.
        self._change_grants = {
            event: (needed, plugin.grants.has(needed))
            for event in plugin.events
            for needed in (
                CapabilityKind.HOOKS_TOOL_RESULTS
                if event is Event.TOOL_RESULT_PERSIST
                else CapabilityKind.HOOKS_MODIFY,
            )
        }
        self.blocking_calls = (
            BlockingCalls(threads, self.handle_blocking, self.observe_blocking)
            if threads is not None and plugin.calls.inline is InlineMode.WORKERS
            else None
        )

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        outcome = self.handle_now(event, payload)
        return outcome if isinstance(outcome, Continue | Cancel) else await outcome

    def handle_now(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload] | Awaitable[HookOutcome[ModifyingPayload]]:
        """`handle`, with no coroutine when the call runs inline (the runner prefers it)."""
        function = self._functions.get(event)
        if function is None:
            return Continue(payload)
        decode = _decoder(event, payload, self._answer_cap)
        # Inline when it may, else on the worker threads.
        decision = self.plugin.calls.call_inline(function, (payload,), decode)
        if isinstance(decision, NotInline):
            return self._handle_async(event, payload, function, decode, decision)
        return self._outcome(event, payload, decision)

    async def _handle_async(
        self,
        event: Event,
        payload: ModifyingPayload,
        function: str,
        decode: Callable[[Any], _Decision],
        tried: NotInline,
    ) -> HookOutcome[ModifyingPayload]:
        decision = await self.plugin.calls.call_async(function, (payload,), decode, tried)
        return self._outcome(event, payload, decision)

    def handle_blocking(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        """`handle` on the current thread (a worker thread: it blocks while the guest runs)."""
        function = self._functions.get(event)
        if function is None:
            return Continue(payload)
        decision = self.plugin.calls.call(
            function, (payload,), _decoder(event, payload, self._answer_cap)
        )
        return self._outcome(event, payload, decision)

    def _outcome(
        self, event: Event, payload: ModifyingPayload, decision: _Decision
    ) -> HookOutcome[ModifyingPayload]:
        if decision.kind == "unchanged" or (decision.kind == "continue" and not decision.changes):
            return Continue(payload)
        needed, granted = self._change_grants[event]
        if not granted:
            self._ignored(event, decision, needed)
            return Continue(payload)
        if decision.kind == "cancel":
            return Cancel(decision.reason or f"cancelled by plugin {self.plugin.name}")
        return Continue(dataclasses.replace(payload, **decision.changes))

    def skipped(self, event: Event) -> None:
        """The hook runner skipped a failed call of this plugin (fail_open): counted in the
        plugin's stats, for `plugins info` and `plugins status`."""
        self.plugin.calls.skipped()

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        function = self._functions.get(event)
        if function is None:
            return
        args = () if isinstance(payload, GatewayStop) else (payload,)
        await self.plugin.calls.call_async(function, args, _nothing)

    def observe_now(self, event: Event, payload: VoidPayload) -> Awaitable[None] | None:
        """`observe`, with no coroutine when the call runs inline (the runner calls it in
        place): None once it ended, else the call on the worker threads to await."""
        function = self._functions.get(event)
        if function is None:
            return None
        args = () if isinstance(payload, GatewayStop) else (payload,)
        done = self.plugin.calls.call_inline(function, args, _nothing)
        if isinstance(done, NotInline):
            return self.plugin.calls.call_async(function, args, _nothing, done)
        return None

    def observe_blocking(self, event: Event, payload: VoidPayload) -> None:
        """`observe` on the current thread (a worker thread)."""
        function = self._functions.get(event)
        if function is None:
            return
        args = () if isinstance(payload, GatewayStop) else (payload,)
        self.plugin.calls.call(function, args, _nothing)

    def _ignored(self, event: Event, decision: _Decision, needed: CapabilityKind) -> None:
        self.plugin.calls.ignored_change()
        what = (
            "cancel"
            if decision.kind == "cancel"
            else "changes to " + ", ".join(sorted(decision.changes))
        )
        key = (event, decision.kind)
        level = logging.DEBUG if key in self._warned else logging.WARNING
        self._warned.add(key)
        _LOG.log(
            level,
            'plugin %r returned %s on %s without the "%s" grant: ignored (add "%s" to its '
            "capabilities in plugin.toml and to plugins.capabilities.allow)",
            self.plugin.name,
            what,
            event.value,
            needed.value,
            needed.value,
        )


_UNCHANGED = _Decision("unchanged", {})  # made once: the common answer, on every such call


def hook_handlers(
    plugins: Mapping[str, LoadedPlugin],
) -> tuple[tuple[PluginHookHandler, ...], PluginWorkers]:
    """A handler per hook plugin that may receive at least one event, in dispatch order,
    and the worker threads they share for their calls that do not run inline.

    One pool for all of them, not each plugin's own threads: a chain of several plugins
    runs on one thread, and a plugin's own threads hold only its own calls. It has as many
    threads as these plugins have call slots together (started only as chains overlap):
    a chain thread more could only wait for a slot.
    """
    hooks = [
        plugin
        for plugin in plugins.values()
        if plugin.package.id == "zeroclaw:hooks" and plugin.events
    ]
    threads = PluginWorkers("hooks", max(1, sum(plugin.calls.max_concurrency for plugin in hooks)))
    handlers = [PluginHookHandler(plugin, threads) for plugin in hooks]
    return tuple(sorted(handlers, key=lambda h: (-h.spec.priority, h.spec.name))), threads


# -- reading a modifying result back (runs on the plugin's worker thread) --------------------


def _nothing(_: object) -> None:
    return None


def _decoder(event: Event, payload: ModifyingPayload, cap: int) -> Callable[[Any], _Decision]:
    """The reading of one call's result (a partial: one object a call, not a closure's
    function and cells)."""
    return functools.partial(_decode, event, payload, cap)


def _decode(event: Event, payload: ModifyingPayload, cap: int, result: Any) -> _Decision:
    if not isinstance(result, Variant):
        raise LiftError(f"expected a {kebab(event.value)}-result variant, got {result!r}")
    if result.tag == "unchanged":
        return _UNCHANGED
    fields: dict[str, Any] = result.payload or {}
    if result.tag == "cancel":
        return _Decision("cancel", {}, str(fields["reason"]))
    changes = {}
    for name in CHANGEABLE[event]:
        value = _FIELDS[name](fields[name])
        if value != getattr(payload, name):
            _check_growth(name, value, getattr(payload, name), cap)
            changes[name] = value
    return _Decision("continue", changes)


def _check_growth(name: str, value: Any, before: Any, cap: int) -> None:
    """Refuse a change that makes a field larger than `cap` bytes of text (or than it was,
    if it was larger already). The change is handed to the next handler, plugin or native:
    a hook must not be able to make its neighbour fail by growing the payload past what
    that neighbour's memory can take (the failure would count against the neighbour)."""
    size = _text_bytes(value)
    if size > max(cap, _text_bytes(before)):
        raise LiftError(
            f"`{name}` was changed to {size:,} bytes of text, over the cap of {cap:,} bytes "
            f"({ANSWER_CAP_KEY})"
        )


def _text_bytes(value: Any) -> int:
    """The UTF-8 size of the text in a payload value (strings, sequences, mappings and the
    message dataclasses); other values count as nothing."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, Mapping):
        return sum(_text_bytes(k) + _text_bytes(v) for k, v in value.items())
    if isinstance(value, tuple | list):
        return sum(_text_bytes(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_text_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 0


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise LiftError(f"expected text, got {value!r}")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LiftError(f"expected a non-empty name, got {value!r}")
    return value


def _json_object(value: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise LiftError(f"arguments must be a JSON object, got {value!r} ({exc})") from None
    if not isinstance(parsed, dict):
        raise LiftError(f"arguments must be a JSON object, got {value!r}")
    return parsed


def _context(value: Any) -> tuple[str, ...]:
    return tuple(_text(item) for item in value)


def _messages(value: Any) -> tuple[ChatMessage, ...]:
    messages = []
    for item in value:
        if item["role"] not in _ROLES:
            raise LiftError(f"unknown message role {item['role']!r}: use {sorted(_ROLES)}")
        calls = tuple(
            ToolCall(call["id"], call["name"], _json_object(call["arguments"]))
            for call in item["tool_calls"]
        )
        messages.append(
            ChatMessage(
                item["role"],
                item["content"],
                tool_calls=calls,
                tool_call_id=item["tool_call_id"],
                name=item["name"],
            )
        )
    return tuple(messages)


def _result(value: Any) -> ToolResult:
    return ToolResult(success=value["success"], output=value["output"], error=value["error"])


_FIELDS: Mapping[str, Callable[[Any], Any]] = {
    "provider": _name,
    "model": _name,
    "system_prompt": _text,
    "context": _context,
    "messages": _messages,
    "arguments": _json_object,
    "content": _text,
    "result": _result,
}
