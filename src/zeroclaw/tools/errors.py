"""The tools' error types."""

from __future__ import annotations

from zeroclaw.errors import ZeroClawError


class PolicyViolation(ZeroClawError):
    """A path, command or URL the security policy does not allow."""


class ToolRegistrationError(ZeroClawError):
    """A tool cannot be registered: a duplicate name or an invalid parameter schema."""
