"""Why a loaded plugin would never be called, or would be called without effect: what
`zeroclaw plugins validate` warns about (and `--strict` refuses).

- a hook plugin that may receive no event (its `handles()` is empty, or every event it
  names carries conversation content and `hooks.conversation` is not granted);
- a tool plugin that offers no tool;
- a provider plugin that no `llm.provider`, `llm.fallbacks` or `llm.routes` entry names;
- a capability it asks for and is not granted (a host interface it imports would not even
  link: that is an error, not a warning; this is the rest, e.g. `hooks.modify` without
  which every cancel is ignored). Each is said once, with why it is refused; a refused
  `hooks.conversation` is already said per event by the load's own warnings.
"""

from __future__ import annotations

from collections.abc import Iterator

from zeroclaw.config.models import LLMConfig
from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.loading.loader import LoadedPlugin
from zeroclaw.providers.factory import PLUGIN_PREFIX


def unreachable_reasons(plugin: LoadedPlugin, llm: LLMConfig) -> Iterator[str]:
    """One sentence per reason the plugin would not be called, or not to full effect."""
    kind = plugin.package.id
    if kind == "zeroclaw:hooks" and not plugin.events:
        if plugin.withheld_events:
            yield (
                f"plugin {plugin.name!r} will never be called: every event it handles carries "
                'conversation content and "hooks.conversation" is not granted'
            )
        else:
            yield f"plugin {plugin.name!r} will never be called: its handles() names no event"
    if kind == "zeroclaw:tools" and not plugin.tools:
        yield f"plugin {plugin.name!r} will never be called: its tools() offers no tool"
    if kind == "zeroclaw:providers":
        name = f"{PLUGIN_PREFIX}{plugin.name}"
        used = {llm.provider, *llm.fallbacks, *(route.provider for route in llm.routes.values())}
        if name not in used:
            yield (
                f"plugin {plugin.name!r} will never be called: no llm.provider, llm.fallbacks "
                f'or llm.routes entry names "{name}"'
            )
    for refusal in plugin.grants.refused:
        if refusal.capability.kind is CapabilityKind.HOOKS_CONVERSATION and plugin.withheld_events:
            continue  # the load's warnings already name each event it withholds, and why
        yield (
            f'plugin {plugin.name!r} asks for "{refusal.capability}", which is not granted '
            f"({refusal.why}): what needs it will not happen"
        )
