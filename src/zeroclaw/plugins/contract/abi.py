"""The ABI a plugin targets: its WIT package and version, and the exports that proves it.

A manifest declares `wit_package = "zeroclaw:hooks@1.0.0"`. The host supports each of
`zeroclaw:hooks`, `zeroclaw:tools` and `zeroclaw:providers` at one version (`SUPPORTED`):
a plugin built for the same major version and an equal or older minor loads; another major,
a newer minor, an unknown package or a malformed string is refused. The host keeps an
export table for every minor it still loads (`zeroclaw:providers` 1.0 and 1.1), so a 1.0
plugin is checked against the 1.0 world and called with 1.0 records. Any patch loads: a
patch release changes no contract, so the host's table for 1.0.x serves `@1.0.9` as well
as `@1.0.0` (`export_table`); only the export names differ, since they carry the version
the component was built for (`zeroclaw:hooks/handler@1.0.9`).

The component's real exports must then match that package's world: the export names and the
type of every function, read from the compiled component without instantiating it. The
expected types live in `wit_exports.json`, generated from `wit/` by rendering a component
built from the WIT alone (`tests/plugins/wat_builder.py --write-abi`); a test keeps the two in
step. Types are compared structurally, as text (`record{id: string, ...}`), because records
have no names once compiled.

wasmtime is imported only by the functions that take components.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from zeroclaw.plugins.errors import AbiError, ExportMismatchError

if TYPE_CHECKING:
    from wasmtime import Engine
    from wasmtime.component import ComponentType, FuncType, ValType


@dataclass(frozen=True, order=True)
class WitPackage:
    """A WIT package with its semantic version, e.g. `zeroclaw:hooks@1.0.0`."""

    namespace: str
    name: str
    major: int
    minor: int
    patch: int

    @property
    def id(self) -> str:
        return f"{self.namespace}:{self.name}"

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return f"{self.id}@{self.version}"


SUPPORTED: dict[str, WitPackage] = {
    "zeroclaw:hooks": WitPackage("zeroclaw", "hooks", 1, 0, 0),
    "zeroclaw:tools": WitPackage("zeroclaw", "tools", 1, 0, 0),
    # 1.1 added the optional request fields of chat-options (top-p, seed, penalties,
    # response-format, tool-choice); plugins built for 1.0 still load (`export_table`).
    "zeroclaw:providers": WitPackage("zeroclaw", "providers", 1, 1, 0),
}

# The interface each world exports (`world hooks { export handler; }`).
WORLD_EXPORT: dict[str, str] = {
    "zeroclaw:hooks": "handler",
    "zeroclaw:tools": "tool",
    "zeroclaw:providers": "provider",
}

ABI_JSON_NAME = "wit_exports.json"

# componentize-py adds this export (with one function, `init`) to every component it builds.
COMPONENTIZE_PY_EXPORT = "exports"

_PACKAGE = re.compile(
    r"(?P<namespace>[a-z][a-z0-9-]*):(?P<name>[a-z][a-z0-9-]*)"
    r"@(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
)


def supported_text() -> str:
    return ", ".join(str(p) for p in SUPPORTED.values())


def parse_wit_package(text: str) -> WitPackage:
    """Parse `namespace:package@MAJOR.MINOR.PATCH`, or raise an `AbiError` saying why not."""
    match = _PACKAGE.fullmatch(text)
    if match is None:
        raise AbiError(
            f'wit_package "{text}" is malformed: expected namespace:package@MAJOR.MINOR.PATCH, '
            f"e.g. zeroclaw:hooks@1.0.0",
            hint=f"this host supports {supported_text()}",
        )
    return WitPackage(
        match["namespace"],
        match["name"],
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
    )


def check_wit_package(text: str) -> WitPackage:
    """The declared package if this host can run it; an `AbiError` naming both sides if not."""
    declared = parse_wit_package(text)
    host = SUPPORTED.get(declared.id)
    if host is None:
        raise AbiError(
            f"wit_package {declared} names the unknown package {declared.id!r}; "
            f"this host supports {supported_text()}",
            hint="a plugin implements zeroclaw:hooks, zeroclaw:tools or zeroclaw:providers",
        )
    if declared.major != host.major:
        raise AbiError(
            f"wit_package {declared} needs major version {declared.major} of {declared.id}, "
            f"but this host supports {host} (major {host.major} only)",
            hint=f"use a plugin release built for {host}, or a ZeroClaw that supports "
            f"{declared.id}@{declared.major}",
        )
    if declared.minor > host.minor:
        raise AbiError(
            f"wit_package {declared} is newer than this host's {host}: minor "
            f"{declared.minor} > {host.minor}",
            hint=f"upgrade ZeroClaw, or rebuild the plugin against {host}",
        )
    return declared


# -- exports ------------------------------------------------------------------------------

# instance name ("" for top-level functions) -> function name -> rendered function type
ExportSignatures = dict[str, dict[str, str]]


@cache
def expected_exports() -> dict[str, ExportSignatures]:
    """What each supported package's world exports, keyed by `zeroclaw:hooks@1.0.0`."""
    text = resources.files("zeroclaw.plugins.contract").joinpath(ABI_JSON_NAME).read_text("utf-8")
    data: dict[str, ExportSignatures] = json.loads(text)
    return data


def export_table(declared: WitPackage) -> ExportSignatures | None:
    """What a component declared as `declared` must export: the host's table of the same
    package, major and minor (whatever its patch), with the exported instances named at
    the declared version. None when the host has no table for that major.minor."""
    for key, table in expected_exports().items():
        host = parse_wit_package(key)
        if (host.id, host.major, host.minor) != (declared.id, declared.major, declared.minor):
            continue
        return {_at_version(name, declared): functions for name, functions in table.items()}
    return None


