"""The WebAssembly plugin runtime, one subpackage per concern:

- `contract/`: what a plugin is checked against (manifest, ABI, capabilities, grants, the
  check of its imports, permission diffs);
- `wasm/`: how its component runs (engine, compile cache, instances, calls with deadlines,
  slots and breaker, conversion at the WIT boundary, traps);
- `host/`: the host interfaces a guest may import (log, kv, config, http, memory);
- `loading/`: from a plugin directory to a `LoadedPlugin`;
- `adapters/`: loaded plugins as hook handlers, tools and providers;
- `lifecycle/`: snapshots, the registry, hot reload, retirement, the watcher;
- `authoring/`: building and scaffolding plugins.

Importing this package, `contract/` or `host/` never imports wasmtime: with
`plugins.enabled = false` the host must not even load it. `wasm/` and everything built on it
(`loading/`, `adapters/`, `lifecycle/registry`) import wasmtime; import those only when
plugins are enabled. The entry point is `zeroclaw.plugins.lifecycle.registry.PluginRegistry`;
see docs/plugins-runtime.md.
"""

from zeroclaw.plugins.contract.abi import (
    SUPPORTED,
    WitPackage,
    check_exports,
    check_wit_package,
    parse_wit_package,
)
from zeroclaw.plugins.contract.addresses import is_internal_address, is_internal_host
from zeroclaw.plugins.contract.capabilities import Capability, CapabilityKind, parse_capability
from zeroclaw.plugins.contract.grants import Grants, grant_capabilities, grants_for_plugin
from zeroclaw.plugins.contract.imports import check_imports
from zeroclaw.plugins.contract.manifest import (
    PluginManifest,
    ResolvedLimits,
    effective_limits,
    load_manifest,
)
from zeroclaw.plugins.errors import (
    AbiError,
    CapabilityError,
    CompileError,
    DescribeError,
    DuplicatePluginError,
    ExportMismatchError,
    ImportNotGrantedError,
    InstantiateError,
    ManifestError,
    PluginBadResult,
    PluginBusy,
    PluginCallError,
    PluginError,
    PluginFuelExhausted,
    PluginHostError,
    PluginMemoryExceeded,
    PluginQuarantined,
    PluginTimeout,
    PluginTrap,
    RequiredPluginError,
)

__all__ = [
    "SUPPORTED",
    "AbiError",
    "Capability",
    "CapabilityError",
    "CapabilityKind",
    "CompileError",
    "DescribeError",
    "DuplicatePluginError",
    "ExportMismatchError",
    "Grants",
    "ImportNotGrantedError",
    "InstantiateError",
    "ManifestError",
    "PluginBadResult",
    "PluginBusy",
    "PluginCallError",
    "PluginError",
    "PluginFuelExhausted",
    "PluginHostError",
    "PluginManifest",
    "PluginMemoryExceeded",
    "PluginQuarantined",
    "PluginTimeout",
    "PluginTrap",
    "RequiredPluginError",
    "ResolvedLimits",
    "WitPackage",
    "check_exports",
    "check_imports",
    "check_wit_package",
    "effective_limits",
    "grant_capabilities",
    "grants_for_plugin",
    "is_internal_address",
    "is_internal_host",
    "load_manifest",
    "parse_capability",
    "parse_wit_package",
]
