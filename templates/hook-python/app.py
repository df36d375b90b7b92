"""my-hook: a ZeroClaw hook plugin in Python. Build it with `zeroclaw plugins build .`.

It handles `before-tool-call` and cancels `shell` commands that delete recursively
(`rm -rf`), letting every other call through. Change `handles()` and the handlers you need.
Import everything here, at the top: the component has no WASI, so an import inside a
handler (or open, time.time) fails the call. `print` goes to the host's log.
"""

import json
import re

from wit_world import exports
from wit_world.exports.handler import (
    AfterCompactionEvent,
    AfterToolCallEvent,
    BeforeCompactionEvent,
    BeforeCompactionResult,
    BeforeCompactionResult_Unchanged,
    BeforeLlmCallEvent,
    BeforeLlmCallResult,
    BeforeLlmCallResult_Unchanged,
    BeforeModelResolveEvent,
    BeforeModelResolveResult,
    BeforeModelResolveResult_Unchanged,
    BeforePromptBuildEvent,
    BeforePromptBuildResult,
    BeforePromptBuildResult_Unchanged,
    BeforeToolCallEvent,
    BeforeToolCallResult,
    BeforeToolCallResult_Cancel,
    BeforeToolCallResult_Unchanged,
    Cancellation,
    Event,
    GatewayStartEvent,
    HeartbeatTickEvent,
    LlmInputEvent,
    LlmOutputEvent,
    MessageReceivedEvent,
    MessageReceivedResult,
    MessageReceivedResult_Unchanged,
    MessageSendingEvent,
    MessageSendingResult,
    MessageSendingResult_Unchanged,
    MessageSentEvent,
    SessionEvent,
    ToolResultPersistEvent,
    ToolResultPersistResult,
    ToolResultPersistResult_Unchanged,
)

RECURSIVE_DELETE = re.compile(r"\brm\s+(-[a-zA-Z]*r[a-zA-Z]*f|-[a-zA-Z]*f[a-zA-Z]*r)\b")


class Handler(exports.Handler):
    def handles(self) -> list[Event]:
        return [Event.BEFORE_TOOL_CALL]

    def before_tool_call(self, event: BeforeToolCallEvent) -> BeforeToolCallResult:
        if event.tool != "shell":
            return BeforeToolCallResult_Unchanged()
        command = json.loads(event.arguments).get("command", "")
        if RECURSIVE_DELETE.search(command):
            print(f"blocked: {command}")
            return BeforeToolCallResult_Cancel(Cancellation("my-hook: no recursive deletes"))
        # To rewrite the call, set event.arguments (a JSON object, as text) and return
        # BeforeToolCallResult_Continue(event); import BeforeToolCallResult_Continue above.
        return BeforeToolCallResult_Unchanged()

    # Every function of the interface must exist; the host calls only those handles() names.

    def on_gateway_start(self, event: GatewayStartEvent) -> None:
        pass

    def on_gateway_stop(self) -> None:
        pass

    def on_session_start(self, event: SessionEvent) -> None:
        pass

    def on_session_end(self, event: SessionEvent) -> None:
        pass

    def on_llm_input(self, event: LlmInputEvent) -> None:
        pass

    def on_llm_output(self, event: LlmOutputEvent) -> None:
        pass

    def on_after_tool_call(self, event: AfterToolCallEvent) -> None:
        pass

    def on_message_sent(self, event: MessageSentEvent) -> None:
        pass

    def on_heartbeat_tick(self, event: HeartbeatTickEvent) -> None:
        pass

    def after_compaction(self, event: AfterCompactionEvent) -> None:
        pass

    def before_model_resolve(self, event: BeforeModelResolveEvent) -> BeforeModelResolveResult:
        return BeforeModelResolveResult_Unchanged()

    def before_prompt_build(self, event: BeforePromptBuildEvent) -> BeforePromptBuildResult:
        return BeforePromptBuildResult_Unchanged()

    def before_llm_call(self, event: BeforeLlmCallEvent) -> BeforeLlmCallResult:
        return BeforeLlmCallResult_Unchanged()

    def on_message_received(self, event: MessageReceivedEvent) -> MessageReceivedResult:
        return MessageReceivedResult_Unchanged()

    def on_message_sending(self, event: MessageSendingEvent) -> MessageSendingResult:
        return MessageSendingResult_Unchanged()

    def before_compaction(self, event: BeforeCompactionEvent) -> BeforeCompactionResult:
        return BeforeCompactionResult_Unchanged()

    def tool_result_persist(self, event: ToolResultPersistEvent) -> ToolResultPersistResult:
        return ToolResultPersistResult_Unchanged()
