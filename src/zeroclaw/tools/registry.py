"""`ToolRegistry`: the tools the model can call, who owns each, and how a call is run.

Running a call is one path whoever owns the tool: look it up, validate the arguments
against its JSON schema, execute, and turn every failure into a failed `ToolResult` the
model can read and react to. Nothing a tool does can raise out of `execute`.

Owners rank: native, then plugin, then MCP; a better ranked tool always wins over another
of the same name, and the clash is kept in `conflicts` for `zeroclaw tools list` and the
plugin report. Plugin tools come from a plugin snapshot and MCP tools from the connected
MCP servers; `with_tools` builds a combined registry without touching the one it starts
from. Each entry may carry a `label` naming its owner more precisely than its kind
(`plugin:word-count`, `mcp:github`), for listings, conflict reports and the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ToolResult, ToolSpec
from zeroclaw.tool_arguments import invalid_arguments
from zeroclaw.tools.base import Tool, ToolContext, ToolOwner
from zeroclaw.tools.errors import ToolRegistrationError
from zeroclaw.tools.truncation import truncate_utf8

log = logging.getLogger(__name__)

DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024
# Lower wins a name clash.
_OWNER_RANK: dict[ToolOwner, int] = {"native": 0, "plugin": 1, "mcp": 2}
# Enough for the model to fix its call; more would bury the first problem.
_MAX_REPORTED_PROBLEMS = 5


@dataclass(frozen=True, slots=True)
class ToolConflict:
    """Two owners offered a tool of the same name; `kept` won, `dropped` is ignored.

    `kept_by` / `dropped_by` name the owners more precisely when known (`plugin:NAME`).
    """

    name: str
    kept: ToolOwner
    dropped: ToolOwner
    kept_by: str | None = None
    dropped_by: str | None = None

    def describe(self) -> str:
        if self.kept_by is None and self.dropped_by is None:
            return (
                f"tool {self.name!r} is offered by a {self.kept} and a {self.dropped} tool; "
                f"the {self.kept} one is used"
            )
        kept = self.kept_by or self.kept
        dropped = self.dropped_by or self.dropped
        if self.kept == "native":
            why = "a native tool always wins"
        elif self.kept != self.dropped:
            why = "a plugin tool wins over an MCP tool"
        else:
            why = "between plugins, the plugin whose name sorts first wins"
        return f"tool {self.name!r} is offered by {kept} and {dropped}; {kept}'s is used ({why})"


@dataclass(frozen=True, slots=True)
class _Entry:
    tool: Tool
    owner: ToolOwner
    validator: Validator
    label: str | None = None


class ToolRegistry:
    def __init__(self, *, max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES) -> None:
        self.max_output_bytes = max_output_bytes
        self.conflicts: list[ToolConflict] = []
        self._entries: dict[str, _Entry] = {}
        # specs(), sorted once: every model call of every turn asks for them.
        self._specs: tuple[ToolSpec, ...] | None = None

    def register(
        self, tool: Tool, owner: ToolOwner = "native", *, label: str | None = None
    ) -> None:
        """Add `tool`. Same name, same owner: an error. Different owners: the better
        ranked one (native over plugin) stays and the clash is recorded. `label` names the
        owner more precisely (`plugin:NAME`)."""
        name = tool.spec.name
        entry = _Entry(tool, owner, _validator_for(tool.spec), label)
        self._specs = None
        existing = self._entries.get(name)
        if existing is None:
            self._entries[name] = entry
            return
        if existing.owner == owner:
            raise ToolRegistrationError(
                f"a {owner} tool named {name!r} is already registered",
                hint="tool names must be unique per owner",
            )
        kept, dropped = sorted((existing, entry), key=lambda e: _OWNER_RANK[e.owner])
        self._entries[name] = kept
        conflict = ToolConflict(name, kept.owner, dropped.owner, kept.label, dropped.label)
        self.conflicts.append(conflict)
        log.warning("%s", conflict.describe())

    def with_tools(
        self,
        tools: Iterable[Tool],
        owner: ToolOwner = "plugin",
        *,
        labels: Mapping[str, str] | None = None,
        conflicts: Iterable[ToolConflict] = (),
    ) -> ToolRegistry:
        """A new registry holding these tools and `tools` under `owner`; this one is
        unchanged, so each plugin snapshot gets its own view over the same native tools.
        `labels`: tool name -> owner label; `conflicts`: clashes already settled among
        `tools` (between two plugins), reported with the registry's own."""
        combined = ToolRegistry(max_output_bytes=self.max_output_bytes)
        combined._entries = dict(self._entries)
        combined.conflicts = [*self.conflicts, *conflicts]
        for tool in tools:
            combined.register(tool, owner, label=(labels or {}).get(tool.spec.name))
        return combined

    def get(self, name: str) -> Tool | None:
        entry = self._entries.get(name)
        return None if entry is None else entry.tool

    def owner_of(self, name: str) -> ToolOwner | None:
        entry = self._entries.get(name)
        return None if entry is None else entry.owner

    def label_of(self, name: str) -> str | None:
        """Who offers tool `name`: its label (`plugin:word-count`), else its owner kind."""
        entry = self._entries.get(name)
        return None if entry is None else entry.label or entry.owner

    def version_of(self, name: str) -> str | None:
        """The version of what offers tool `name`, for owners that have one (a plugin's
        manifest version); None for native and MCP tools and unknown names."""
        entry = self._entries.get(name)
        version = getattr(entry.tool, "version", None) if entry is not None else None
        return version if isinstance(version, str) else None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def specs(self) -> tuple[ToolSpec, ...]:
        """What the model is told, sorted by name so prompts are stable between turns."""
        if self._specs is None:
            self._specs = tuple(self._entries[name].tool.spec for name in self.names())
        return self._specs

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    async def execute(
        self, name: str, arguments: dict[str, Any], context: ToolContext
    ) -> ToolResult:
        """Run tool `name`; every failure comes back as a failed result, never raised."""
        entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(self.names()) or "(none)"
            return ToolResult.fail(f"unknown tool {name!r}; known tools: {known}")
        raw = invalid_arguments(arguments)
        if raw is not None:
            return ToolResult.fail(
                f"arguments for tool {name!r} are not a JSON object: {raw[:200]!r}; "
                "send the arguments as one JSON object"
            )
        problems = _argument_problems(entry.validator, arguments)
        if problems:
            return ToolResult.fail(f"invalid arguments for tool {name!r}: {'; '.join(problems)}")
        try:
            result = await entry.tool.execute(arguments, context)
        except ZeroClawError as exc:
            # An expected refusal (a policy violation, a missing file), told as such.
            result = ToolResult.fail(str(exc))
        except Exception as exc:
            log.warning("tool %r crashed", name, exc_info=True)
            result = ToolResult.fail(f"tool {name!r} crashed: {type(exc).__name__}: {exc}")
        if not isinstance(result, ToolResult):
            return ToolResult.fail(
                f"tool {name!r} returned {type(result).__name__} instead of a ToolResult"
            )
        return self._capped(result)

    def _capped(self, result: ToolResult) -> ToolResult:
        error = result.error
        return ToolResult(
            success=result.success,
            output=truncate_utf8(result.output, self.max_output_bytes),
            error=None if error is None else truncate_utf8(error, self.max_output_bytes),
        )


