"""plugin.toml: what a plugin is, what it targets, what it asks for.

```toml
name = "redact-secrets"            # slug: a-z, 0-9 and -, at most 63 characters
version = "0.3.1"                  # semver
wit_package = "zeroclaw:hooks@1.0.0"
component = "plugin.wasm"          # relative to this directory, and inside it
description = "..."
priority = 50                      # hooks only; higher runs first (default 0)
capabilities = ["log", "kv", "http:api.example.com"]
secrets = ["API_TOKEN"]            # names; each is a request for secret:NAME
[limits]                           # optional; may only tighten the config's limits
timeout_ms = 200
memory_mb = 64
[config]                           # the plugin's own settings (zeroclaw:host/config)
greeting = "hello"
[tools]                            # tool plugins only
read_only = ["word_count"]         # tools that change nothing; any other tool is mutating
```

Unknown keys are errors, like in the config file. A plugin folder is untrusted input, so
plugin.toml is read with the limits of `zeroclaw.config.bounded_toml`: a regular file of at
most `MAX_MANIFEST_BYTES` (checked before reading), nesting at most 32 levels; every way
reading or parsing it can fail is a `ManifestError` naming the file.

Limits resolve in three steps: the config's `plugins.limits`, then
`plugins.overrides.NAME.limits`, then the manifest's `[limits]`. The manifest may only
tighten: a looser value is clamped to the config's value and reported as a warning (the
plugin still loads, with the host's limit), because a plugin's author cannot know every
host's limits and a refusal would make the plugin unusable on a stricter host for no
safety gain.

This module does not import wasmtime.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from zeroclaw.config.bounded_toml import TomlLimitError, loads_bounded, read_capped_text
from zeroclaw.config.loader import describe_validation_error, dotted_key
from zeroclaw.config.models import PluginLimits, PluginsConfig
from zeroclaw.plugins.contract.abi import WitPackage, parse_wit_package
from zeroclaw.plugins.contract.capabilities import Capability, CapabilityKind, parse_capability
from zeroclaw.plugins.errors import AbiError, CapabilityError, ManifestError

MANIFEST_FILE = "plugin.toml"
# A real manifest is well under 2 KiB; its [config] table holds settings, not data.
MAX_MANIFEST_BYTES = 64 * 1024
MANIFEST_HINT = (
    "see docs/plugins-runtime.md (plugin.toml); `zeroclaw plugins new NAME` writes an example"
)

PLUGIN_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _slug(value: str) -> str:
    if not PLUGIN_NAME.fullmatch(value):
        raise ValueError(
            "must be a slug: lower-case letters, digits and -, starting with a letter or digit, "
            "at most 63 characters"
        )
    return value


def _semver(value: str) -> str:
    if not _SEMVER.fullmatch(value):
        raise ValueError("must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0 or 0.3.1-beta.2")
    return value


def _wit_package(value: str) -> str:
    try:
        parse_wit_package(value)
    except AbiError:
        raise ValueError(
            "must be namespace:package@MAJOR.MINOR.PATCH, e.g. zeroclaw:hooks@1.0.0"
        ) from None
    return value


def _component_path(value: str) -> str:
    path = PurePosixPath(value.replace("\\", "/"))
    if not value or path.is_absolute() or ".." in path.parts or re.match(r"[A-Za-z]:", value):
        raise ValueError(
            "must be a path relative to the plugin directory that stays inside it "
            '(no "..", not absolute), e.g. "plugin.wasm"'
        )
    return value


def _capability(value: str) -> str:
    try:
        parse_capability(value)
    except CapabilityError as exc:
        raise ValueError(exc.message) from None
    return value


def _secret_name(value: str) -> str:
    if not _SECRET_NAME.fullmatch(value):
        raise ValueError("must be a name of letters, digits and _ (not starting with a digit)")
    return value


class ManifestLimits(BaseModel):
    """`[limits]`: the same keys as the config's `plugins.limits`, each optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_ms: int | None = Field(None, ge=1, le=600_000)
    memory_mb: int | None = Field(None, ge=1, le=4096)
    max_concurrency: int | None = Field(None, ge=1, le=256)
    fuel: int | None = Field(None, ge=1)


# What a tool may be called (the WIT's tool-spec.name).
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _tool_name(value: str) -> str:
    if not TOOL_NAME.fullmatch(value):
        raise ValueError("must be a tool name: 1 to 64 letters, digits, _ or -")
    return value


