"""redact-secrets: a ZeroClaw hook plugin in Python, built with componentize-py.

It replaces what looks like a credential (API keys, tokens, private keys, `password=...`
values) with `[REDACTED:kind]` in tool results, before they are stored and shown to the
model, and in replies, before they are sent. It logs how many it redacted, never what.

Built with `--stub-wasi`, the component imports no WASI at all: `print`, `open`, `time` and
any `import` run inside a handler would trap. So everything is imported here, at the top.
"""

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
    BeforeToolCallResult_Unchanged,
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
    MessageSendingResult_Continue,
    MessageSendingResult_Unchanged,
    MessageSentEvent,
    SessionEvent,
    ToolResult,
    ToolResultPersistEvent,
    ToolResultPersistResult,
    ToolResultPersistResult_Continue,
    ToolResultPersistResult_Unchanged,
)
from wit_world.imports import log

# (kind, pattern). A match becomes `[REDACTED:kind]`; when the pattern has a group named
# `secret`, only that group does (`password=hunter22` -> `password=[REDACTED:assignment]`).
# Specific shapes come first, so a key is named for what it is.
PATTERNS = [
    (
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
        ),
    ),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})")),
    (
        "assignment",
        re.compile(
            r"(?i)\b(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret|password|passwd)"
            r"[\"']?\s*[:=]\s*[\"']?(?P<secret>(?!\[REDACTED)[^\s\"',;]{6,})"
        ),
    ),
]


def redact(text: str) -> tuple[str, int]:
    """`text` with every secret replaced, and how many were replaced."""
    total = 0
    for kind, pattern in PATTERNS:
        marker = f"[REDACTED:{kind}]"

        def replace(match: re.Match[str], marker: str = marker) -> str:
            if "secret" not in match.re.groupindex:
                return marker
            head = match.string[match.start() : match.start("secret")]
            tail = match.string[match.end("secret") : match.end()]
            return head + marker + tail

        text, count = pattern.subn(replace, text)
        total += count
    return text, total


class Handler(exports.Handler):
    def handles(self) -> list[Event]:
        return [Event.TOOL_RESULT_PERSIST, Event.ON_MESSAGE_SENDING]

    def tool_result_persist(self, event: ToolResultPersistEvent) -> ToolResultPersistResult:
        result = event.result
        output, found = redact(result.output)
        error = result.error
        if error is not None:
            error, in_error = redact(error)
            found += in_error
        if found == 0:
            return ToolResultPersistResult_Unchanged()
        log.log(log.Level.INFO, f"redacted {found} secret(s) from a result of {event.tool}")
        event.result = ToolResult(success=result.success, output=output, error=error)
        return ToolResultPersistResult_Continue(event)

    def on_message_sending(self, event: MessageSendingEvent) -> MessageSendingResult:
        content, found = redact(event.content)
        if found == 0:
            return MessageSendingResult_Unchanged()
        log.log(log.Level.INFO, f"redacted {found} secret(s) from a reply on {event.channel}")
        event.content = content
        return MessageSendingResult_Continue(event)

    # The host calls only the events handles() names. The others must exist (a component
    # exports the whole interface) but never run.

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

    def before_tool_call(self, event: BeforeToolCallEvent) -> BeforeToolCallResult:
        return BeforeToolCallResult_Unchanged()

    def on_message_received(self, event: MessageReceivedEvent) -> MessageReceivedResult:
        return MessageReceivedResult_Unchanged()

    def before_compaction(self, event: BeforeCompactionEvent) -> BeforeCompactionResult:
        return BeforeCompactionResult_Unchanged()
