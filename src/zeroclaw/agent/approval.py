"""Who says yes when supervised autonomy asks before a changing tool runs."""

from __future__ import annotations

from typing import Protocol

from zeroclaw.messages import ToolCall


class Approver(Protocol):
    async def approve(self, call: ToolCall, reason: str) -> bool: ...


class DenyApprover:
    """Non-interactive runs: nobody can answer, so every approval is refused."""

    async def approve(self, call: ToolCall, reason: str) -> bool:
        return False


class AllowApprover:
    """`--yes`: the operator approved every call in advance."""

    async def approve(self, call: ToolCall, reason: str) -> bool:
        return True
