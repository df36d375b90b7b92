"""The check of a component's real imports against its plugin's grants.

A component that imports a host interface (`zeroclaw:host/kv@1.0.0`) or a WASI interface its
grants do not cover is refused before it is linked, with each problem and the config key or
build flag that would fix it. WASI is linked only for plugins granted `fs.*` or `env:`
capabilities; sockets and WASI HTTP never. Once linked, WASI comes as one piece: a plugin
granted only `env:NAME` may import `wasi:filesystem` too (a Python guest built with WASI
always does), and sees no directory, since what WASI reaches is only what the store's
WasiConfig opens: the granted directories and variables (wasm/instance.py).

This module does not import wasmtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.contract.grants import ALLOW_KEY, Grants, override_key
from zeroclaw.plugins.errors import ImportNotGrantedError

HOST_PACKAGE = "zeroclaw:host"
HOST_PACKAGE_VERSION = (1, 0, 0)

# Which grants let each host interface be linked. Memory links with either grant; the host
# checks the specific one per call (`recall` needs memory.read, `store` memory.write).
# `console` needs none: it only carries the guest's own output and error reports into the
# host's log (see host/console.py), and the build wraps Python and JavaScript plugins in it.
HOST_INTERFACES: dict[str, tuple[CapabilityKind, ...]] = {
    "console": (),
    "log": (CapabilityKind.LOG,),
    "kv": (CapabilityKind.KV,),
    "config": (CapabilityKind.CONFIG,),
    "http": (CapabilityKind.HTTP,),
    "memory": (CapabilityKind.MEMORY_READ, CapabilityKind.MEMORY_WRITE),
}

_NO_WASI_HINT = (
    "build the plugin with `zeroclaw plugins build`, which gives a Python plugin WASI only "
    "when its plugin.toml asks for fs/env (componentize-py `--stub-wasi` otherwise) and "
    "builds JavaScript with componentize-js `-d stdio random clocks http fetch-event`"
)


def check_imports(imports: Iterable[str], grants: Grants) -> None:
    """Refuse a component that imports anything its grants do not cover.

    `imports` are the component's import names (`zeroclaw:host/kv@1.0.0`, `wasi:...`). Every
    problem is listed, each with the key or flag that would fix it.
    """
    problems = [p for name in imports if (p := _import_problem(name, grants)) is not None]
    if problems:
        plugin = grants.plugin or "the plugin"
        raise ImportNotGrantedError(
            f"plugin {plugin!r} cannot be linked:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="a plugin may import only the host interfaces it was granted; "
            "see docs/plugins-runtime.md (capabilities)",
        )


def _import_problem(name: str, grants: Grants) -> str | None:
    package, _, rest = name.partition("/")
    interface, _, version = rest.partition("@")
    if package == HOST_PACKAGE:
        return _host_import_problem(name, interface, version, grants)
    if package.startswith("wasi:"):
        return _wasi_import_problem(name, package, interface, grants)
    return f"imports {name}, which the host does not provide"


def _host_import_problem(name: str, interface: str, version: str, grants: Grants) -> str | None:
    needs = HOST_INTERFACES.get(interface)
    if needs is None:
        known = ", ".join(f"{HOST_PACKAGE}/{i}" for i in HOST_INTERFACES)
        return f"imports {name}, which the host does not have (it has {known})"
    supported = ".".join(map(str, HOST_PACKAGE_VERSION))
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return f"imports {name} without a version; the host has {HOST_PACKAGE}@{supported}"
    major, minor = int(parts[0]), int(parts[1])
    if major != HOST_PACKAGE_VERSION[0] or minor > HOST_PACKAGE_VERSION[1]:
        return (
            f"imports {name}, but the host has {HOST_PACKAGE}@{supported}: rebuild the plugin "
            f"against zeroclaw:host@{supported}"
        )
    if not needs or any(grants.has(kind) for kind in needs):
        return None
    return f"imports {name}, which needs {_needs_text(needs)}: {_grant_fix(needs[0], grants)}"


def _wasi_import_problem(name: str, package: str, interface: str, grants: Grants) -> str | None:
    if package in ("wasi:sockets", "wasi:http"):
        return (
            f"imports {name}: plugins get no sockets or WASI HTTP; call "
            f"{HOST_PACKAGE}/http with an http:HOST capability instead ({_NO_WASI_HINT})"
        )
    if grants.needs_wasi:
        # filesystem, environment, clocks, random, io, stdio: linked along with a
        # filesystem/env grant, and reaching only the granted directories and variables
        return None
    if package == "wasi:filesystem":
        return (
            f'imports {name}, which needs an "fs.read:/DIR" or "fs.write:/DIR" capability: '
            f"{_grant_fix(CapabilityKind.FS_READ, grants)} (or {_NO_WASI_HINT})"
        )
    if package == "wasi:cli" and interface == "environment":
        return (
            f'imports {name}, which needs an "env:NAME" capability: '
            f"{_grant_fix(CapabilityKind.ENV, grants)} (or {_NO_WASI_HINT})"
        )
    return (
        f"imports {name}, but WASI is linked only for plugins granted fs.read, fs.write or "
        f"env capabilities: {_NO_WASI_HINT}"
    )


def _needs_text(kinds: Sequence[CapabilityKind]) -> str:
    shown = [f'"{k.value}:HOST"' if k.takes_argument else f'"{k.value}"' for k in kinds]
    return "the " + " or ".join(shown) + " capability"


def _grant_fix(kind: CapabilityKind, grants: Grants) -> str:
    """What to change so that a capability of `kind` is granted."""
    name = grants.plugin or "NAME"
    shown = f"{kind.value}:..." if kind.takes_argument else kind.value
    refusal = grants.refusal(kind)
    if refusal is None:
        return (
            f'plugin.toml does not ask for it: add "{shown}" to its capabilities, and allow it '
            f"in {ALLOW_KEY} (and in {override_key(name, 'allow')} if that list is set)"
        )
    if refusal.reason == "denied" and refusal.rule is not None:
        return (
            f'"{refusal.capability}" is denied by "{refusal.rule.capability}" in '
            f"{refusal.rule.source}; remove that rule to grant it"
        )
    if refusal.source is not None and refusal.source != ALLOW_KEY:
        return (
            f'add "{refusal.capability}" to {refusal.source} (it narrows {ALLOW_KEY} for this '
            f"plugin), or empty that list"
        )
    return (
        f'add "{refusal.capability}" to {ALLOW_KEY} (a list in '
        f"{override_key(name, 'allow')} can then narrow it for this plugin)"
    )
