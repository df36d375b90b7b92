"""What the parameters of a Responses request mean for the turn: the same steering as a
Chat Completions request, so both endpoints honour and refuse alike.

    mapped onto chat's     max_output_tokens -> max_tokens, text.format -> response_format,
                           temperature, top_p, tools (function tools, flat), tool_choice
                           (none | auto | required | {"type": "function", "name"}),
                           parallel_tool_calls
    honoured here          metadata (echoed on the response), store: true (it always is)
    ask nothing            instructions (the agent has its own prompt, as chat's system
                           messages), top_logprobs: 0, truncation: "disabled",
                           include: [], background: false, reasoning: {}, stream_options
    refused (400)          store: false, any other value of those, tools of another type
                           (web_search, file_search, mcp, ...), a tool_choice of another
                           type, and any parameter this gateway does not know

Whether the chosen provider honours what reaches the model is the agent's check, as for
chat; `NAMES` renames the options in its refusal to what the client sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from zeroclaw.agent import Steering
from zeroclaw.gateway.chat_params import chat_steering, refuse_unknown
from zeroclaw.gateway.errors import InvalidValue, UnsupportedParameter
from zeroclaw.gateway.openai_api import SamplingParams
from zeroclaw.gateway.responses_api import NamedTool, ResponseRequest, TextConfig, Tool

ENDPOINT: Final = "/v1/responses"

# The agent's option names -> the Responses API's, for the refusals of the turn.
NAMES: Final[Mapping[str, str]] = {
    "max_tokens": "max_output_tokens",
    "response_format": "text.format",
    "tool_results": "input",
}

_ASKS_NOTHING: Final[Mapping[str, tuple[object, ...]]] = {
    "store": (None, True),
    "top_logprobs": (None, 0),
    "truncation": (None, "disabled"),
    "include": (None, []),
    "background": (None, False),
    "reasoning": (None, {}),
}

_WHY: Final[Mapping[str, str]] = {
    "store": "every turn is kept in the agent's memory (the session) with its response id, "
    "so a response cannot be left unstored; leave store out or send true",
    "top_logprobs": "no provider of the agent returns log probabilities through it",
    "truncation": "the agent compacts its own history (agent.compaction), it does not "
    'drop input; leave truncation out or send "disabled"',
    "include": "no extra output data (reasoning, logprobs, search results) is produced here",
    "background": "responses run while the request waits (stream for progress)",
    "reasoning": "no provider of the agent takes reasoning settings through it",
}


def response_steering(request: ResponseRequest) -> Steering:
    """The request's parameters as the turn's steering; refused ones raise a 400."""
    refuse_unknown(request.model_extra, endpoint=ENDPOINT)
    for name, harmless in _ASKS_NOTHING.items():
        value = getattr(request, name)
        if value not in harmless:
            raise UnsupportedParameter(
                f"{name}={value!r} is not supported: {_WHY[name]}", param=name
            )
    params = SamplingParams.model_validate(
        {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_output_tokens,
            "response_format": _response_format(request.text),
            "tools": [_chat_tool(index, tool) for index, tool in enumerate(request.tools or ())],
            "tool_choice": _tool_choice(request.tool_choice),
            "parallel_tool_calls": request.parallel_tool_calls,
        }
    )
    return chat_steering(params)


def _response_format(text: TextConfig | None) -> dict[str, Any] | None:
    if text is None:
        return None
    refuse_unknown(text.model_extra, endpoint=f"{ENDPOINT} (in text)")
    form = text.format
    if form is None or form.type != "json_schema":
        return None if form is None else {"type": form.type}
    if form.schema_ is None:
        raise InvalidValue(
            "text.format: a json_schema format needs `schema` (a JSON Schema object) and `name`",
            param="text.format",
        )
    spec = {"name": form.name, "schema": form.schema_, "strict": form.strict}
    return {"type": "json_schema", "json_schema": spec}


def _chat_tool(index: int, tool: Tool) -> dict[str, Any]:
    if tool.type != "function":
        raise UnsupportedParameter(
            f"tools[{index}]: a tool of type {tool.type!r} is not supported here, only "
            "function tools (the agent's own tools run on the server beside them)",
            param=f"tools[{index}]",
        )
    if tool.name is None:
        raise InvalidValue(f"tools[{index}]: a function tool needs a name", param="tools")
    function: dict[str, Any] = {"name": tool.name, "description": tool.description or ""}
    if tool.parameters is not None:
        function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _tool_choice(choice: str | NamedTool | None) -> str | dict[str, Any] | None:
    if not isinstance(choice, NamedTool):
        return choice
    if choice.type != "function" or not choice.name:
        raise UnsupportedParameter(
            f"tool_choice of type {choice.type!r} is not supported here: send none, auto, "
            'required or {"type": "function", "name": NAME}',
            param="tool_choice",
        )
    return {"type": "function", "function": {"name": choice.name}}
