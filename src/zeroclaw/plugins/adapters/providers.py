"""Provider plugins as `Provider`s: an LLM backend written as a `zeroclaw:providers` plugin.

`PluginProvider` implements `zeroclaw.providers.base.Provider` for one loaded provider
plugin. `chat` sends the request (messages, tool specs, options) to the plugin's
`chat(request)` through `PluginCalls` (breaker, call slot, warm instance, time and memory
limits) and maps the answer back (text, tool calls, usage, model). The WIT has no streaming,
so `stream` is `stream_whole`: one text delta, then the end.

The plugin has no network and no environment of its own: it reaches an API only through
the host's `zeroclaw:host/http` (each host checked against its `http:` grants, on every
address and redirect) and reads an API key only as a named secret it was granted
(`zeroclaw:host/config` `get-secret`).

Failures are `ProviderError`s, so the resilient and router wrappers treat a plugin
provider like any other:

    provider-error auth / invalid-request / failed    not retried; the next fallback
    provider-error rate-limited / unavailable         retried with back-off, then fallback
    PluginTimeout, PluginBusy                         retried, then fallback
    a trap, a memory overrun, an unusable result,
    a quarantined plugin, a host error                not retried; the next fallback

The answer is capped by `plugins.limits.max_answer_bytes` (1 MiB by default), the way
tool output is capped by the tool registry: text beyond it is cut, with the same marker
(`truncation.py`) and a warning naming the plugin, so the user still gets the head of a
runaway answer instead of a terminal rendering megabytes. A tool call's arguments cannot
be cut (half a JSON object is not JSON): arguments beyond the cap fail the call as
`PluginBadResult`, naming the plugin, the size and the cap, and count against the plugin.

The request's options follow the plugin's WIT version: a `zeroclaw:providers@1.0` plugin
honours (and receives) `temperature`, `max-tokens` and `stop`; a 1.1 plugin every option
(`honoured_options`), so the agent refuses, before the call, what a plugin cannot carry.

An empty model in the request (a fallback asked without a model of its own) becomes the
plugin's `default-model`. Tools are sent only when the plugin said it supports them
(`supports-tools`); otherwise the model is asked without them.

`provider_for(snapshot_plugins, name)` is the factory's plugin resolver for one snapshot.

This module imports wasmtime (through the loader); import it only when plugins are enabled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroclaw.messages import ToolCall, ToolSpec, Usage
from zeroclaw.plugins.contract.manifest import ANSWER_CAP_KEY
from zeroclaw.plugins.errors import PluginBadResult, PluginBusy, PluginCallError, PluginTimeout
from zeroclaw.plugins.loading.loader import LoadedPlugin, PluginProviderInfo, PluginStatus
from zeroclaw.plugins.wasm.conversion import LiftError, Variant
from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    ProviderError,
    StreamEvent,
    stream_whole,
)
from zeroclaw.providers.factory import PLUGIN_PREFIX, UnknownProviderError
from zeroclaw.providers.options import EVERY_OPTION, ResponseFormat, ToolChoice
from zeroclaw.tools.truncation import truncate_utf8

_LOG = logging.getLogger("zeroclaw.plugins")

PROVIDERS_PACKAGE = "zeroclaw:providers"
# The options the `chat-options` record of zeroclaw:providers@1.0 carries; 1.1 carries all.
OPTIONS_1_0 = frozenset({"temperature", "max_tokens", "stop"})
OPTIONS_1_1 = EVERY_OPTION - {"tools"}
_JSON = json.JSONEncoder(ensure_ascii=False)

# provider-error case -> (retryable, what it means for the user)
_CASES: Mapping[str, tuple[bool, str]] = {
    "auth": (False, "the API refused the credentials"),
    "rate-limited": (True, "the API asked to slow down"),
    "invalid-request": (False, "the API refused the request"),
    "unavailable": (True, "the API is unavailable"),
    "failed": (False, "the call failed"),
}


@dataclass(frozen=True, slots=True)
class _Refused:
    """A provider-error returned by the plugin (raised as a ProviderError by `chat`)."""

    case: str
    message: str


class PluginProvider:
    """One loaded provider plugin, as a `Provider` named `plugin:NAME`."""

    def __init__(self, plugin: LoadedPlugin) -> None:
        if plugin.provider is None:
            raise ValueError(f"plugin {plugin.name!r} is not a provider plugin")
        self.plugin = plugin
        self.info: PluginProviderInfo = plugin.provider
        self.name = PLUGIN_PREFIX + plugin.name

    async def chat(self, request: ChatRequest) -> ChatResponse:
        try:
            answer = await self.plugin.calls.call_async(
                "chat", (self._request(request),), self._response
            )
        except PluginCallError as error:
            raise ProviderError(
                error.message,
                provider=self.name,
                retryable=isinstance(error, PluginTimeout | PluginBusy),
                hint=error.hint,
            ) from error
        if isinstance(answer, _Refused):
            retryable, meaning = _CASES[answer.case]
            raise ProviderError(
                f"{meaning} ({answer.case}): {answer.message}",
                provider=self.name,
                retryable=retryable,
                hint=_hint(self.plugin.name, answer.case),
            )
        return answer

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return stream_whole(self, request)

    def honoured_options(self, model: str) -> frozenset[str]:
        """What the plugin's WIT version can carry (`chat-options` of 1.0: temperature,
        max-tokens, stop; of 1.1: every option), and tools when it said it supports them."""
        able = OPTIONS_1_0 if self.plugin.package.minor == 0 else OPTIONS_1_1
        return able | {"tools"} if self.info.supports_tools else able

    def _request(self, request: ChatRequest) -> dict[str, Any]:
        """The WIT `chat-request` (records as dicts; ChatMessage and ToolCall objects already
        have the record's fields, tool arguments are written as JSON text)."""
        tools = request.tools if self.info.supports_tools else ()
        options = request.options
        return {
            "model": request.model or self.info.default_model,
            "messages": list(request.messages),
            "tools": [_tool_spec(spec) for spec in tools],
            # A 1.0 component's record has the first three fields only; the conversion
            # reads the fields of the component's own type, so the rest is never sent.
            "options": {
                "temperature": options.temperature,
                "max_tokens": options.max_tokens,
                "stop": list(options.stop),
                "top_p": options.top_p,
                "seed": options.seed,
                "presence_penalty": options.presence_penalty,
                "frequency_penalty": options.frequency_penalty,
                "response_format": _response_format(options.response_format),
                "tool_choice": _tool_choice(options.tool_choice),
            },
        }

    # -- the answer (runs on the plugin's worker thread: a LiftError or PluginBadResult
    # fails the call and counts against the plugin) ---------------------------------------

    def _response(self, value: Any) -> ChatResponse | _Refused:
        if not isinstance(value, Variant) or value.tag not in ("ok", "err"):
            raise LiftError(f"expected result<chat-response, provider-error>, got {value!r}")
        if value.tag == "err":
            error = value.payload
            if not isinstance(error, Variant) or error.tag not in _CASES:
                raise LiftError(f"expected a provider-error variant, got {error!r}")
            return _Refused(error.tag, str(error.payload))
        answer = value.payload
        if not isinstance(answer, dict):
            raise LiftError(f"expected a chat-response record, got {answer!r}")
        calls = self._tool_calls(answer["tool_calls"])
        usage = answer["usage"]
        return ChatResponse(
            text=self._capped_text(answer["text"]),
            tool_calls=calls,
            usage=Usage(usage["input_tokens"], usage["output_tokens"]) if usage else Usage(),
            model=answer["model"] or "",
            finish_reason="tool_calls" if calls else "stop",
        )

    def _capped_text(self, text: str | None) -> str | None:
        cap = self.plugin.limits.max_answer_bytes
        if text is None or len(text) * 4 <= cap:  # at most 4 bytes a character: fits
            return text
        size = len(text.encode("utf-8", "surrogatepass"))
        if size <= cap:
            return text
        _LOG.warning(
            "plugin %r answered %s bytes of text; cut to %s (%s)",
            self.plugin.name,
            f"{size:,}",
            f"{cap:,}",
            ANSWER_CAP_KEY,
        )
        return truncate_utf8(text, cap) + f" ({ANSWER_CAP_KEY})"

    def _tool_calls(self, calls: Sequence[dict[str, Any]]) -> tuple[ToolCall, ...]:
        parsed = []
        cap = self.plugin.limits.max_answer_bytes
        for index, call in enumerate(calls):
            name = call["name"]
            if not isinstance(name, str) or not name:
                raise LiftError(f"tool call {index} has no tool name")
            text = call["arguments"] or "{}"
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > cap:
                raise PluginBadResult(
                    self.plugin.name,
                    "chat",
                    f"the arguments of tool call {name!r} are {size:,} bytes, over the cap of "
                    f"{cap:,} bytes ({ANSWER_CAP_KEY})",
                    hint=f"raise {ANSWER_CAP_KEY} if such arguments are expected; otherwise "
                    "the plugin (or its model) is sending garbage",
                )
            try:
                arguments = json.loads(text)
            except json.JSONDecodeError as exc:
                raise LiftError(
                    f"the arguments of tool call {name!r} are not JSON: {exc}"
                ) from None
            if not isinstance(arguments, dict):
                raise LiftError(f"the arguments of tool call {name!r} are not a JSON object")
            parsed.append(ToolCall(call["id"] or f"call_{index}", name, arguments))
        return tuple(parsed)


def _response_format(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    if fmt is None:
        return None
    schema = _JSON.encode(dict(fmt.schema)) if fmt.schema is not None else None
    return {"json_schema": schema, "name": fmt.name, "strict": fmt.strict}


def _tool_choice(choice: ToolChoice | None) -> Variant | None:
    if choice is None:
        return None
    return Variant("function", choice.function) if choice.function else Variant("required")


def _tool_spec(spec: ToolSpec) -> dict[str, str]:
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters_schema": _JSON.encode(spec.parameters),
    }


def _hint(plugin: str, case: str) -> str | None:
    if case == "auth":
        return (
            f"check the API key the plugin reads: grant secret:NAME to {plugin!r} and map it "
            f"in plugins.overrides.{plugin}.secrets"
        )
    return None


# -- resolving a name -------------------------------------------------------------------------


def provider_for(
    plugins: Mapping[str, LoadedPlugin], statuses: Sequence[PluginStatus], name: str
) -> PluginProvider | None:
    """The provider plugin `name` of a snapshot (the factory's plugin resolver).

    None when no plugin has that name (the factory then reports an unknown provider); a
    clear error when one does but cannot serve as a provider.
    """
    plugin = plugins.get(name)
    if plugin is not None:
        if plugin.provider is None:
            raise UnknownProviderError(
                f"plugin {name!r} is not a provider plugin (it targets {plugin.package})",
                hint=f"name a plugin whose plugin.toml declares {PROVIDERS_PACKAGE}@1.1.0 "
                "(or 1.0.0)",
            )
        return PluginProvider(plugin)
    status = next((s for s in statuses if s.name == name), None)
    if status is None:
        return None
    why = f"it failed to load: {status.error}" if status.error is not None else "it is disabled"
    raise UnknownProviderError(
        f"provider plugin {name!r} is not available: {why}",
        hint="fix the plugin (see `zeroclaw plugins info " + name + "`), or choose another "
        "provider with llm.provider",
    )
