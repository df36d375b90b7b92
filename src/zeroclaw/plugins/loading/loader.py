"""Loading plugins: from a directory to a `LoadedPlugin` ready to be called.

One plugin, in order (each step's failure is a typed error naming the directory or file,
what was found and what to change):

1. `plugin.toml` -> `PluginManifest` (ManifestError); then its provenance: the digests
   plugins.lock pins for it, if any (LockMismatchError), and its signature under
   `plugins.signature_mode` (SignatureError; a warning under "warn")
2. the declared WIT package against the host's (AbiError)
3. effective limits: config, then plugins.overrides.NAME.limits, then the manifest's
   [limits], which may only tighten (a looser value is clamped and reported)
4. grants: requested ∩ allowed − denied (CapabilityError for a malformed rule)
5. the component, compiled or from the compile cache (CompileError)
6. its real exports against the declared world (ExportMismatchError)
7. its real imports against the grants (ImportNotGrantedError, naming the interface and
   the config key that would grant it)
8. a linker with the granted host interfaces (and zeroclaw:host/console, which needs no
   grant, when the component imports it); WASI only for a plugin granted fs/env
   capabilities, and then always with a WasiConfig of exactly those preopens/variables
9. one instance in a fresh store (deadline set before instantiating) that describes the
   plugin: `handles()` for hooks, `tools()` for tools, `info()` for providers
   (InstantiateError, DescribeError: a tool's description over 16 KiB or its schema over
   64 KiB fails here too); the store is dropped afterwards.

All plugins of the config (`load_plugins`): the subdirectories of `plugins.dirs` holding a
plugin.toml, in name order. A plugin disabled by `plugins.overrides.NAME.enabled = false`
is skipped; one that fails is reported and the others still load. A `required` plugin that
did not load is listed in `required_problems`, and the registry then refuses the whole set
(`RequiredPluginError`). Two directories with the same plugin name: the second one fails.

This module imports wasmtime; import it only when plugins are enabled.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from jsonschema import validators
from jsonschema.exceptions import SchemaError
from wasmtime.component import ComponentInstanceType, FuncType, Linker

from zeroclaw.config.models import PluginLimits, PluginOverride, PluginsConfig
from zeroclaw.hooks.events import Event
from zeroclaw.observability import NoopObserver, Observer
from zeroclaw.plugins.contract.abi import (
    WitPackage,
    check_exports,
    check_wit_package,
    exported_interface,
    import_names,
)
from zeroclaw.plugins.contract.grants import Grants, grants_for_plugin
from zeroclaw.plugins.contract.imports import HOST_PACKAGE, check_imports
from zeroclaw.plugins.contract.lock import PluginLock
from zeroclaw.plugins.contract.manifest import (
    MANIFEST_FILE,
    TOOL_NAME,
    PluginManifest,
    component_file,
    effective_limits,
    load_manifest,
)
from zeroclaw.plugins.contract.provenance import check_provenance
from zeroclaw.plugins.errors import (
    DescribeError,
    DuplicatePluginError,
    InstantiateError,
    ManifestError,
    PluginCallError,
    PluginError,
    RequiredPluginError,
)
from zeroclaw.plugins.host.console import GuestConsole
from zeroclaw.plugins.host.context import (
    HostServices,
    PluginHostContext,
    plugin_settings,
    resolve_credentials,
    resolve_secrets,
)
from zeroclaw.plugins.host.held_output import HeldOutput
from zeroclaw.plugins.host.linker import link_host_interfaces
from zeroclaw.plugins.wasm.calls import CallDeadline, PluginCalls, RuntimeSettings
from zeroclaw.plugins.wasm.conversion import FunctionCodec, codec_for, snake
from zeroclaw.plugins.wasm.engine import PluginEngine
from zeroclaw.plugins.wasm.engine_settings import EngineSettings
from zeroclaw.plugins.wasm.inline import inline_mode
from zeroclaw.plugins.wasm.instance import InstanceFactory, StoreLimits, WasiSettings
from zeroclaw.plugins.wasm.traps import CallLimits, classify
from zeroclaw.tools.base import MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_SCHEMA_BYTES

_LOG = logging.getLogger("zeroclaw.plugins")

PluginState = Literal["loaded", "failed", "disabled", "quarantined"]


@dataclass(frozen=True, slots=True)
class PluginToolSpec:
    """A tool a tools plugin offers (its `tools()` at load)."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PluginProviderInfo:
    """What a provider plugin said about itself (its `info()` at load)."""

    display_name: str
    default_model: str
    models: tuple[str, ...]
    supports_tools: bool


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin that passed every load step. `calls` is where calls into it go."""

    name: str
    version: str
    package: WitPackage
    directory: Path
    manifest: PluginManifest
    limits: PluginLimits
    grants: Grants
    required: bool
    from_cache: bool
    imports: tuple[str, ...]
    interface: str
    calls: PluginCalls
    # hooks: the events it handles and is allowed to receive, and those withheld (why)
    events: frozenset[Event] = frozenset()
    withheld_events: Mapping[Event, str] = field(default_factory=dict)
    tools: tuple[PluginToolSpec, ...] = ()
    provider: PluginProviderInfo | None = None
    warnings: tuple[str, ...] = ()
    load_ms: float = 0.0
    signer: str | None = None
    component_sha256: str = ""

    @property
    def state(self) -> PluginState:
        return "quarantined" if self.calls.breaker_status().quarantined else "loaded"


@dataclass(frozen=True)
class PluginStatus:
    """One plugin directory and what became of it."""

    name: str
    directory: Path
    state: Literal["loaded", "failed", "disabled"]
    version: str | None = None
    package: str | None = None
    required: bool = False
    plugin: LoadedPlugin | None = None
    error: PluginError | None = None

    @property
    def current_state(self) -> PluginState:
        return self.plugin.state if self.plugin is not None else self.state


@dataclass(frozen=True)
class LoadReport:
    """What `load_plugins` found: every plugin directory's status, and notes about dirs."""

    statuses: tuple[PluginStatus, ...]
    warnings: tuple[str, ...] = ()
    required_problems: tuple[str, ...] = ()

    @property
    def plugins(self) -> tuple[LoadedPlugin, ...]:
        return tuple(s.plugin for s in self.statuses if s.plugin is not None)

    @property
    def failures(self) -> tuple[PluginStatus, ...]:
        return tuple(s for s in self.statuses if s.state == "failed")


