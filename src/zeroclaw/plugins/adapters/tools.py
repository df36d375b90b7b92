"""Tool plugins as `Tool`s: what a `zeroclaw:tools` plugin offers, beside the native tools.

`PluginTool` implements `zeroclaw.tools.base.Tool` for one tool of a loaded tool plugin, so
the `ToolRegistry` and the `ToolGate` treat it exactly like a native tool: the security
policy, approvals, `before_tool_call`, argument validation against the schema, the output
cap and `tool_result_persist` all run the same way; only `execute` differs, which calls the
plugin's `call(name, arguments)` through `PluginCalls` (breaker, call slot, warm instance,
time and memory limits).

- Its spec is the plugin's own description of the tool (`tools()` at load; the loader has
  checked the name and that the parameters are a valid JSON Schema).
- `mutating`: True unless the plugin's `plugin.toml` lists the tool under
  `[tools] read_only`. The host cannot see what a tool does, so an undeclared tool is
  treated as one that changes things (approval in supervised autonomy, refused in
  read_only autonomy).
- Failures never raise: a `tool-error` from the plugin, a trap, a timeout, a memory
  overrun, a refused call (busy, quarantined) or a result the host cannot use each become
  a failed `ToolResult` saying what happened.

`plugin_tools(plugins)` gathers the tools of every loaded tool plugin. Two plugins offering
one tool name: the plugin whose name sorts first keeps it, the other's is dropped, and the
clash is logged and reported (`ToolConflict`, shown by `zeroclaw tools list`). A native tool
of the same name wins over both (the `ToolRegistry` decides that, when the snapshot's tools
are layered over the native ones).

This module imports wasmtime (through the loader); import it only when plugins are enabled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.plugins.errors import PluginCallError
from zeroclaw.plugins.loading.loader import LoadedPlugin, PluginToolSpec
from zeroclaw.plugins.wasm.conversion import LiftError, Variant
from zeroclaw.tools.base import ToolContext
from zeroclaw.tools.registry import ToolConflict

_LOG = logging.getLogger("zeroclaw.plugins")

TOOLS_PACKAGE = "zeroclaw:tools"
# One encoder, made once (ensure_ascii off: the guest reads UTF-8 either way, and this is
# shorter for non-ASCII text).
_JSON = json.JSONEncoder(ensure_ascii=False)


def owner_label(plugin: str) -> str:
    """How a plugin's tools are labelled in listings: `plugin:NAME`."""
    return f"plugin:{plugin}"


class PluginTool:
    """One tool of a loaded tool plugin, as a `Tool`."""

    def __init__(self, plugin: LoadedPlugin, spec: PluginToolSpec) -> None:
        self.plugin = plugin
        self.spec = ToolSpec(spec.name, spec.description, spec.parameters)
        self.mutating = spec.name not in plugin.manifest.read_only_tools
        self.owner = owner_label(plugin.name)
        self.version = plugin.manifest.version

    async def execute(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        """Run the tool in the plugin; every failure is a failed result, never raised."""
        try:
            return await self.run(arguments)
        except PluginCallError as error:
            hint = f" ({error.hint})" if error.hint else ""
            return ToolResult.fail(f"tool {self.spec.name!r}: {error.message}{hint}")

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        """Run the tool in the plugin: its output or its `tool-error` as a ToolResult; a
        failed call (trap, timeout, bad result, ...) raises its PluginCallError."""
        return await self.plugin.calls.call_async(
            "call", (self.spec.name, _JSON.encode(arguments)), self._result
        )

    def _result(self, value: Any) -> ToolResult:
        """The guest's `result<string, tool-error>` (runs on the plugin's worker thread: a
        LiftError here fails the call as PluginBadResult and counts against the plugin)."""
        if not isinstance(value, Variant) or value.tag not in ("ok", "err"):
            raise LiftError(f"expected result<string, tool-error>, got {value!r}")
        if value.tag == "ok":
            if not isinstance(value.payload, str):
                raise LiftError(f"expected the tool's output as a string, got {value.payload!r}")
            return ToolResult.ok(value.payload)
        return ToolResult.fail(self._error_text(value.payload))

    def _error_text(self, error: Any) -> str:
        if not isinstance(error, Variant) or not isinstance(error.payload, str):
            raise LiftError(f"expected a tool-error variant, got {error!r}")
        message = error.payload
        if error.tag == "invalid-arguments":
            return f"invalid arguments for tool {self.spec.name!r}: {message}"
        if error.tag == "unknown-tool":
            return f"plugin {self.plugin.name!r} says it has no tool {message!r}"
        return message  # failed: the tool's own words


@dataclass(frozen=True)
class PluginToolSet:
    """The tools of one snapshot's tool plugins, clashes between plugins settled."""

    tools: tuple[PluginTool, ...] = ()
    conflicts: tuple[ToolConflict, ...] = ()

    @property
    def labels(self) -> dict[str, str]:
        """Tool name -> `plugin:NAME` of the plugin that offers it."""
        return {tool.spec.name: tool.owner for tool in self.tools}


def plugin_tools(plugins: Mapping[str, LoadedPlugin]) -> PluginToolSet:
    """Every tool of the loaded tool plugins; a name two plugins offer goes to the plugin
    whose name sorts first, and the clash is logged and kept."""
    kept: dict[str, PluginTool] = {}
    conflicts: list[ToolConflict] = []
    for name in sorted(plugins):
        plugin = plugins[name]
        if plugin.package.id != TOOLS_PACKAGE:
            continue
        for spec in plugin.tools:
            tool = PluginTool(plugin, spec)
            winner = kept.get(spec.name)
            if winner is None:
                kept[spec.name] = tool
                continue
            conflict = ToolConflict(spec.name, "plugin", "plugin", winner.owner, tool.owner)
            conflicts.append(conflict)
            _LOG.warning("%s", conflict.describe())
    return PluginToolSet(tuple(kept.values()), tuple(conflicts))
