"""The WebAssembly plugin runtime.

Importing this package never imports wasmtime: with `plugins.enabled = false` the host must
not even load it. Only `zeroclaw.plugins.engine`, `zeroclaw.plugins.compile_cache` and the
runtime modules built on them (`conversion`, `instance`, `runtime`, `loader`, `adapters`,
`tool_adapter`, `provider_adapter`, `registry`) import wasmtime; import those only when
plugins are enabled. The entry point is `zeroclaw.plugins.registry.PluginRegistry`; see
docs/plugins-runtime.md.
"""

from zeroclaw.plugins.abi import (
    SUPPORTED,
    WitPackage,
    check_exports,
    check_wit_package,
    parse_wit_package,
)
from zeroclaw.plugins.capabilities import (
    Capability,
    CapabilityKind,
    Grants,
    check_imports,
    grant_capabilities,
    grants_for_plugin,
    is_internal_address,
    is_internal_host,
    parse_capability,
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
from zeroclaw.plugins.manifest import (
    PluginManifest,
    ResolvedLimits,
    effective_limits,
    load_manifest,
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