# -- one plugin ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadContext:
    """What loading needs besides the plugin itself."""

    config: PluginsConfig
    engine: PluginEngine
    services: HostServices
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    observer: Observer = field(default_factory=NoopObserver)
    # plugins.lock as read for this load (None: pins are not checked, as for a staged install)
    lock: PluginLock | None = None
    # False when the caller shows `LoadedPlugin.warnings` itself (plugins validate, test):
    # logged as well, each would be said twice
    log_warnings: bool = True


def load_plugin(directory: Path, context: LoadContext) -> LoadedPlugin:
    """Every load step for the plugin in `directory` (see the module docstring)."""
    started = time.perf_counter()
    manifest = load_manifest(directory)
    provenance = check_provenance(directory, manifest, context.config, context.lock)
    source = directory / MANIFEST_FILE
    with _located(source):
        package = check_wit_package(manifest.wit_package)
        resolved = effective_limits(context.config, manifest)
        grants = grants_for_plugin(manifest.name, manifest.requested_capabilities, context.config)
    path = component_file(directory, manifest)
    engine = context.engine
    loaded = engine.load_component(path)
    component_type = loaded.component.type
    with _located(path):
        check_exports(component_type, engine.engine, package, plugin=manifest.name)
        imports = tuple(import_names(component_type, engine.engine))
        check_imports(imports, grants)
    interface = exported_interface(package)
    override = context.config.overrides.get(manifest.name) or PluginOverride()
    deadline = CallDeadline()
    console = GuestConsole(manifest.name, context.services.log_limiter(manifest.name))
    # Only a guest given host interfaces writes lines an inline-first attempt holds.
    held = HeldOutput(manifest.name) if _imports_host(imports) else None
    limits = resolved.limits
    factory = InstanceFactory(
        engine,
        loaded.component,
        _linker(manifest, grants, imports, override, deadline, console, held, context),
        StoreLimits(limits.timeout_ms, limits.memory_mb, limits.fuel),
        _wasi(grants, imports),
    )
    codecs = _codecs(component_type, engine, interface)
    calls = PluginCalls(
        manifest.name,
        factory,
        codecs,
        interface=interface,
        max_concurrency=limits.max_concurrency,
        settings=context.settings,
        deadline=deadline,
        observer=context.observer,
        # Only a guest given host interfaces can reach its console (see `_linker`).
        reports=console if _imports_host(imports) else None,
        held=held,
        inline=inline_mode(
            limits.timeout_ms,
            imports,
            context.config.inline_call_ms,
            inline_first=context.config.inline_first,
        ),
        inline_slice_ms=context.config.inline_call_ms,
    )
    plugin = LoadedPlugin(
        name=manifest.name,
        version=manifest.version,
        package=package,
        directory=directory,
        manifest=manifest,
        limits=limits,
        grants=grants,
        required=override.required,
        from_cache=loaded.hit,
        imports=imports,
        interface=interface,
        calls=calls,
        warnings=(*provenance.warnings, *resolved.warnings),
        signer=provenance.signer,
        component_sha256=provenance.digests.component_sha256,
    )
    with _located(path):
        plugin = _describe(plugin, factory, codecs)
    if context.log_warnings:
        for warning in plugin.warnings:
            _LOG.warning("%s", warning)
    return replace(plugin, load_ms=(time.perf_counter() - started) * 1000)


