"""The errors of the plugin runtime.

Each says which plugin, what is wrong and, in `hint`, what to change (a config key, a
manifest key, a build flag). They are `ZeroClawError`s, so the CLI prints them without a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability.events import PluginCallOutcome


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


class InstantiateError(PluginError):
    """A component compiled and linked but could not be instantiated (its start code trapped,
    ran past its time limit, or needs more memory than its limit)."""


class DescribeError(PluginError):
    """A plugin's self-description at load (`handles`, `tools`, `info`) failed or returned
    something the host cannot use."""


class DuplicatePluginError(PluginError):
    """Two plugin directories declare the same plugin name."""


class RequiredPluginError(PluginError):
    """A plugin marked `required` failed to load, is missing or is quarantined: the host
    refuses to serve rather than run without it."""


# -- call errors: one call into a loaded plugin failed -----------------------------------------


@dataclass(frozen=True, slots=True)
class GuestErrorReport:
    """What the guest said about the error it failed with (`zeroclaw:host/console`
    `uncaught`): the error's type and message, and its stack, innermost frame last, one
    `file:line in function` a line."""

    kind: str
    message: str
    stack: str = ""

    @property
    def frames(self) -> tuple[str, ...]:
        return tuple(line for line in self.stack.splitlines() if line.strip())

    def describe(self) -> str:
        """`ValueError: no such tool` and the frames below it, indented."""
        head = f"{self.kind}: {self.message}" if self.message else self.kind
        return "\n".join([head, *(f"  at {frame}" for frame in self.frames)])


class PluginCallError(PluginError):
    """One call into a plugin failed. Names the plugin, the function called and the cause.

    `outcome` is how the call is counted (the observer's `PluginCall.outcome`);
    `plugin_fault` says whether it counts against the plugin's circuit breaker (a call
    refused because the plugin was busy or quarantined, or a failure on the host's side,
    does not).
    """

    outcome: ClassVar[PluginCallOutcome] = "error"
    plugin_fault: ClassVar[bool] = True
    what: ClassVar[str] = "failed"

    def __init__(
        self,
        plugin: str,
        function: str,
        cause: str,
        *,
        hint: str | None = None,
        guest: GuestErrorReport | None = None,
    ) -> None:
        super().__init__(f"plugin {plugin!r} {self.what} in {function}: {cause}", hint=hint)
        self.plugin = plugin
        self.function = function
        self.cause = cause
        # The guest's own account of the failure, when it gave one (its exception and stack).
        self.guest = guest


class PluginTimeout(PluginCallError):
    """The call ran past its time limit and was interrupted."""

    outcome = "timeout"
    what = "timed out"


class PluginFuelExhausted(PluginTimeout):
    """The call used up its fuel (instruction budget) and was stopped."""

    what = "ran out of fuel"


class PluginMemoryExceeded(PluginCallError):
    """The plugin's memory use hit its limit (see docs/plugins-runtime.md for how it shows)."""

    outcome = "trap"
    what = "exceeded its memory"


class PluginTrap(PluginCallError):
    """The guest trapped (`unreachable`, a division by zero, a stack overflow, ...), or
    failed with an uncaught exception (then `guest` holds its type, message and stack)."""

    outcome = "trap"
    what = "trapped"


class PluginBadResult(PluginCallError):
    """The guest returned a value the host cannot use (e.g. arguments that are not a JSON
    object, or a value that does not fit the function's WIT type: the message names the
    field)."""

    what = "returned an unusable result"


class PluginHostError(PluginCallError):
    """The call failed on the host's side (a host function or the host's own conversion of
    the arguments); it does not count against the plugin."""

    plugin_fault = False
    what = "hit a host error"


class PluginBusy(PluginCallError):
    """Every call slot of the plugin stayed taken for the whole wait (limits.max_concurrency)."""

    outcome = "rejected"
    plugin_fault = False
    what = "was busy"


class PluginQuarantined(PluginCallError):
    """The plugin's circuit breaker is open: calls are refused until its cool-down ends."""

    outcome = "rejected"
    plugin_fault = False
    what = "is quarantined"


# -- distribution: where a plugin comes from, and whether it is what was pinned and signed -----


class LockError(PluginError):
    """plugins.lock cannot be read or written, or is not a lock file of this format."""


class LockMismatchError(PluginError):
    """A pinned plugin's component or manifest no longer has the digest plugins.lock
    recorded for it (changed since it was installed)."""


class SignatureError(PluginError):
    """A plugin's signature is missing, made by a key not trusted, broken, or no longer
    matches its manifest or component (under plugins.signature_mode = "require")."""


class SourceError(PluginError):
    """An install source cannot be used: unknown kind, unreachable, not allowed (plain http
    off loopback), too large, or not the bytes pinned with --sha256."""


class UnsafeArchiveError(SourceError):
    """An archive would write outside its folder (traversal, absolute path, a link out),
    holds a device or other special file, or unpacks past the size or file-count caps."""


class OciError(SourceError):
    """An OCI registry answered with something we refuse: a manifest or blob whose digest
    does not match its content, a layer over the cap, a tag that moved during the pull, or
    an artifact that is not a ZeroClaw plugin."""


class InstallError(PluginError):
    """An install, upgrade or removal could not go ahead (the plugin failed validation, is
    not the one named, was declined, or is not installed); nothing was changed."""
