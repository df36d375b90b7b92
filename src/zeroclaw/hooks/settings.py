"""The [hooks] table of the config file, with one sub-table per built-in hook.

The built-ins' settings live here rather than beside their handlers: the config models
import this module, and the handlers import the config, memory and providers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from zeroclaw.hooks.events import EVENT_SPECS, Event, HookKind
from zeroclaw.section import Section

BootScriptMode = Literal["append", "replace", "context"]

_VOID_EVENTS = tuple(
    event.value for event, spec in EVENT_SPECS.items() if spec.kind is HookKind.VOID
)


class CommandLoggerSettings(Section):
    """Deprecated: the audit log ([audit]) writes every tool call now, with its owner and
    approval. A key set here still stands for the [audit] key of the same name, unless
    [audit] sets it."""

    enabled: bool | None = Field(
        None, description="Deprecated: use audit.enabled.", examples=[True]
    )
    path: str | None = Field(
        None, description="Deprecated: use audit.path.", examples=["audit/audit.jsonl"]
    )
    max_chars: int | None = Field(
        None, ge=64, le=1_000_000, description="Deprecated: use audit.max_chars.", examples=[2000]
    )


class SessionMemorySettings(Section):
    """session_memory: a summary of each session is stored when it ends (and after each
    compaction); a new session of the same user starts with the relevant earlier ones."""

    enabled: bool = Field(True, description="Store session summaries and recall them.")
    recall_limit: int = Field(
        3,
        ge=0,
        le=20,
        description="Earlier sessions of the same user whose summaries a session's prompt "
        "gets (0: store, but recall nothing).",
    )
    max_recall_chars: int = Field(
        4000,
        ge=200,
        le=100_000,
        description="Characters of recalled summaries at most; longer ones are cut.",
    )
    summary_timeout_s: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Time the summary at session end may take (it calls the model).",
    )
    priority: int = Field(
        50, description="Where the recall sorts among before_prompt_build handlers."
    )


class BootScriptSettings(Section):
    """boot_script: a file rendered into the system prompt of every session; `!command`
    lines run a command the security policy allows and insert its output."""

    path: str | None = Field(
        None,
        description="The boot script file (relative: to data_dir). Empty: no boot script.",
        examples=["boot.md"],
    )
    mode: BootScriptMode = Field(
        "append",
        description='What the rendered script does: "append" to the system prompt, '
        '"replace" it, or add a "context" block.',
    )
    command_timeout_s: float = Field(
        5.0, gt=0, le=600, description="Time one `!command` of the script may run."
    )
    max_output_chars: int = Field(
        4000, ge=64, le=1_000_000, description="Output of one `!command` kept at most."
    )
    priority: int = Field(
        100, description="Where the boot script sorts among before_prompt_build handlers."
    )


class WebhookAuditSettings(Section):
    """webhook_audit: selected void events POSTed as JSON to a URL, in the background."""

    enabled: bool = Field(False, description="POST the selected events to `url`.")
    url: str | None = Field(
        None,
        description="Where events are POSTed; its host must be in "
        "tools.http_request.allowed_hosts.",
        examples=["https://audit.example.com/zeroclaw"],
    )
    events: list[str] = Field(
        default_factory=lambda: ["on_session_start", "on_session_end"],
        description="Void events to send: " + ", ".join(_VOID_EVENTS) + ".",
    )
    include_content: bool = Field(
        False,
        description="Allow events that carry conversation content (on_llm_input, "
        "on_llm_output, on_after_tool_call, on_message_sent, after_compaction) in `events`.",
    )
    attempts: int = Field(3, ge=1, le=10, description="Tries per event (the first included).")
    backoff_ms: int = Field(
        500, ge=0, le=60_000, description="Wait before the first retry; doubled before each next."
    )
    timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout of one POST.")
    secret_env: str | None = Field(
        None,
        description="Environment variable holding a shared secret; each POST is then signed "
        "(X-ZeroClaw-Signature: sha256=<HMAC of the body>).",
        examples=["ZEROCLAW_WEBHOOK_SECRET"],
    )

    @field_validator("events", mode="after")
    @classmethod
    def _void_events(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in _VOID_EVENTS:
                raise ValueError(
                    f"{name!r} is not a void hook event; use one of: {', '.join(_VOID_EVENTS)}"
                )
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _url_when_enabled(self) -> WebhookAuditSettings:
        if self.enabled and not self.url:
            raise ValueError("webhook_audit is enabled but has no url: set url, or enabled = false")
        return self

    @model_validator(mode="after")
    def _content_needs_consent(self) -> WebhookAuditSettings:
        # Conversation content leaves the machine only when the operator said so.
        if not self.include_content:
            carrying = [name for name in self.events if Event(name).carries_content]
            if carrying:
                raise ValueError(
                    f"events {', '.join(carrying)} carry conversation content: set "
                    "include_content = true to send them, or remove them from events"
                )
        return self


class HooksSettings(Section):
    """Hooks: handler time limits, the background queue of void hooks, the heartbeat, and
    one table per built-in hook."""

    timeout_ms: int = Field(
        5000,
        ge=1,
        le=600_000,
        description="Time one hook handler call may take when the handler sets no timeout "
        "of its own; past it the handler's failure policy applies.",
    )
    max_pending_void: int = Field(
        1000,
        ge=1,
        description="Void-hook handler calls running in the background at most; beyond "
        "this new calls are dropped and counted.",
    )
    drain_timeout_ms: int = Field(
        5000,
        ge=0,
        le=600_000,
        description="At shutdown, time given to running void-hook calls before they are cancelled.",
    )
    heartbeat_interval_s: float = Field(
        60.0,
        ge=0,
        le=86_400,
        description="Seconds between on_heartbeat_tick events while the agent runs (0: off).",
    )
    command_logger: CommandLoggerSettings = Field(default_factory=CommandLoggerSettings)
    session_memory: SessionMemorySettings = Field(default_factory=SessionMemorySettings)
    boot_script: BootScriptSettings = Field(default_factory=BootScriptSettings)
    webhook_audit: WebhookAuditSettings = Field(default_factory=WebhookAuditSettings)