class _located:
    """Prefix the message of a PluginError raised inside with the file it is about."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> None:
        if isinstance(error, PluginError) and not isinstance(error, PluginCallError):
            where = str(self.source)
            if where not in error.message:
                raise type(error)(f"{where}: {error.message}", hint=error.hint) from None


def _linker(
    manifest: PluginManifest,
    grants: Grants,
    imports: Sequence[str],
    override: PluginOverride,
    deadline: Callable[[], float],
    console: GuestConsole,
    held: HeldOutput | None,
    context: LoadContext,
) -> Linker:
    linker = Linker(context.engine.engine)
    if _imports_host(imports):
        host = PluginHostContext(
            plugin=manifest.name,
            grants=grants,
            settings=plugin_settings(manifest.config, override.config),
            secrets=resolve_secrets(
                manifest.name, manifest.secrets, grants, override.secrets, context.services.env
            ),
            deadline=deadline,
            credentials=resolve_credentials(
                manifest.name, override.http_credentials, context.services.env
            ),
            console=console,
            held=held,
        )
        link_host_interfaces(linker, imports, host, context.services)
    if _wasi(grants, imports) is not None:
        # check_imports let WASI through only because fs/env is granted; every store of
        # this plugin gets a WasiConfig (InstanceFactory), or wasmtime would abort.
        linker.add_wasip2()
    return linker


def _imports_host(imports: Iterable[str]) -> bool:
    return any(name.startswith(HOST_PACKAGE + "/") for name in imports)


def _wasi(grants: Grants, imports: Iterable[str]) -> WasiSettings | None:
    if not grants.needs_wasi or not any(name.startswith("wasi:") for name in imports):
        return None
    return WasiSettings.granted(grants.fs_read_dirs, grants.fs_write_dirs, grants.env_names)


def _codecs(component_type: Any, engine: PluginEngine, interface: str) -> dict[str, FunctionCodec]:
    exported = component_type.exports(engine.engine)[interface].ty
    assert isinstance(exported, ComponentInstanceType)
    codecs = {}
    for name, extern in exported.exports(engine.engine).items():
        func_type = extern.ty
        if isinstance(func_type, FuncType):
            codecs[name] = codec_for(func_type)
    return codecs


# -- self-description ---------------------------------------------------------------------------


def _describe(
    plugin: LoadedPlugin, factory: InstanceFactory, codecs: Mapping[str, FunctionCodec]
) -> LoadedPlugin:
    """Ask a fresh instance what the plugin provides; the instance is dropped after."""
    limits = CallLimits(plugin.limits.timeout_ms, plugin.limits.memory_mb, plugin.limits.fuel)
    try:
        warm = factory.instantiate()
    except Exception as exc:
        error = classify(exc, plugin=plugin.name, function="(instantiate)", limits=limits)
        raise InstantiateError(
            f"plugin {plugin.name!r} could not be instantiated: {error.cause}", hint=error.hint
        ) from None

    reports = plugin.calls.reports

    def call(function: str) -> Any:
        if reports is not None:
            reports.begin()
        try:
            # Armed as every call is: the plugin's limit, from when the guest starts.
            codec = codecs[function]
            return warm.call(codec, plugin.interface, function, (), factory.deadline_ticks)
        except Exception as exc:
            error = classify(
                exc,
                plugin=plugin.name,
                function=function,
                limits=limits,
                guest=reports.error() if reports is not None else None,
                bad_result=reports.bad_result() if reports is not None else None,
            )
            raise DescribeError(
                f"plugin {plugin.name!r} failed to describe itself: {error.message}",
                hint=error.hint,
            ) from None

    kind = plugin.package.id
    if kind == "zeroclaw:hooks":
        return _with_events(plugin, call("handles"))
    if kind == "zeroclaw:tools":
        return _with_tools(plugin, _tool_specs(plugin.name, call("tools")))
    return replace(plugin, provider=_provider_info(plugin.name, call("info")))


def _with_events(plugin: LoadedPlugin, handled: list[str]) -> LoadedPlugin:
    events: set[Event] = set()
    withheld: dict[Event, str] = {}
    for name in handled:
        event = Event(snake(name))
        if event.carries_content and not plugin.grants.sees_conversation:
            withheld[event] = (
                f"it carries conversation content and {plugin.name!r} is not granted "
                f'"hooks.conversation" (add it to the plugin\'s capabilities and to '
                "plugins.capabilities.allow)"
            )
        else:
            events.add(event)
    warnings = list(plugin.warnings)
    warnings += [
        f"plugin {plugin.name!r} handles {event.value}, but will not receive it: {why}"
        for event, why in sorted(withheld.items())
    ]
    return replace(
        plugin, events=frozenset(events), withheld_events=withheld, warnings=tuple(warnings)
    )


# A tool spec over the caps of tools.base fails the plugin's load.


def _tool_specs(plugin: str, specs: list[dict[str, Any]]) -> tuple[PluginToolSpec, ...]:
    found: dict[str, PluginToolSpec] = {}
    for spec in specs:
        name = spec["name"]
        if not TOOL_NAME.fullmatch(name):
            raise DescribeError(
                f"plugin {plugin!r} offers a tool named {name!r}: a tool name is 1 to 64 "
                "letters, digits, _ or -",
                hint="rename the tool in the plugin's tools()",
            )
        if name in found:
            raise DescribeError(f"plugin {plugin!r} offers the tool {name!r} twice")
        _check_spec_size(
            plugin, name, "description", spec["description"], MAX_TOOL_DESCRIPTION_BYTES
        )
        _check_spec_size(
            plugin, name, "parameters-schema", spec["parameters_schema"], MAX_TOOL_SCHEMA_BYTES
        )
        try:
            schema = json.loads(spec["parameters_schema"])
        except json.JSONDecodeError as exc:
            schema = exc
        if not isinstance(schema, dict):
            raise DescribeError(
                f"plugin {plugin!r}: the parameters-schema of tool {name!r} is not a JSON "
                f"object ({schema})",
                hint='write a JSON Schema object, e.g. {"type": "object", "properties": {}}',
            )
        check_tool_schema(plugin, name, schema)
        found[name] = PluginToolSpec(name, spec["description"], schema)
    return tuple(found.values())


def _check_spec_size(plugin: str, tool: str, field: str, text: str, cap: int) -> None:
    size = len(text.encode("utf-8"))
    if size > cap:
        raise DescribeError(
            f"plugin {plugin!r}: the {field} of tool {tool!r} is {size:,} bytes, over the cap "
            f"of {cap:,} bytes",
            hint=f"shorten the {field} the plugin's tools() returns: it goes to the model "
            "with every request",
        )


# Keywords whose value the validator runs as a Python regular expression on the host, in
# the event loop: a backtracking pattern from an untrusted plugin, fed crafted arguments
# (a prompt injection is enough), would hang every session. Plugins check formats in their
# own code instead, inside their sandbox and time limit.
REGEX_KEYWORDS = frozenset({"pattern", "patternProperties"})


def check_tool_schema(plugin: str, tool: str, schema: dict[str, Any]) -> None:
    """The schema the host validates every call's arguments against must itself be valid
    (checked here, so a bad one fails the load instead of every turn), and must not make
    the host run the plugin's regular expressions."""
    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise DescribeError(
            f"plugin {plugin!r}: the parameters-schema of tool {tool!r} is not a valid JSON "
            f"Schema: {exc.message}",
            hint="fix the schema the plugin's tools() returns",
        ) from None
    found = sorted(_regex_keywords(schema))
    if found:
        raise DescribeError(
            f"plugin {plugin!r}: the parameters-schema of tool {tool!r} uses "
            f"{', '.join(found)}, which would make the host run the plugin's regular "
            "expressions",
            hint="check string formats inside the plugin's own code and drop pattern / "
            "patternProperties from the schema",
        )


