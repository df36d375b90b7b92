"""Who says yes when a tool call needs approval (supervised autonomy, or a
tools.approval rule that asks).

`can_ask` tells the gate whether anyone is there to answer: where nobody is (the
gateway, `zeroclaw mcp serve`, `-m` without a terminal) a call that needs approval is
refused at once with a message naming the rule and how to allow it, instead of waiting
for an answer that cannot come.
"""

from __future__ import annotations

from typing import Protocol

from zeroclaw.messages import ToolCall


class Approver(Protocol):
    # False: nobody can answer here; the gate refuses without asking.
    can_ask: bool
    # True: every call was approved in advance (--yes); recorded as an auto-approval.
    in_advance: bool

    async def approve(self, call: ToolCall, reason: str) -> bool: ...


class DenyApprover:
    """Non-interactive runs: nobody can answer, so every approval is refused at once."""

    can_ask = False
    in_advance = False

    async def approve(self, call: ToolCall, reason: str) -> bool:
        return False


class AllowApprover:
    """`--yes`: the operator approved every call in advance."""

    can_ask = True
    in_advance = True

    async def approve(self, call: ToolCall, reason: str) -> bool:
        return True
