"""What one modifying dispatch did: who ran, in what order, what each changed, how long
each took and why the chain stopped. Built only when asked for or when debug logging is
on, so an ordinary dispatch pays nothing for it."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from zeroclaw.hooks.events import Event, Payload
from zeroclaw.hooks.handler import FailurePolicy

# "error" covers an exception and a return value of the wrong type.
StepOutcome = Literal["continue", "cancel", "error", "timeout"]
FieldChanges = Mapping[str, tuple[object, object]]

_SHORT = 60


@dataclass(frozen=True, slots=True)
class HandlerStep:
    handler: str
    source: str
    priority: int
    failure_policy: FailurePolicy
    outcome: StepOutcome
    duration_ms: float
    # payload field -> (before, after), for the fields this handler changed
    changes: FieldChanges
    # the cancel reason or the failure's cause
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    event: Event
    steps: tuple[HandlerStep, ...]
    stop_reason: str
    # the handler that cancelled (or failed closed); None when the chain ran to its end
    stopped_by: str | None = None

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(step.handler for step in self.steps)

    def render(self) -> str:
        lines = [f"hook {self.event.value}: {len(self.steps)} handler(s) ran; {self.stop_reason}"]
        for position, step in enumerate(self.steps, 1):
            line = (
                f"  {position}. {step.handler} [{step.source}, priority {step.priority}, "
                f"{step.failure_policy}] {step.outcome} in {step.duration_ms:.3f} ms"
            )
            lines.append(f"{line}: {step.detail}" if step.detail else line)
            lines.extend(
                f"       {name}: {_short(before)} -> {_short(after)}"
                for name, (before, after) in step.changes.items()
            )
        return "\n".join(lines)


def payload_diff(before: Payload, after: Payload) -> dict[str, tuple[object, object]]:
    """The fields whose values differ between two payloads of one type."""
    if before is after:
        return {}
    changes: dict[str, tuple[object, object]] = {}
    for field in dataclasses.fields(before):
        name = field.name
        old, new = getattr(before, name), getattr(after, name)
        if old is not new and old != new:
            changes[name] = (old, new)
    return changes


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def change_lines(before: object, after: object) -> list[str]:
    """One field's change as diff lines (`-`, `+`, context), for people to read: the
    CLI's `hooks explain` and the console's Hooks page print the same."""
    old, new = _text_lines(before), _text_lines(after)
    if old is None or new is None:
        return [f"- {before!r}", f"+ {after!r}"]
    diff = difflib.unified_diff(old, new, lineterm="", n=2)
    # Skip the ---/+++ file header: there are no files here.
    return [line for line in diff if not line.startswith(("---", "+++"))]


def _text_lines(value: object) -> list[str] | None:
    """Text as lines, a sequence of texts as numbered blocks; None for anything else."""
    if isinstance(value, str):
        return value.splitlines() or [""]
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        lines: list[str] = []
        for index, item in enumerate(value):
            lines.append(f"[{index}]")
            lines.extend(f"  {line}" for line in item.splitlines())
        return lines
    return None
