"""The `model` of an OpenAI request, in the runtime's provider naming.

  "zeroclaw"              the configured default (llm.provider, llm.model)
  "PROVIDER"              a provider of [llm.providers] with its own default model
  "PROVIDER/MODEL"        that provider asked for MODEL (split at the first "/", so
                          "openrouter/openai/gpt-4o" is provider openrouter, model
                          openai/gpt-4o)
  "plugin:NAME[/MODEL]"   a plugin's provider (when plugins are on)
  "hint:NAME"             the route llm.routes.NAME

The choice goes to `Agent.turn(provider=, model=)`; before_model_resolve handlers see it
and may still override it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from zeroclaw.config.models import LLMConfig
from zeroclaw.gateway.errors import ModelNotFound
from zeroclaw.gateway.openai_api import DEFAULT_MODEL
from zeroclaw.providers import HINT_PREFIX, PLUGIN_PREFIX

# Above any handler a user would write: the client's choice comes first, hooks after.
REQUESTED_MODEL_PRIORITY: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A provider name ("" keeps the default provider) and a model ("" its default)."""

    provider: str
    model: str


class ModelCatalog:
    def __init__(self, llm: LLMConfig, *, plugins_enabled: bool) -> None:
        self._llm = llm
        self._plugins_enabled = plugins_enabled

    def ids(self) -> list[str]:
        """What GET /v1/models lists: the default, each provider's default model, hints."""
        ids = [DEFAULT_MODEL]
        for name, provider in sorted(self._llm.providers.items()):
            ids.append(f"{name}/{provider.model}" if provider.model else name)
        ids.extend(f"{HINT_PREFIX}{hint}" for hint in sorted(self._llm.routes))
        return ids

    def resolve(self, requested: str) -> ModelChoice | None:
        """The choice `requested` names; None for the default. ModelNotFound otherwise."""
        if requested == DEFAULT_MODEL:
            return None
        if requested.startswith(HINT_PREFIX):
            if requested.removeprefix(HINT_PREFIX) not in self._llm.routes:
                raise self._not_found(requested)
            return ModelChoice("", requested)
        provider, _, model = requested.partition("/")
        if provider.startswith(PLUGIN_PREFIX):
            if not self._plugins_enabled:
                raise self._not_found(requested, why="plugins are off (plugins.enabled)")
        elif provider not in self._llm.providers:
            raise self._not_found(requested)
        return ModelChoice(provider, model)

    def _not_found(self, requested: str, *, why: str | None = None) -> ModelNotFound:
        reason = f" ({why})" if why else ""
        return ModelNotFound(
            f"unknown model {requested!r}{reason}; use {DEFAULT_MODEL!r}, a provider name, "
            f"PROVIDER/MODEL or hint:NAME (GET /v1/models lists them: "
            f"{', '.join(self.ids())})"
        )
