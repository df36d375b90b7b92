"""What a chat request may ask of the model besides its messages, and who honours it.

`ChatOptions` carries a caller's steering, under OpenAI's names: sampling (`temperature`,
`top_p`, `seed`, `presence_penalty`, `frequency_penalty`), length (`max_tokens`, `stop`),
the reply's form (`response_format`: a JSON object, or JSON of a schema) and
`tool_choice` (a tool must be called: any, or a named one). Unset (None, empty) means the
provider's own default.

An option a provider cannot honour must never be dropped in silence. Each provider says
which options it honours (`honoured_options(model)`, the names of `OPTION_NAMES`), and
`unhonoured` names those a request sets that the provider would not, so the caller
refuses the request before any model call (the gateway answers 400
`unsupported_parameter` naming it). `"tools"` is in that list too: a provider that cannot
offer tools to its model cannot serve a client's tools.

A provider without `honoured_options` honours none of them. The wrappers ask the
providers they wrap: a resilient chain honours what every provider of the chain honours
(any of them may end up answering), a router what the provider the model routes to does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, Literal, Protocol, runtime_checkable

OPTION_NAMES: Final = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "tool_choice",
    "tools",
)

EVERY_OPTION: Final = frozenset(OPTION_NAMES)


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """The reply must be JSON: any object (`json_object`) or one matching `schema`
    (`json_schema`; `strict`: exactly, as OpenAI's structured outputs)."""

    type: Literal["json_object", "json_schema"]
    schema: Mapping[str, Any] | None = None
    name: str = "response"
    strict: bool = False


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """The model must call a tool: `function` names which one (None: any it is offered).

    `auto` is the default (no ToolChoice); `none` is honoured by offering no tools."""

    function: str | None = None


@dataclass(frozen=True, slots=True)
class ChatOptions:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_format: ResponseFormat | None = None
    tool_choice: ToolChoice | None = None
    # Not a field: which tools are offered is the request's `tools`.

    def set_names(self) -> list[str]:
        """The options this request sets, in `OPTION_NAMES` order."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, ())]


@runtime_checkable
class HonoursOptions(Protocol):
    def honoured_options(self, model: str) -> frozenset[str]: ...


def honoured(provider: object, model: str) -> frozenset[str]:
    """The options `provider` honours for `model` (none, when it does not say)."""
    if isinstance(provider, HonoursOptions):
        return provider.honoured_options(model)
    return frozenset()


def unhonoured(
    provider: object, model: str, options: ChatOptions, *, tools: bool = False
) -> list[str]:
    """What a request sets (its options, and `tools` when it brings tools of its own)
    that `provider` would not honour for `model`."""
    wanted = options.set_names() + (["tools"] if tools else [])
    if not wanted:
        return []
    able = honoured(provider, model)
    return [name for name in wanted if name not in able]
