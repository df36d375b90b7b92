"""What the plugin commands share about the runtime: whether it can run here (wasmtime is
installed), and how a capability the config refuses is explained to the operator."""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError
from zeroclaw.plugins.contract.grants import Refusal


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


def refusal_text(refusal: Refusal) -> str:
    if refusal.reason == "denied" and refusal.rule is not None:
        return f'denied by "{refusal.rule.capability}" in {refusal.rule.source}'
    return f"not allowed by {refusal.source or 'plugins.capabilities.allow'}"
