"""`zeroclaw hooks`: the handlers the agent registers, and what they do to a payload.

Both commands build the runtime the agent builds (`AgentRuntime.from_config`), so they
show exactly the handlers a turn would run, built-in and plugin alike. `explain` runs the
handlers for real: a boot script's commands run, session_memory reads the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import closing
from typing import Annotated, Any

import typer

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.cli.guest_log import LogLevelOption, guest_log
from zeroclaw.cli.json_output import JsonFlag, print_json, use_json
from zeroclaw.cli.state import state_of, user_errors
from zeroclaw.config import Config
from zeroclaw.hooks import (
    Event,
    Explanation,
    HandlerStep,
    HookKind,
    ModifyingPayload,
    RegisteredHandler,
)
from zeroclaw.hooks.explain import change_lines
from zeroclaw.hooks.payload_json import modifying_event, payload_from_json

hooks_app = typer.Typer(
    help="List the hook handlers and explain what they do to a payload.", no_args_is_help=True
)


@hooks_app.command("list")
def list_hooks(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every registered handler per event, in dispatch order, with its settings and counters."""
    use_json(json_output)
    config = state_of(ctx).config()
    # Nothing is dispatched: DenyApprover, because listing must never approve a tool call.
    with user_errors(), closing(AgentRuntime.from_config(config, approver=DenyApprover())) as rt:
        registered = [(event, rt.live_hooks().handlers(event)) for event in Event]
    if json_output:
        print_json(
            {
                "events": [
                    {
                        "event": event.value,
                        "kind": event.kind.value,
                        "handlers": [_handler_shape(event, r) for r in handlers],
                    }
                    for event, handlers in registered
                    if handlers
                ]
            }
        )
        return
    lines: list[str] = []
    for event, handlers in registered:
        if handlers:
            lines.append(f"{event.value} ({event.kind.value})")
            lines.extend(_handler_line(event, n, r) for n, r in enumerate(handlers, 1))
    typer.echo("\n".join(lines) if lines else "No hook handlers are registered.")


def _handler_shape(event: Event, registered: RegisteredHandler) -> dict[str, Any]:
    spec, stats = registered.spec, registered.stats
    return {
        "name": spec.name,
        "priority": spec.priority,
        "source": spec.source,
        "timeout_s": _timeout_s(registered),
        "runner_timeout_s": registered.timeout_s,
        "failure_policy": _policy(event, registered),
        "stats": dataclasses.asdict(stats),
    }


def _timeout_s(registered: RegisteredHandler) -> float:
    """The handler's timeout as its settings say: a plugin's own `limits.timeout_ms`,
    else the runner's (the handler's `timeout_s` or `[hooks] timeout_ms`)."""
    own = registered.spec.call_timeout_ms
    return own / 1000 if own is not None else registered.timeout_s


def _timeout_text(registered: RegisteredHandler) -> str:
    own = registered.spec.call_timeout_ms
    if own is None:
        return f"timeout {registered.timeout_s:g}s"
    # The runner's bound is longer on purpose (a call may wait for a slot, then run): it is
    # shown so that a cut at that bound in the log can be matched to this handler.
    return f"timeout {own / 1000:g}s (runner bound {registered.timeout_s:g}s)"


def _policy(event: Event, registered: RegisteredHandler) -> str:
    # A void handler's failure is always isolated, whatever policy it declares.
    return registered.spec.failure_policy if event.kind is HookKind.MODIFYING else "isolated"


def _handler_line(event: Event, order: int, registered: RegisteredHandler) -> str:
    spec, stats = registered.spec, registered.stats
    policy = _policy(event, registered)
    return (
        f"  {order}. {spec.name}  priority {spec.priority}, {spec.source}, "
        f"{_timeout_text(registered)}, {policy}; calls {stats.calls}, "
        f"failures {stats.failures}, timeouts {stats.timeouts}, cancels {stats.cancels}, "
        f"skips {stats.skips}"
    )


@hooks_app.command("explain")
def explain_hook(
    ctx: typer.Context,
    event_name: Annotated[
        str, typer.Argument(metavar="EVENT", help="A modifying event, e.g. before_prompt_build.")
    ],
    payload: Annotated[
        str,
        typer.Option(
            "--payload",
            "-p",
            help="The event's payload as a JSON object (fields that may be null may be left out).",
        ),
    ],
    log_level: LogLevelOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Run the handlers of EVENT on a payload and show the order, each handler's changes,
    durations, outcomes and why the chain stopped. The handlers really run."""
    use_json(json_output)
    config = state_of(ctx).config()
    with user_errors():
        event = modifying_event(event_name)
        built = payload_from_json(event, payload, "--payload")
        with guest_log(log_level):
            explanation = asyncio.run(_explain(config, event, built))
    if json_output:
        print_json(explanation_shape(explanation))
        return
    typer.echo(render_explanation(explanation))


async def _explain(config: Config, event: Event, payload: ModifyingPayload) -> Explanation:
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        return await runtime.live_hooks().explain(event, payload)


# -- the payload from JSON -----------------------------------------------------------------


# -- the explanation as text ---------------------------------------------------------------


def render_explanation(explanation: Explanation) -> str:
    """The explanation with each handler's changes as a full diff (not cut short)."""
    lines = [
        f"{explanation.event.value}: {len(explanation.steps)} handler(s) ran",
        f"chain: {explanation.stop_reason}",
    ]
    for position, step in enumerate(explanation.steps, 1):
        lines.append(_step_line(position, step))
        if not step.changes and step.outcome == "continue":
            lines.append("     (no change)")
        for name, (before, after) in step.changes.items():
            lines.append(f"     {name}:")
            lines.extend(f"       {line}" for line in change_lines(before, after))
    return "\n".join(lines)


def explanation_shape(explanation: Explanation) -> dict[str, Any]:
    """`hooks explain --json`: the same facts as the text, each change whole."""
    return {
        "event": explanation.event.value,
        "stop_reason": explanation.stop_reason,
        "stopped_by": explanation.stopped_by,
        "steps": [
            {
                "handler": step.handler,
                "source": step.source,
                "priority": step.priority,
                "failure_policy": step.failure_policy,
                "outcome": step.outcome,
                "duration_ms": step.duration_ms,
                "detail": step.detail,
                "changes": {
                    name: {"before": before, "after": after}
                    for name, (before, after) in step.changes.items()
                },
            }
            for step in explanation.steps
        ],
    }


def _step_line(position: int, step: HandlerStep) -> str:
    line = (
        f"  {position}. {step.handler} [{step.source}, priority {step.priority}, "
        f"{step.failure_policy}] {step.outcome} in {step.duration_ms:.3f} ms"
    )
    return f"{line}: {step.detail}" if step.detail else line