def _at_version(export: str, package: WitPackage) -> str:
    """`zeroclaw:hooks/handler@1.0.0` -> `zeroclaw:hooks/handler@1.0.9` for package @1.0.9."""
    base, at, _ = export.partition("@")
    if not at or not base.startswith(package.id + "/"):
        return export
    return f"{base}@{package.version}"


def exported_interface(declared: WitPackage) -> str:
    """The instance a supported package's component exports (`zeroclaw:hooks/handler@1.0.9`),
    whose functions the host calls."""
    table = export_table(declared)
    if table is None:
        raise AbiError(f"the host has no export table for {declared}")
    return next(iter(table))


def describe_type(ty: ValType) -> str:
    """A WIT-like text of a value type that two equal types always render the same."""
    from wasmtime import component as c

    if isinstance(ty, c.ListType):
        return f"list<{describe_type(ty.element)}>"
    if isinstance(ty, c.OptionType):
        return f"option<{describe_type(ty.payload)}>"
    if isinstance(ty, c.ResultType):
        ok = describe_type(ty.ok) if ty.ok is not None else "_"
        err = describe_type(ty.err) if ty.err is not None else "_"
        return f"result<{ok}, {err}>"
    if isinstance(ty, c.RecordType):
        fields = ", ".join(f"{name}: {describe_type(t)}" for name, t in ty.fields)
        return f"record{{{fields}}}"
    if isinstance(ty, c.VariantType):
        cases = ", ".join(
            name if t is None else f"{name}({describe_type(t)})" for name, t in ty.cases
        )
        return f"variant{{{cases}}}"
    if isinstance(ty, c.EnumType):
        return f"enum{{{', '.join(ty.names)}}}"
    if isinstance(ty, c.FlagsType):
        return f"flags{{{', '.join(ty.names)}}}"
    if isinstance(ty, c.TupleType):
        return f"tuple<{', '.join(describe_type(t) for t in ty.elements)}>"
    return type(ty).__name__.lower()


def describe_func(ty: FuncType) -> str:
    params = ", ".join(f"{name}: {describe_type(t)}" for name, t in ty.params)
    result = ty.result
    return f"func({params})" + ("" if result is None else f" -> {describe_type(result)}")


def describe_exports(component_type: ComponentType, engine: Engine) -> ExportSignatures:
    """The functions a component exports, grouped by exported instance, with their types.

    Exported types (records, enums) are left out: functions carry their types. The
    componentize-py `exports` instance is left out too.
    """
    from wasmtime.component import ComponentInstanceType, FuncType

    described: ExportSignatures = {}
    for name, extern in component_type.exports(engine).items():
        item = extern.ty
        if isinstance(item, FuncType):
            described.setdefault("", {})[name] = describe_func(item)
        elif isinstance(item, ComponentInstanceType):
            functions = {
                fname: describe_func(f.ty)
                for fname, f in item.exports(engine).items()
                if isinstance(f.ty, FuncType)
            }
            if name == COMPONENTIZE_PY_EXPORT and set(functions) == {"init"}:
                continue
            described[name] = functions
        else:
            described[name] = {}
    return described


def import_names(component_type: ComponentType, engine: Engine) -> list[str]:
    """The names a component imports (`zeroclaw:host/kv@1.0.0`, `wasi:cli/environment@...`)."""
    return list(component_type.imports(engine))


def check_exports(
    component_type: ComponentType, engine: Engine, declared: WitPackage, *, plugin: str = ""
) -> None:
    """Refuse a component whose exports are not exactly the declared package's world."""
    found = describe_exports(component_type, engine)
    problems = export_problems(found, declared)
    if not problems:
        return
    who = f"plugin {plugin!r}" if plugin else "the component"
    shown = ", ".join(
        name or "functions " + ", ".join(sorted(found[name])) for name in sorted(found)
    )
    guess = _looks_built_for(found)
    hint = (
        f'it looks built for {guess}: set wit_package = "{guess}" in plugin.toml'
        if guess is not None and parse_wit_package(guess).id != declared.id
        else f"build the plugin for the world {declared.id}/{declared.name}@{declared.version}"
    )
    raise ExportMismatchError(
        f"{who} declares {declared}, but its exports do not match that world "
        f"(it exports {shown or 'nothing'}):\n" + "\n".join(f"  - {p}" for p in problems),
        hint=hint,
    )


def export_problems(found: ExportSignatures, declared: WitPackage) -> list[str]:
    """Each difference between a component's described exports and the declared world."""
    expected = export_table(declared)
    if expected is None:
        return [f"the host has no export table for {declared}"]
    problems = []
    for instance, functions in expected.items():
        actual = found.get(instance)
        if actual is None:
            problems.append(f"missing export {instance}")
            continue
        for fname, signature in functions.items():
            if fname not in actual:
                problems.append(f"{instance}: missing function {fname}: {signature}")
            elif actual[fname] != signature:
                problems.append(
                    f"{instance}: {fname} has the wrong type\n"
                    f"      expected {signature}\n      found    {actual[fname]}"
                )
        problems += [
            f"{instance}: unexpected function {fname}" for fname in actual if fname not in functions
        ]
    problems += [
        f"unexpected export {name or '(top-level functions)'}"
        for name in found
        if name not in expected
    ]
    return problems


def _looks_built_for(found: ExportSignatures) -> str | None:
    """The supported package whose exports the component has (at any patch version)."""
    unversioned = {name.partition("@")[0] for name in found}
    for package, exports in expected_exports().items():
        if {name.partition("@")[0] for name in exports} <= unversioned:
            return package
    return None
