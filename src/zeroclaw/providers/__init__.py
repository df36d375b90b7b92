"""LLM providers: the protocol, the native wire formats, and the retry/fallback and
hint-routing wrappers. `build_provider(config.llm)` gives the runtime's provider.

`OpenAIProvider` and `AnthropicProvider` are imported on first use: their SDKs are slow
to import, and the default (offline) configuration never needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zeroclaw.providers.base import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    MissingCredentialsError,
    Provider,
    ProviderError,
    StreamEnd,
    StreamEvent,
    TextDelta,
    stream_whole,
)
from zeroclaw.providers.factory import (
    NATIVE_KINDS,
    PLUGIN_PREFIX,
    PluginResolver,
    ProviderFactory,
    UnknownProviderError,
    build_provider,
)
from zeroclaw.providers.offline import SUMMARIZE_INSTRUCTION, OfflineProvider
from zeroclaw.providers.options import (
    EVERY_OPTION,
    OPTION_NAMES,
    ChatOptions,
    ResponseFormat,
    ToolChoice,
    honoured,
    unhonoured,
)
from zeroclaw.providers.resilient import (
    MAX_RETRY_AFTER_S,
    AllProvidersFailedError,
    ChainLink,
    ResilientProvider,
)
from zeroclaw.providers.router import HINT_PREFIX, RouterProvider
from zeroclaw.providers.scripted import ScriptedProvider

if TYPE_CHECKING:
    from zeroclaw.providers.anthropic_native import AnthropicProvider
    from zeroclaw.providers.openai_compat import OpenAIProvider

__all__ = [
    "EVERY_OPTION",
    "HINT_PREFIX",
    "MAX_RETRY_AFTER_S",
    "NATIVE_KINDS",
    "OPTION_NAMES",
    "PLUGIN_PREFIX",
    "SUMMARIZE_INSTRUCTION",
    "AllProvidersFailedError",
    "AnthropicProvider",
    "ChainLink",
    "ChatOptions",
    "ChatRequest",
    "ChatResponse",
    "FinishReason",
    "MissingCredentialsError",
    "OfflineProvider",
    "OpenAIProvider",
    "PluginResolver",
    "Provider",
    "ProviderError",
    "ProviderFactory",
    "ResilientProvider",
    "ResponseFormat",
    "RouterProvider",
    "ScriptedProvider",
    "StreamEnd",
    "StreamEvent",
    "TextDelta",
    "ToolChoice",
    "UnknownProviderError",
    "build_provider",
    "honoured",
    "stream_whole",
    "unhonoured",
]


def __getattr__(name: str) -> object:
    if name == "OpenAIProvider":
        from zeroclaw.providers.openai_compat import OpenAIProvider

        return OpenAIProvider
    if name == "AnthropicProvider":
        from zeroclaw.providers.anthropic_native import AnthropicProvider

        return AnthropicProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
