"""What a caller asks of a turn's model calls, and when the agent must refuse it.

`Steering` is the OpenAI-style part of a request that is not the conversation: the
options for the model (`ChatOptions`), the caller's own tools (a client's function tools,
offered to the model beside the agent's; a call of one ends the turn and goes back to the
caller) and whether tools are offered at all (`tool_choice: none`).

A turn refuses what it could not honour before it stores anything (`SteeringRefused`, a
400 on the gateway): an option the chosen provider would drop, a client tool named like
one of the agent's (the model could not tell them apart), and tool results that answer
no pending call of the session (or leave one unanswered).

`tool_choice` forcing a call (required, or a named function) applies to the turn's first
model call only: the agent's loop calls the model again after its own tools ran, and a
forced call there would loop until `agent.max_tool_iterations`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from zeroclaw.errors import ZeroClawError
from zeroclaw.messages import ToolCall, ToolSpec
from zeroclaw.providers import ChatOptions, Provider, unhonoured


@dataclass(frozen=True, slots=True)
class Steering:
    options: ChatOptions = field(default_factory=ChatOptions)
    client_tools: tuple[ToolSpec, ...] = ()
    # False for tool_choice "none": the model is offered no tool, the agent's or the client's.
    offer_tools: bool = True

    def client_names(self) -> frozenset[str]:
        return frozenset(tool.name for tool in self.client_tools)

    def options_for_call(self, first: bool) -> ChatOptions:
        """A forced tool choice holds for the first call of the turn only."""
        if first or self.options.tool_choice is None:
            return self.options
        return replace(self.options, tool_choice=None)


NO_STEERING = Steering()


@dataclass(frozen=True, slots=True)
class ToolAnswer:
    """A caller's result for a call of one of its tools (an OpenAI `role: tool` message)."""

    tool_call_id: str
    content: str


class SteeringRefused(ZeroClawError):
    """The request asks what this turn cannot do; nothing was stored."""

    code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.param = param


class UnsupportedOption(SteeringRefused):
    code = "unsupported_parameter"


class ToolNameClash(SteeringRefused):
    code = "tool_name_conflict"


class UnknownToolChoice(SteeringRefused):
    code = "invalid_value"


class ToolAnswersMismatch(SteeringRefused):
    code = "invalid_tool_results"


def check_steering(
    steering: Steering, provider: Provider, model: str, agent_tools: Iterable[str]
) -> None:
    """Refuse what `provider` would not honour, and client tools named like the agent's."""
    refused = unhonoured(
        provider,
        model,
        steering.options,
        tools=bool(steering.client_tools and steering.offer_tools),
    )
    if refused:
        names = ", ".join(repr(name) for name in refused)
        raise UnsupportedOption(
            f"provider {provider.name!r} cannot honour {names} (model {model or 'default'!r}); "
            "leave it out, or choose a model whose provider supports it (docs/gateway.md "
            "lists what each provider honours)",
            param=refused[0],
        )
    agent_names = set(agent_tools)
    clashes = sorted(steering.client_names() & agent_names)
    if clashes:
        raise ToolNameClash(
            f"tools: {', '.join(repr(n) for n in clashes)} is also the name of one of the "
            "agent's own tools, so a call could not be told apart; rename your function",
            param="tools",
        )
    forced = steering.options.tool_choice
    named = forced.function if forced is not None else None
    if named is not None and named not in steering.client_names() | agent_names:
        raise UnknownToolChoice(
            f"tool_choice names {named!r}, which is neither one of the request's tools nor "
            "one of the agent's",
            param="tool_choice",
        )


def check_answers(pending: Sequence[ToolCall], answers: Sequence[ToolAnswer]) -> None:
    """The answers must be exactly one for each pending call. The words are the agent's,
    not one API's: each endpoint names the field (`param` "tool_results") its own way."""
    waiting = {call.id for call in pending}
    given = [answer.tool_call_id for answer in answers]
    unknown = [call_id for call_id in given if call_id not in waiting]
    if unknown:
        expected = ", ".join(sorted(waiting)) or "none: the session has no pending tool call"
        raise ToolAnswersMismatch(
            f"the tool result for call {unknown[0]!r} answers no pending tool call of this "
            f"session (pending: {expected})",
            param="tool_results",
            hint="answer the tool calls of the last response, in the session that made them",
        )
    missing = sorted(waiting - set(given))
    if missing or len(set(given)) != len(given):
        what = f"no tool result for {', '.join(missing)}" if missing else "a call answered twice"
        raise ToolAnswersMismatch(
            f"{what}: answer each tool call of the last response exactly once",
            param="tool_results",
        )