def _regex_keywords(schema: object) -> set[str]:
    """REGEX_KEYWORDS used anywhere in `schema` as keywords (not as property names)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in REGEX_KEYWORDS:
                found.add(key)
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for sub in value.values():
                    found |= _regex_keywords(sub)
            elif key not in ("enum", "const", "default", "examples"):
                found |= _regex_keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _regex_keywords(item)
    return found


def _with_tools(plugin: LoadedPlugin, tools: tuple[PluginToolSpec, ...]) -> LoadedPlugin:
    offered = {tool.name for tool in tools}
    unknown = sorted(plugin.manifest.read_only_tools - offered)
    warnings = list(plugin.warnings)
    if unknown:
        warnings.append(
            f"plugin {plugin.name!r}: [tools] read_only in plugin.toml names "
            f"{', '.join(map(repr, unknown))}, which its tools() does not offer "
            f"(it offers {', '.join(map(repr, sorted(offered))) or 'none'})"
        )
    return replace(plugin, tools=tools, warnings=tuple(warnings))


def _provider_info(plugin: str, info: dict[str, Any]) -> PluginProviderInfo:
    if not info["default_model"].strip():
        raise DescribeError(
            f"plugin {plugin!r}: info() returned an empty default-model",
            hint="name the model used when the user asks for none",
        )
    return PluginProviderInfo(
        display_name=info["display_name"],
        default_model=info["default_model"],
        models=tuple(info["models"]),
        supports_tools=info["supports_tools"],
    )


# -- validation: every reason at once ------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """What `validate_plugin` found: every problem it could find, or the loaded plugin."""

    directory: Path
    problems: tuple[PluginError, ...]
    manifest: PluginManifest | None = None
    plugin: LoadedPlugin | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.plugin is not None


def validate_plugin(directory: Path, context: LoadContext) -> Validation:
    """The load steps of one plugin, going on past a failure where later steps do not
    depend on it (a bad ABI and an ungranted import are both reported), then a full load
    (instantiate and self-describe) when nothing failed. Close `plugin.calls` after."""
    try:
        manifest = load_manifest(directory)
    except ManifestError as error:
        return Validation(directory, (error,))
    problems: list[PluginError] = []
    package = grants = None
    with _collected(problems), _located(directory / MANIFEST_FILE):
        package = check_wit_package(manifest.wit_package)
    with _collected(problems), _located(directory / MANIFEST_FILE):
        grants = grants_for_plugin(manifest.name, manifest.requested_capabilities, context.config)
    path = component_file(directory, manifest)
    try:
        loaded = context.engine.load_component(path)
    except PluginError as error:
        return Validation(directory, (*problems, error), manifest)
    component_type = loaded.component.type
    engine = context.engine.engine
    if package is not None:
        with _collected(problems), _located(path):
            check_exports(component_type, engine, package, plugin=manifest.name)
    if grants is not None:
        with _collected(problems), _located(path):
            check_imports(import_names(component_type, engine), grants)
    if problems:
        return Validation(directory, tuple(problems), manifest)
    try:
        plugin = load_plugin(directory, context)
    except PluginError as error:
        return Validation(directory, (error,), manifest)
    return Validation(directory, (), manifest, plugin)


class _collected:
    """Append a PluginError raised inside to `problems` instead of raising it."""

    def __init__(self, problems: list[PluginError]) -> None:
        self.problems = problems

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> bool:
        if isinstance(error, PluginError):
            self.problems.append(error)
            return True
        return False


# -- every plugin of the config ---------------------------------------------------------------


def plugin_directories(dirs: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The plugin directories under `dirs` (each subdirectory with a plugin.toml, or a dir
    that is itself a plugin), and a note for each dir that does not exist. Hidden
    subdirectories (a name starting with ".") are never plugins."""
    found: list[Path] = []
    notes: list[str] = []
    for root in dirs:
        if (root / MANIFEST_FILE).is_file():
            found.append(root)
        elif root.is_dir():
            found += sorted(
                p
                for p in root.iterdir()
                if not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
            )
        else:
            notes.append(f"plugin dir {root} (plugins.dirs) does not exist")
    return found, notes


