"""The error a built-in hook raises when its settings cannot work."""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError


class HookSetupError(ZeroClawError):
    """A built-in hook is misconfigured; `key` is the config key to fix."""

    def __init__(self, key: str, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{key}: {problem}", hint=hint)
        self.key = key
