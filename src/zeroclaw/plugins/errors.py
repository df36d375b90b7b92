"""The errors of the plugin runtime.

Each says which plugin, what is wrong and, in `hint`, what to change (a config key, a
manifest key, a build flag). They are `ZeroClawError`s, so the CLI prints them without a
traceback.
"""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError


class PluginError(ZeroClawError):
    """A plugin could not be loaded or used."""


class ManifestError(PluginError):
    """A plugin.toml is missing, is not TOML, or has wrong keys or values."""


class CapabilityError(PluginError):
    """A capability string does not follow the grammar (in a manifest or in the config)."""


class AbiError(PluginError):
    """A plugin targets a WIT package or version the host does not support."""


class ExportMismatchError(AbiError):
    """A component's exports do not match the world its manifest declares."""


class ImportNotGrantedError(PluginError):
    """A component imports an interface the plugin was not granted (or the host lacks)."""


class CompileError(PluginError):
    """A file is not a valid WebAssembly component, or wasmtime could not compile it."""
