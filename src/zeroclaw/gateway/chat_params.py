"""What the parameters of a Chat Completions request mean for the turn: which reach the
model (as the agent's `Steering`) and which are refused, naming the parameter.

    reach the model     temperature, top_p, max_tokens (or max_completion_tokens), stop,
                        seed, presence_penalty, frequency_penalty, response_format
                        (json_object, json_schema), tools (function tools), tool_choice
    ask nothing         n: 1, logprobs: false, parallel_tool_calls: true, logit_bias: {},
                        store: false, metadata: {}, stream_options, user (the session)
    refused (400)       any other value of those (n > 1, logprobs, top_logprobs, ...),
                        and any parameter this gateway does not know

Whether the chosen provider honours what reaches the model is the agent's check
(`check_steering`: a 400 `unsupported_parameter` too, before anything is stored). None is
ever dropped in silence. docs/gateway.md has the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroclaw.agent import Steering
from zeroclaw.agent.steering import NO_STEERING
from zeroclaw.gateway.errors import InvalidValue, UnsupportedParameter
from zeroclaw.gateway.openai_api import (
    MAX_STOP,
    FunctionTool,
    NamedToolChoice,
    ResponseFormatParam,
    SamplingParams,
)
from zeroclaw.messages import ToolSpec
from zeroclaw.providers import ChatOptions, ResponseFormat, ToolChoice

# The agent's names -> Chat Completions', for the refusals of the turn (the client's tool
# results are its trailing `role: tool` messages).
NAMES: Mapping[str, str] = {"tool_results": "messages"}

# parameter -> the value that asks for nothing beyond what the gateway does anyway
_ASKS_NOTHING: Mapping[str, tuple[object, ...]] = {
    "n": (None, 1),
    "logprobs": (None, False),
    "top_logprobs": (None,),
    "parallel_tool_calls": (None, True),
    "logit_bias": (None, {}),
    "store": (None, False),
    "metadata": (None, {}),
}

_WHY: Mapping[str, str] = {
    "n": "the agent answers with one choice",
    "logprobs": "no provider of the agent returns log probabilities through it",
    "top_logprobs": "no provider of the agent returns log probabilities through it",
    "parallel_tool_calls": "the model's tool calls are returned as it makes them",
    "logit_bias": "no provider of the agent takes a logit bias through it",
    "store": "OpenAI's stored completions are not kept here (the session is, in memory)",
    "metadata": "OpenAI's stored completions are not kept here (the session is, in memory)",
}


def refuse_unknown(extra: Mapping[str, Any] | None, *, endpoint: str) -> None:
    """A parameter the gateway does not know is refused by name, never dropped."""
    for name in extra or {}:
        raise UnsupportedParameter(
            f"unknown parameter {name!r} for {endpoint}; docs/gateway.md lists every "
            "parameter and what it does here",
            param=name,
        )


# A request that sent none of these leaves each at its default (None): it asks nothing of
# the turn, and most requests are like that.
_SAMPLING = frozenset(SamplingParams.model_fields)


def chat_steering(params: SamplingParams) -> Steering:
    """The request's parameters as the turn's steering; refused ones raise a 400."""
    if params.model_fields_set.isdisjoint(_SAMPLING):
        return NO_STEERING
    for name, harmless in _ASKS_NOTHING.items():
        value = getattr(params, name)
        if value not in harmless:
            raise UnsupportedParameter(
                f"{name}={value!r} is not supported: {_WHY[name]}; leave it out", param=name
            )
    both = (params.max_tokens, params.max_completion_tokens)
    if None not in both and both[0] != both[1]:
        raise InvalidValue(
            "max_tokens and max_completion_tokens disagree; send one of them",
            param="max_completion_tokens",
        )
    stop = params.stop
    if isinstance(stop, list) and len(stop) > MAX_STOP:
        raise InvalidValue(
            f"stop: {len(stop)} sequences, over the maximum of {MAX_STOP}", param="stop"
        )
    options = ChatOptions(
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_completion_tokens or params.max_tokens,
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        seed=params.seed,
        presence_penalty=params.presence_penalty,
        frequency_penalty=params.frequency_penalty,
        response_format=response_format(params.response_format),
        tool_choice=tool_choice(params.tool_choice),
    )
    steering = Steering(
        options=options,
        client_tools=client_tools(params.tools or []),
        offer_tools=params.tool_choice != "none",
    )
    # A request that asks nothing of the turn is the turn's default, which has nothing to
    # check against the provider (and the turn skips the checks for it).
    return NO_STEERING if steering == NO_STEERING else steering


def response_format(param: ResponseFormatParam | None) -> ResponseFormat | None:
    if param is None or param.type == "text":
        return None
    if param.type == "json_object":
        return ResponseFormat("json_object")
    spec = param.json_schema
    if spec is None or spec.schema_ is None:
        raise UnsupportedParameter(
            "response_format: a json_schema format needs json_schema.schema (a JSON Schema "
            "object) and json_schema.name",
            param="response_format",
        )
    return ResponseFormat("json_schema", spec.schema_, spec.name, bool(spec.strict))


def tool_choice(param: str | NamedToolChoice | None) -> ToolChoice | None:
    if isinstance(param, NamedToolChoice):
        return ToolChoice(param.function.name)
    return ToolChoice() if param == "required" else None


def client_tools(tools: list[FunctionTool]) -> tuple[ToolSpec, ...]:
    names = [tool.function.name for tool in tools]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidValue(
            f"tools: {', '.join(repr(n) for n in twice)} is defined more than once",
            param="tools",
        )
    return tuple(
        ToolSpec(tool.function.name, tool.function.description, tool.function.parameters)
        for tool in tools
    )
