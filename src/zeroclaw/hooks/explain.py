"""What one modifying dispatch did: who ran, in what order, what each changed, how long
each took and why the chain stopped. Built only when asked for or when debug logging is
on, so an ordinary dispatch pays nothing for it."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from zeroclaw.hooks.events import Event, Payload
from zeroclaw.hooks.handler import FailurePolicy, HandlerSpec

# "error" covers an exception and a return value of the wrong type.
StepOutcome = Literal["continue", "cancel", "error", "timeout"]
FieldChanges = Mapping[str, tuple[object, object]]
# (handler, source, failure policy, outcome, detail, names of the changed fields): see
# Explanation.step_summaries.
StepSummary = tuple[str, str, FailurePolicy, StepOutcome, str | None, tuple[str, ...]]

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


# What the runner keeps of one handler's call while a dispatch runs (a tuple: recording it
# costs next to nothing on the hot path): the handler's spec, its outcome and detail, how
# long it took in ms, and the payload before and after it. `Explanation.steps` builds the
# HandlerSteps, field changes included, from these only when something reads them.
StepFacts = tuple[HandlerSpec, StepOutcome, str | None, float, Payload, Payload]


class Explanation:
    """What one dispatch did: `event`, `steps` (in order), `stop_reason`, and `stopped_by`
    (the handler that cancelled or failed closed; None when the chain ran to its end).
    Immutable; equal when those four are. Made from HandlerSteps, or by the runner from
    the facts it recorded (`of_facts`), whose steps are built when first read: a tool
    call's provenance reads `step_summaries` instead, which builds no HandlerStep."""

    __slots__ = ("_facts", "_steps", "event", "stop_reason", "stopped_by")

    event: Event
    stop_reason: str
    stopped_by: str | None
    _facts: tuple[StepFacts, ...]
    _steps: tuple[HandlerStep, ...] | None

    def __init__(
        self,
        event: Event,
        steps: Iterable[HandlerStep],
        stop_reason: str,
        stopped_by: str | None = None,
    ) -> None:
        _init(self, event, stop_reason, stopped_by, (), tuple(steps))

    @classmethod
    def of_facts(
        cls,
        event: Event,
        facts: tuple[StepFacts, ...],
        stop_reason: str,
        stopped_by: str | None = None,
    ) -> Explanation:
        explanation = object.__new__(cls)
        _init(explanation, event, stop_reason, stopped_by, facts, None)
        return explanation

    @property
    def steps(self) -> tuple[HandlerStep, ...]:
        steps = self._steps
        if steps is None:
            steps = tuple(
                HandlerStep(
                    spec.name,
                    spec.source,
                    spec.priority,
                    spec.failure_policy,
                    outcome,
                    duration_ms,
                    payload_diff(before, after),
                    detail,
                )
                for spec, outcome, detail, duration_ms, before, after in self._facts
            )
            object.__setattr__(self, "_steps", steps)
        return steps

    def step_summaries(self) -> Iterator[StepSummary]:
        """Per step: (handler, source, failure policy, outcome, detail, the names of the
        fields it changed, sorted), without building the steps when they are not built."""
        if self._steps is not None:
            for step in self._steps:
                yield (
                    step.handler,
                    step.source,
                    step.failure_policy,
                    step.outcome,
                    step.detail,
                    tuple(sorted(step.changes)),
                )
            return
        for spec, outcome, detail, _, before, after in self._facts:
            changed = () if before is after else tuple(sorted(payload_diff(before, after)))
            yield (spec.name, spec.source, spec.failure_policy, outcome, detail, changed)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Explanation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Explanation(event={self.event!r}, steps={self.steps!r}, "
            f"stop_reason={self.stop_reason!r}, stopped_by={self.stopped_by!r})"
        )

    def __reduce__(self) -> tuple[type[Explanation], tuple[object, ...]]:
        # copy, deepcopy and pickle go through the constructor, with the steps built.
        return (Explanation, self._key())

    def _key(self) -> tuple[object, ...]:
        return (self.event, self.steps, self.stop_reason, self.stopped_by)

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


def _init(
    explanation: Explanation,
    event: Event,
    stop_reason: str,
    stopped_by: str | None,
    facts: tuple[StepFacts, ...],
    steps: tuple[HandlerStep, ...] | None,
) -> None:
    set_field = object.__setattr__
    set_field(explanation, "event", event)
    set_field(explanation, "stop_reason", stop_reason)
    set_field(explanation, "stopped_by", stopped_by)
    set_field(explanation, "_facts", facts)
    set_field(explanation, "_steps", steps)


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
