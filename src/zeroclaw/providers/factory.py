"""From provider names in the config to provider objects.

Resolution of a name, native first:

1. a key of `llm.providers`: its `kind` picks the constructor in `NATIVE_KINDS`;
2. `plugin:NAME`, or a bare name no native provider claims: the plugin resolver, given
   NAME (the seam the plugin runtime fills; without it, plugin providers are unavailable);
3. anything else is an `UnknownProviderError` listing the known names.

`build_provider` assembles what the runtime talks to: a `RouterProvider` whose default is
a `ResilientProvider` over `[llm.provider, *llm.fallbacks]`, and whose hints come from
`llm.routes` (each route falls back on `llm.fallbacks` too). Any of these names may be a
plugin provider, so the wrappers retry, fall back from and route to plugins like any
provider.

With plugins on, the runtime builds this once per plugin snapshot
(`factory.for_plugins(snapshot.provider).build()`): a reload never leaves a chain pointing
at a plugin of a replaced snapshot, and the native providers (and their connection pools)
are shared by every snapshot's chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from zeroclaw.config.models import LLMConfig, ProviderConfig, ProviderKind
from zeroclaw.errors import ZeroClawError
from zeroclaw.named_env import ENVIRONMENT_ONLY, NamedEnv
from zeroclaw.providers.base import Provider
from zeroclaw.providers.offline import OfflineProvider
from zeroclaw.providers.resilient import ChainLink, ResilientProvider, Sleep
from zeroclaw.providers.router import RouterProvider
from zeroclaw.providers.scripted import ScriptedProvider

PLUGIN_PREFIX = "plugin:"

# (name, its [llm.providers] entry, where its API key variable is read: the config's env)
ProviderConstructor = Callable[[str, ProviderConfig, NamedEnv], Provider]
PluginResolver = Callable[[str], Provider | None]


# The SDKs take about a second to import: only a config that uses them pays for it.
def _openai(name: str, config: ProviderConfig, env: NamedEnv) -> Provider:
    from zeroclaw.providers.openai_compat import OpenAIProvider

    return OpenAIProvider(name, config, env=env)


def _anthropic(name: str, config: ProviderConfig, env: NamedEnv) -> Provider:
    from zeroclaw.providers.anthropic_native import AnthropicProvider

    return AnthropicProvider(name, config, env=env)


NATIVE_KINDS: dict[ProviderKind, ProviderConstructor] = {
    "offline": lambda name, config, _env: OfflineProvider.from_config(name, config),
    "scripted": lambda name, config, _env: ScriptedProvider.from_config(name, config),
    "openai": _openai,
    "anthropic": _anthropic,
}


class UnknownProviderError(ZeroClawError):
    """No native provider and no plugin answers to this name."""


class ProviderFactory:
    def __init__(
        self,
        llm_config: LLMConfig,
        *,
        plugin_resolver: PluginResolver | None = None,
        env: NamedEnv = ENVIRONMENT_ONLY,
    ) -> None:
        """`env`: where API key variables are read, the config's (`Config.env`)."""
        self._config = llm_config
        self._plugin_resolver = plugin_resolver
        self._env = env
        # Native providers hold HTTP connection pools: one instance per name. Plugin ones are
        # not kept, since a plugin reload may replace them.
        self._native: dict[str, Provider] = {}

    def for_plugins(self, plugin_resolver: PluginResolver | None) -> ProviderFactory:
        """A factory resolving plugin names through `plugin_resolver` (one plugin
        snapshot's), sharing this one's native providers."""
        factory = ProviderFactory(self._config, plugin_resolver=plugin_resolver, env=self._env)
        factory._native = self._native
        return factory

    def build(self, *, sleep: Sleep = asyncio.sleep) -> Provider:
        """The provider the runtime talks to (see `build_provider`)."""
        llm_config = self._config
        primary = ChainLink(
            llm_config.provider,
            self.create(llm_config.provider),
            self.default_model(llm_config.provider),
        )
        fallbacks = [
            ChainLink(name, self.create(name), self.default_model(name))
            for name in dict.fromkeys(llm_config.fallbacks)
            if name != llm_config.provider
        ]
        default = ResilientProvider([primary, *fallbacks], llm_config.retry, sleep=sleep)
        routes: dict[str, tuple[Provider, str]] = {}
        for hint, route in llm_config.routes.items():
            link = ChainLink(route.provider, self.create(route.provider), route.model)
            chain = [link, *(f for f in fallbacks if f.name != route.provider)]
            routes[hint] = (ResilientProvider(chain, llm_config.retry, sleep=sleep), route.model)
        return RouterProvider(default, routes)

    def resilient(self, name: str, *, sleep: Sleep = asyncio.sleep) -> Provider:
        """Provider `name` alone, with the configured retries (what before_model_resolve
        switches a turn to)."""
        link = ChainLink(name, self.create(name), self.default_model(name))
        return ResilientProvider([link], self._config.retry, sleep=sleep)

    def create(self, name: str) -> Provider:
        if name.startswith(PLUGIN_PREFIX):
            return self._from_plugin(name.removeprefix(PLUGIN_PREFIX), requested=name)
        config = self._config.providers.get(name)
        if config is None:
            return self._from_plugin(name, requested=name)
        if name not in self._native:
            self._native[name] = NATIVE_KINDS[config.kind](name, config, self._env)
        return self._native[name]

    def default_model(self, name: str) -> str | None:
        """The model a request without one gets: llm.model for the default provider if
        set, else the provider's own `model`. None when the provider decides (plugins)."""
        if name == self._config.provider and self._config.model:
            return self._config.model
        config = self._config.providers.get(name)
        return config.model if config is not None else None

    def native_names(self) -> list[str]:
        return sorted(self._config.providers)

    def _from_plugin(self, plugin: str, *, requested: str) -> Provider:
        if self._plugin_resolver is None:
            if requested.startswith(PLUGIN_PREFIX):
                raise UnknownProviderError(
                    f"provider {requested!r} would come from a plugin, and plugins are off",
                    hint="set plugins.enabled = true and add the plugin's folder to plugins.dirs",
                )
            raise self._unknown(requested)
        provider = self._plugin_resolver(plugin)
        if provider is None:
            raise self._unknown(requested)
        return provider

    def _unknown(self, requested: str) -> UnknownProviderError:
        kinds = ", ".join(NATIVE_KINDS)
        return UnknownProviderError(
            f"unknown provider {requested!r}; known providers: {', '.join(self.native_names())}",
            hint=f"check the spelling, define [llm.providers.{requested}] with kind = one of "
            f"{kinds}, or load a plugin that provides it (plugin:NAME)",
        )


def build_provider(
    llm_config: LLMConfig,
    *,
    plugin_resolver: PluginResolver | None = None,
    sleep: Sleep = asyncio.sleep,
    env: NamedEnv = ENVIRONMENT_ONLY,
) -> Provider:
    """The provider the runtime talks to: hint routing over retries and fallbacks.

    Every provider named by the config (default, fallbacks, routes) is created now, so a
    missing API key or an unknown name is reported at start, not in the middle of a turn.
    """
    return ProviderFactory(llm_config, plugin_resolver=plugin_resolver, env=env).build(sleep=sleep)