def configured_directories(config: PluginsConfig) -> tuple[list[Path], list[str]]:
    """The plugin directories of `plugins.dirs` and of the install dir (not noted when
    missing: it is created by the first `plugins install`)."""
    found, notes = plugin_directories(config.dirs)
    install_dir = config.install_dir
    if install_dir is not None and install_dir not in config.dirs and install_dir.is_dir():
        found += plugin_directories([install_dir])[0]
    return found, notes


def engine_settings(config: PluginsConfig, dirs: Iterable[Path]) -> EngineSettings:
    """Fuel metering only if some plugin's effective limits set fuel (it slows guests)."""
    fuels: list[int | None] = [config.limits.fuel]
    fuels += [o.limits.fuel for o in config.overrides.values()]
    for directory in dirs:
        try:
            fuels.append(load_manifest(directory).limits.fuel)
        except PluginError:
            continue
    return EngineSettings.for_fuel(fuels)


def load_plugins(context: LoadContext, directories: Sequence[Path] | None = None) -> LoadReport:
    """Every plugin of `context.config` (or of `directories`); see the module docstring."""
    config = context.config
    warnings: list[str] = []
    if directories is None:
        directories, warnings = configured_directories(config)
    statuses: list[PluginStatus] = []
    seen: dict[str, Path] = {}
    for directory in directories:
        statuses.append(_load_one(directory, context, seen))
    return LoadReport(tuple(statuses), tuple(warnings), tuple(required_problems(config, statuses)))