class ManifestTools(BaseModel):
    """`[tools]` (tool plugins only): what the host should know about the plugin's tools.

    `read_only`: the tools that change nothing (no files, no remote state, no memory). The
    security policy lets such a tool run in `read_only` autonomy and without approval in
    `supervised` autonomy; every tool not listed is treated as mutating.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    read_only: list[Annotated[str, AfterValidator(_tool_name)]] = Field(default_factory=list)


class PluginManifest(BaseModel):
    """A validated plugin.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, AfterValidator(_slug)]
    version: Annotated[str, AfterValidator(_semver)]
    wit_package: Annotated[str, AfterValidator(_wit_package)]
    component: Annotated[str, AfterValidator(_component_path)]
    description: str = ""
    priority: int | None = None
    capabilities: list[Annotated[str, AfterValidator(_capability)]] = Field(default_factory=list)
    secrets: list[Annotated[str, AfterValidator(_secret_name)]] = Field(default_factory=list)
    limits: ManifestLimits = Field(default_factory=ManifestLimits)
    config: dict[str, Any] = Field(default_factory=dict)
    tools: ManifestTools | None = None

    @field_validator("priority")
    @classmethod
    def _priority_for_hooks_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        package = info.data.get("wit_package", "")
        if value is not None and package and not package.startswith("zeroclaw:hooks@"):
            raise ValueError(f"applies to hook plugins (zeroclaw:hooks) only, not {package}")
        return value

    @field_validator("tools")
    @classmethod
    def _tools_for_tool_plugins(
        cls, value: ManifestTools | None, info: ValidationInfo
    ) -> ManifestTools | None:
        package = info.data.get("wit_package", "")
        if value is not None and package and not package.startswith("zeroclaw:tools@"):
            raise ValueError(f"applies to tool plugins (zeroclaw:tools) only, not {package}")
        return value

    @property
    def package(self) -> WitPackage:
        return parse_wit_package(self.wit_package)

    @property
    def hook_priority(self) -> int:
        return self.priority or 0

    @property
    def read_only_tools(self) -> frozenset[str]:
        """The tools `[tools] read_only` declares read-only (every other one is mutating)."""
        return frozenset(self.tools.read_only) if self.tools is not None else frozenset()

    @property
    def requested_capabilities(self) -> list[Capability]:
        """`capabilities` plus `secret:NAME` for each name in `secrets`, without repeats."""
        requested = [parse_capability(c) for c in self.capabilities]
        requested += [Capability(CapabilityKind.SECRET, name) for name in self.secrets]
        return list(dict.fromkeys(requested))


def load_manifest(directory: Path) -> PluginManifest:
    """Read and validate `directory/plugin.toml`; the component file must exist inside it."""
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        what = "is a file, not a directory" if directory.exists() else "does not exist"
        raise ManifestError(
            f"{directory} {what}",
            hint="give the plugin's directory, the one holding plugin.toml",
        )
    text = read_manifest_text(
        path,
        missing_hint="a plugin directory holds plugin.toml and its component; " + MANIFEST_HINT,
    )
    manifest = parse_manifest(text, source=path)
    component_file(directory, manifest)
    return manifest


def read_manifest_text(path: Path, *, missing_hint: str) -> str:
    """The text of the plugin.toml at `path`; any failure is a ManifestError naming it."""
    try:
        return read_capped_text(path, MAX_MANIFEST_BYTES, regular_only=True)
    except FileNotFoundError:
        raise ManifestError(f"{path.parent} has no {MANIFEST_FILE}", hint=missing_hint) from None
    except TomlLimitError as exc:
        raise ManifestError(f"{path} {exc.problem}", hint=exc.hint) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint="save plugin.toml as UTF-8",
        ) from None
    except OSError as exc:
        raise ManifestError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions"
        ) from None


