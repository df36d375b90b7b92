"""The scripted provider: replays a fixed list of responses, in order, one per call.

It drives tests and demos that need a particular answer (a tool call, a failure) without a
model. An entry is a response or an error:

    {"text": "...", "tool_calls": [{"name": "file_list", "arguments": {}, "id": "call_1"}],
     "usage": {"input_tokens": 10, "output_tokens": 5}}
    {"error": {"status": 429, "message": "slow down", "retry_after": 2}}

An error entry raises the `ProviderError` the status means (429, 5xx and no status are
retryable; `retryable` overrides), so retries and fallbacks can be exercised. Entries are
validated when the provider is created; errors name the file and the entry (counted from 1).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zeroclaw.config.models import ProviderConfig
from zeroclaw.messages import ToolCall, Usage
from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from zeroclaw.providers.offline import word_chunks
from zeroclaw.providers.options import EVERY_OPTION


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScriptedToolCall(_Strict):
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class ScriptedUsage(_Strict):
    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)


class ScriptedError(_Strict):
    message: str
    status: int | None = None
    retry_after: float | None = Field(None, ge=0)
    retryable: bool | None = None

    def is_retryable(self) -> bool:
        if self.retryable is not None:
            return self.retryable
        # No status stands for a timeout or a dropped connection.
        return self.status is None or self.status == 429 or self.status >= 500


class ScriptEntry(_Strict):
    text: str | None = None
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    usage: ScriptedUsage | None = None
    error: ScriptedError | None = None

    @model_validator(mode="after")
    def _response_or_error(self) -> Self:
        if self.error is not None and (self.text is not None or self.tool_calls):
            raise ValueError("an entry is either a response (text, tool_calls) or an error")
        return self


class ScriptedProvider:
    """Replays `entries` in order; `requests` keeps every request it received."""

    def __init__(
        self,
        entries: Sequence[ScriptEntry | Mapping[str, Any]],
        *,
        name: str = "scripted",
        source: str = "script",
    ) -> None:
        self.name = name
        self.requests: list[ChatRequest] = []
        self._source = source
        self._entries = [self._validate(index, entry) for index, entry in enumerate(entries)]
        self._position = 0
        self._calls_made = 0

    @classmethod
    def from_file(cls, path: Path, *, name: str = "scripted") -> ScriptedProvider:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ProviderError(
                f"cannot read script file {path}: {exc.strerror or exc}",
                provider=name,
                hint="check the path in llm.providers.<name>.script",
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"script file {path} is not valid JSON: {exc}",
                provider=name,
                hint="the script is a JSON list of entries, see zeroclaw.providers.scripted",
            ) from None
        if not isinstance(data, list):
            raise ProviderError(
                f"script file {path} must hold a JSON list of entries, not {type(data).__name__}",
                provider=name,
                hint='e.g. [{"text": "hello"}, {"error": {"status": 429, "message": "busy"}}]',
            )
        return cls(data, name=name, source=f"script file {path}")

    @classmethod
    def from_config(cls, name: str, config: ProviderConfig) -> ScriptedProvider:
        if config.script is None:
            raise ProviderError(
                "a provider of kind 'scripted' needs a script file",
                provider=name,
                hint=f'set llm.providers.{name}.script = "path/to/script.json"',
            )
        return cls.from_file(config.script, name=name)

    def honoured_options(self, model: str) -> frozenset[str]:
        # A script answers what it says whatever the options; it keeps each request, so
        # a test can check what reached the provider.
        return EVERY_OPTION

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        entry = self._next_entry()
        if entry.error is not None:
            raise ProviderError(
                entry.error.message,
                provider=self.name,
                retryable=entry.error.is_retryable(),
                retry_after=entry.error.retry_after,
                status=entry.error.status,
            )
        calls = tuple(self._tool_call(call) for call in entry.tool_calls)
        usage = entry.usage or ScriptedUsage()
        return ChatResponse(
            text=entry.text,
            tool_calls=calls,
            usage=Usage(usage.input_tokens, usage.output_tokens),
            model=request.model or self.name,
            finish_reason="tool_calls" if calls else "stop",
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        response = await self.chat(request)
        for chunk in word_chunks(response.text or ""):
            yield TextDelta(chunk)
        yield StreamEnd(response)

    def _next_entry(self) -> ScriptEntry:
        if self._position >= len(self._entries):
            raise ProviderError(
                f"script exhausted: its {len(self._entries)} entries are used up, "
                f"and request {len(self.requests)} has no answer",
                provider=self.name,
                hint=f"add entries to the {self._source}, or expect fewer model calls",
            )
        entry = self._entries[self._position]
        self._position += 1
        return entry

    def _tool_call(self, call: ScriptedToolCall) -> ToolCall:
        self._calls_made += 1
        return ToolCall(call.id or f"call_{self._calls_made}", call.name, dict(call.arguments))

    def _validate(self, index: int, entry: ScriptEntry | Mapping[str, Any]) -> ScriptEntry:
        if isinstance(entry, ScriptEntry):
            return entry
        try:
            return ScriptEntry.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'entry'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ProviderError(
                f"{self._source}: entry {index + 1} is invalid: {problems}",
                provider=self.name,
                hint='an entry is {"text": ..., "tool_calls": [...], "usage": {...}} '
                'or {"error": {"status": ..., "message": ...}}',
            ) from None
