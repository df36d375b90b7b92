"""The whole completion's body, built as plain data (chat_replies.chat_completion): it must
be exactly what the `openai` models it stands for would send, key for key."""

from __future__ import annotations

import json

import pytest
from openai.types.chat import ChatCompletion

from zeroclaw.agent.loop import TurnResult
from zeroclaw.gateway.chat_replies import GatewayChatCompletion, chat_completion
from zeroclaw.messages import ToolCall, Usage

RESULTS = {
    "answer": TurnResult(
        session_id="openai-abc",
        turn_id="t1",
        reply='hello \u00e9\u4e16 "quoted"',
        usage=Usage(input_tokens=3, output_tokens=5),
    ),
    "client tool calls": TurnResult(
        session_id="s",
        turn_id="t2",
        stop_reason="tool_calls",
        client_calls=(
            ToolCall(id="c1", name="lookup", arguments={"q": "x", "n": 2}),
            ToolCall(id="c2", name="other", arguments={}),
        ),
    ),
    "withheld by a hook": TurnResult(session_id="s", turn_id="t3", delivered=False),
    "out of model calls": TurnResult(
        session_id="s", turn_id="t4", reply="so far", stop_reason="max_iterations"
    ),
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_the_body_is_what_the_models_would_send(name: str) -> None:
    body = chat_completion(RESULTS[name], model="offline/offline")
    # Every key known to the model, in its order, of its type: validating it and dumping
    # what was set gives the same bytes back.
    model = GatewayChatCompletion.model_validate_json(body)
    assert model.model_dump_json(exclude_unset=True).encode() == body
    assert ChatCompletion.model_validate_json(body).model == "offline/offline"


def test_the_fields_of_a_turn() -> None:
    result = RESULTS["client tool calls"]
    sent = json.loads(chat_completion(result, model="zeroclaw"))
    choice = sent["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [call["id"] for call in calls] == ["c1", "c2"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"q": "x", "n": 2}
    assert sent["zeroclaw"] == {
        "session_id": "s",
        "turn_id": "t2",
        "stop_reason": "tool_calls",
        "tool_calls": 0,
    }
    withheld = json.loads(chat_completion(RESULTS["withheld by a hook"], model="zeroclaw"))
    assert withheld["choices"][0]["finish_reason"] == "content_filter"
    assert sent["id"].startswith("chatcmpl-")
    assert sent["id"] != withheld["id"]