def _load_one(directory: Path, context: LoadContext, seen: dict[str, Path]) -> PluginStatus:
    try:
        manifest = load_manifest(directory)
    except ManifestError as error:
        _LOG.error("plugin in %s failed to load: %s", directory, error)
        return PluginStatus(directory.name, directory, "failed", error=error)
    name = manifest.name
    override = context.config.overrides.get(name) or PluginOverride()

    def status(
        state: Literal["loaded", "failed", "disabled"],
        plugin: LoadedPlugin | None = None,
        error: PluginError | None = None,
    ) -> PluginStatus:
        return PluginStatus(
            name,
            directory,
            state,
            manifest.version,
            manifest.wit_package,
            override.required,
            plugin,
            error,
        )

    if not override.enabled:
        return status("disabled")
    if name in seen:
        return status(
            "failed",
            error=DuplicatePluginError(
                f"{directory / MANIFEST_FILE}: plugin name {name!r} is already used by "
                f"{seen[name]}",
                hint="rename one of the plugins (`name` in plugin.toml), or remove one directory",
            ),
        )
    seen[name] = directory
    try:
        plugin = load_plugin(directory, context)
    except PluginError as error:
        _LOG.error("plugin %r failed to load: %s", name, error)
        return status("failed", error=error)
    except Exception as exc:  # a host bug must not take the other plugins down
        _LOG.exception("plugin %r: unexpected error while loading", name)
        return status(
            "failed",
            error=PluginError(
                f"{directory}: unexpected error while loading plugin {name!r}: "
                f"{type(exc).__name__}: {exc}",
                hint="a bug on the host's side, not in the plugin: please report it with the log",
            ),
        )
    return status("loaded", plugin=plugin)


def required_problems(config: PluginsConfig, statuses: Sequence[PluginStatus]) -> list[str]:
    """Why each plugin marked `required` did not load (empty: all of them loaded)."""
    by_name = {status.name: status for status in statuses}
    problems = []
    for name, override in sorted(config.overrides.items()):
        if not override.required:
            continue
        status = by_name.get(name)
        if status is None:
            problems.append(f"{name}: not found in any of plugins.dirs")
        elif status.state == "disabled":
            problems.append(f"{name}: required but disabled (plugins.overrides.{name}.enabled)")
        elif status.state == "failed":
            problems.append(f"{name}: {status.error}")
    return problems


def required_error(problems: Sequence[str]) -> RequiredPluginError:
    return RequiredPluginError(
        "required plugin(s) did not load, so ZeroClaw will not serve:\n"
        + "\n".join(f"  - {problem}" for problem in problems),
        hint="fix the plugin, or set plugins.overrides.NAME.required = false to run without it",
    )
