from __future__ import annotations

from zeroclaw.messages import ChatMessage, ToolCall
from zeroclaw.providers import (
    SUMMARIZE_INSTRUCTION,
    ChatRequest,
    OfflineProvider,
    Provider,
    StreamEnd,
    TextDelta,
)
from zeroclaw.providers.offline import SUMMARY_MAX_POINTS, word_chunks


def request(*messages: ChatMessage, model: str = "") -> ChatRequest:
    return ChatRequest(messages=list(messages), model=model)


def test_is_a_provider() -> None:
    assert isinstance(OfflineProvider(), Provider)


async def test_echo_is_labelled_and_explains_tools_and_real_providers() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "hello there")))
    assert response.text is not None
    assert response.text.startswith("[offline — not a language model] You said: hello there")
    assert "/tool NAME {json}" in response.text
    assert "llm.provider" in response.text
    assert response.tool_calls == ()
    assert response.finish_reason == "stop"
    assert response.model == "offline"


async def test_usage_is_a_rough_estimate_of_four_chars_a_token() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "x" * 40)))
    assert response.usage.input_tokens == 10
    assert response.usage.output_tokens == (len(response.text or "") + 3) // 4


async def test_tool_command_becomes_one_tool_call() -> None:
    response = await OfflineProvider().chat(
        request(ChatMessage("user", '/tool file_read {"path": "notes.txt"}'))
    )
    assert response.tool_calls == (ToolCall("call_1", "file_read", {"path": "notes.txt"}),)
    assert response.text is None
    assert response.finish_reason == "tool_calls"


async def test_tool_command_without_json_has_empty_arguments() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "/tool file_list")))
    assert response.tool_calls == (ToolCall("call_1", "file_list", {}),)


async def test_tool_call_ids_count_earlier_calls_of_the_conversation() -> None:
    history = [
        ChatMessage("user", "/tool a"),
        ChatMessage("assistant", tool_calls=(ToolCall("call_1", "a", {}),)),
        ChatMessage("tool", "ok", tool_call_id="call_1", name="a"),
        ChatMessage("user", "/tool b {}"),
    ]
    response = await OfflineProvider().chat(request(*history))
    assert [call.id for call in response.tool_calls] == ["call_2"]


async def test_invalid_tool_json_explains_the_syntax() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "/tool x {not json")))
    assert response.tool_calls == ()
    assert "not valid JSON" in (response.text or "")
    assert "/tool NAME {json}" in (response.text or "")


async def test_tool_arguments_must_be_an_object() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "/tool x [1, 2]")))
    assert response.tool_calls == ()
    assert "JSON object" in (response.text or "")


async def test_a_word_that_starts_with_tool_is_echoed() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "/toolbox please")))
    assert response.tool_calls == ()
    assert "You said: /toolbox please" in (response.text or "")


async def test_tool_result_is_reported_with_the_tool_name() -> None:
    history = [
        ChatMessage("user", "/tool file_list"),
        ChatMessage("assistant", tool_calls=(ToolCall("call_1", "file_list", {}),)),
        ChatMessage("tool", "a.txt\nb.txt", tool_call_id="call_1"),
    ]
    response = await OfflineProvider().chat(request(*history))
    assert response.text == "[offline] Tool `file_list` returned:\na.txt\nb.txt"
    assert response.tool_calls == ()


async def test_every_trailing_tool_result_is_reported_including_errors() -> None:
    calls = (ToolCall("call_1", "a", {}), ToolCall("call_2", "b", {}))
    history = [
        ChatMessage("assistant", tool_calls=calls),
        ChatMessage("tool", "one", tool_call_id="call_1", name="a"),
        ChatMessage("tool", "error: no such file", tool_call_id="call_2", name="b"),
    ]
    text = (await OfflineProvider().chat(request(*history))).text or ""
    assert "Tool `a` returned:\none" in text
    assert "Tool `b` failed:\nno such file" in text
    assert text.index("`a`") < text.index("`b`")


TRANSCRIPT = "\n".join(
    [
        "user: My name is Ada. I live in Paris.",
        "assistant: Nice to meet you, Ada! How can I help?",
        "tool file_list: a.txt",
        "user: My name is Ada. I live in Paris.",
        "assistant:  [called file_list({})]",
    ]
)


async def test_summarize_instruction_gets_an_extractive_summary() -> None:
    response = await OfflineProvider().chat(
        request(ChatMessage("system", SUMMARIZE_INSTRUCTION), ChatMessage("user", TRANSCRIPT))
    )
    lines = (response.text or "").splitlines()
    assert "not written by a language model" in lines[0]
    assert lines[1:] == [
        "- user: My name is Ada.",
        "- assistant: Nice to meet you, Ada!",
        "- assistant: [called file_list({})]",
    ]


async def test_summary_is_deterministic_and_bounded() -> None:
    transcript = "\n".join(f"user: fact number {i}. more words." for i in range(100))
    req = request(ChatMessage("system", SUMMARIZE_INSTRUCTION), ChatMessage("user", transcript))
    first = (await OfflineProvider().chat(req)).text or ""
    second = (await OfflineProvider().chat(req)).text or ""
    assert first == second
    points = [line for line in first.splitlines() if line.startswith("- ")]
    assert len(points) == SUMMARY_MAX_POINTS
    assert points[-1] == "- user: fact number 99."
    assert f"({100 - SUMMARY_MAX_POINTS} earlier points omitted)" in first


async def test_summarizing_an_earlier_summary_keeps_its_points() -> None:
    earlier = "[offline extractive summary — not written by a language model]\n- user: I am Ada."
    transcript = f"Earlier summary: {earlier}\nuser: I like tea. A lot."
    req = request(ChatMessage("system", SUMMARIZE_INSTRUCTION), ChatMessage("user", transcript))
    text = (await OfflineProvider().chat(req)).text or ""
    assert text.splitlines()[1:] == ["- user: I am Ada.", "- user: I like tea."]


async def test_a_system_prompt_that_is_not_the_instruction_does_not_summarize() -> None:
    response = await OfflineProvider().chat(
        request(ChatMessage("system", "You are helpful."), ChatMessage("user", "user: hi"))
    )
    assert "You said: user: hi" in (response.text or "")


async def test_stream_yields_word_chunks_then_the_whole_response() -> None:
    provider = OfflineProvider()
    req = request(ChatMessage("user", "one two three"))
    events = [event async for event in provider.stream(req)]
    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    assert len(deltas) > 5
    assert isinstance(events[-1], StreamEnd)
    assert sum(isinstance(event, StreamEnd) for event in events) == 1
    assert "".join(deltas) == events[-1].response.text == (await provider.chat(req)).text


async def test_stream_of_a_tool_call_ends_with_the_call() -> None:
    events = [e async for e in OfflineProvider().stream(request(ChatMessage("user", "/tool x")))]
    assert len(events) == 1
    assert isinstance(events[0], StreamEnd)
    assert events[0].response.tool_calls[0].name == "x"


async def test_requested_model_is_reported_back() -> None:
    response = await OfflineProvider().chat(request(ChatMessage("user", "hi"), model="m1"))
    assert response.model == "m1"


def test_word_chunks_join_back_exactly() -> None:
    text = "  leading, two\n\nlines  and trailing  "
    chunks = word_chunks(text)
    assert "".join(chunks) == text
    assert len(chunks) == 5