def _validator_for(spec: ToolSpec) -> Validator:
    schema = spec.parameters
    validator_class = validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        raise ToolRegistrationError(
            f"tool {spec.name!r} has an invalid parameter schema: {exc.message}",
            hint="fix the tool's JSON schema",
        ) from exc
    return validator_class(without_regexes(schema))


# Keywords whose value jsonschema runs as a Python regular expression, in the event loop,
# with no time limit: a backtracking pattern from a tool's owner (an MCP server), fed
# crafted arguments (a prompt injection is enough), would stall every session. The host
# does not check them; the tool checks its own input (plugins may not use them at all).
_REGEX_KEYWORDS = frozenset({"pattern", "patternProperties"})
# Keywords whose value is data (an instance), not a schema: left as they are.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})
# Keywords whose value maps names to schemas: the names are not keywords.
_NAMED_SCHEMAS = frozenset({"properties", "$defs", "definitions", "dependentSchemas"})


def without_regexes(schema: Any) -> Any:
    """`schema` without the keywords that make a validator run regular expressions. Where
    `patternProperties` goes, so do `additionalProperties` and `unevaluatedProperties`
    beside it (which properties they cover depends on those patterns): the check is only
    looser, never stricter."""
    if isinstance(schema, list):
        return [without_regexes(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _REGEX_KEYWORDS and isinstance(value, str | dict):
            continue
        if key in _DATA_KEYWORDS:
            kept[key] = value
        elif key in _NAMED_SCHEMAS and isinstance(value, dict):
            kept[key] = {name: without_regexes(sub) for name, sub in value.items()}
        else:
            kept[key] = without_regexes(value)
    if isinstance(schema.get("patternProperties"), dict):
        kept.pop("additionalProperties", None)
        kept.pop("unevaluatedProperties", None)
    return kept


def _argument_problems(validator: Validator, arguments: object) -> list[str]:
    if not isinstance(arguments, dict):
        return [f"arguments must be a JSON object, not {type(arguments).__name__}"]
    try:
        errors = sorted(validator.iter_errors(arguments), key=_error_order)
    except Unresolvable as exc:
        # A `$ref` the schema cannot resolve (the host fetches no remote schema): the
        # arguments cannot be checked, so the call is not made.
        return [f"the tool's parameter schema has a $ref that cannot be resolved: {exc}"]
    return [_describe(error) for error in errors[:_MAX_REPORTED_PROBLEMS]]


def _error_order(error: ValidationError) -> tuple[str, str]:
    return (_where(error), error.message)


def _where(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path)


def _describe(error: ValidationError) -> str:
    where = _where(error)
    if not where:
        # Problems with the object itself: a missing or an unexpected argument.
        return error.message
    return f"argument {where!r}: {error.message}"
