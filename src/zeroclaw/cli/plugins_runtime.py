"""What the plugin commands share about the runtime: whether it can run here (wasmtime is
installed)."""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError


class PluginsUnavailableError(ZeroClawError):
    """The plugin runtime cannot run here (wasmtime missing)."""


def require_wasmtime() -> None:
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        raise PluginsUnavailableError(
            "the plugin runtime needs wasmtime, which is not installed",
            hint="pip install 'zeroclaw[plugins]'",
        ) from None