def parse_manifest(text: str, *, source: Path) -> PluginManifest:
    try:
        data = loads_bounded(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(
            f"{source} is not valid TOML: {exc}", hint="fix the syntax at the line shown"
        ) from None
    except TomlLimitError as exc:
        raise ManifestError(f"{source} {exc.problem}", hint=exc.hint) from None
    try:
        return PluginManifest.model_validate(data)
    except ValidationError as exc:
        lines = _describe(exc)
        raise ManifestError(
            f"{source} has {len(lines)} invalid setting(s):\n"
            + "\n".join(f"  - {line}" for line in lines),
            hint=MANIFEST_HINT,
        ) from None


def component_file(directory: Path, manifest: PluginManifest) -> Path:
    """The component's path, which must be an existing file inside `directory`.

    Symlinks are resolved first, so a link pointing outside the directory is refused too.
    """
    root = directory.resolve()
    path = (root / manifest.component).resolve()
    source = directory / MANIFEST_FILE
    if not path.is_relative_to(root):
        raise ManifestError(
            f"{source}: `component`: {manifest.component!r} resolves to {path}, outside the "
            f"plugin directory {root}",
            hint="put the component file inside the plugin directory (no symlink out of it)",
        )
    if not path.is_file():
        raise ManifestError(
            f"{source}: `component`: {manifest.component!r} does not exist in {root}",
            hint="build the component first, or fix the file name in plugin.toml",
        )
    return path


def _describe(exc: ValidationError) -> list[str]:
    """One line per problem with its dotted key. The config's wording is reused, except for
    our own validators' messages (kept as written) and unknown keys (valid manifest keys)."""
    lines = describe_validation_error(exc)
    for index, error in enumerate(exc.errors()):
        key = dotted_key(error["loc"]) or "(file)"
        if error["type"] in ("value_error", "assertion_error"):
            message = str(error["msg"]).removeprefix("Value error, ")
            given = error["input"]
            shown = "" if isinstance(given, dict) else f", got {json.dumps(given, default=str)}"
            lines[index] = f"`{key}`: {message}{shown}"
        elif error["type"] == "extra_forbidden":
            lines[index] = f"`{key}`: unknown key{_valid_keys(error['loc'])}"
    return lines


def _valid_keys(loc: tuple[str | int, ...]) -> str:
    tables: dict[tuple[str | int, ...], type[BaseModel]] = {
        (): PluginManifest,
        ("limits",): ManifestLimits,
        ("tools",): ManifestTools,
    }
    model = tables.get(loc[:-1])
    if model is None:
        return ""
    valid = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    guess = f" (did you mean `{close[0]}`?)" if close else ""
    return f"{guess}; valid keys here: {', '.join(valid)}"


# -- limits ---------------------------------------------------------------------------------


# The host-wide ceiling on the text a plugin hands back: a provider's answer, a hook's
# changed field (adapters/); host-only, so no override or manifest can loosen it.
ANSWER_CAP_KEY = "plugins.limits.max_answer_bytes"


@dataclass(frozen=True)
class ResolvedLimits:
    """The limits a plugin runs with, and why any manifest value was not used."""

    limits: PluginLimits
    warnings: tuple[str, ...] = ()


def effective_limits(config: PluginsConfig, manifest: PluginManifest) -> ResolvedLimits:
    """Config `plugins.limits`, then `plugins.overrides.NAME.limits`, then the manifest's
    `[limits]`, which may only tighten (a looser value is clamped and reported)."""
    values = config.limits.model_dump()
    sources = {key: f"plugins.limits.{key}" for key in values}
    if manifest.package.name == "providers":
        # A provider call waits for a model: its own, longer ceiling.
        values["timeout_ms"] = values["provider_timeout_ms"]
        sources["timeout_ms"] = "plugins.limits.provider_timeout_ms"
    warnings = []
    override = config.overrides.get(manifest.name)
    if override is not None:
        for key, value in override.limits.model_dump(exclude_none=True).items():
            if values[key] is not None and value > values[key]:
                setting = f"plugins.overrides.{manifest.name}.limits.{key} = {value}"
                warnings.append(_looser(setting, sources[key], values[key]))
                continue
            values[key] = value
            sources[key] = f"plugins.overrides.{manifest.name}.limits.{key}"
    for key, wanted in manifest.limits.model_dump(exclude_none=True).items():
        current = values[key]
        if current is None or wanted <= current:
            values[key] = wanted
        else:
            warnings.append(
                f"plugin {manifest.name!r}: "
                + _looser(f"[limits] {key} = {wanted} in plugin.toml", sources[key], current)
            )
    return ResolvedLimits(PluginLimits(**values), tuple(warnings))


def _looser(setting: str, source: str, current: int) -> str:
    return (
        f"{setting} is looser than the host's {source} = {current}; using {current} "
        "(a plugin's limits may only tighten the host's)"
    )
