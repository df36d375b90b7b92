"""A hook that records the prompts a real agent sends to its model."""

from __future__ import annotations

from zeroclaw.hooks import Event, HookRunner, LLMCall, hook


class PromptProbe:
    """Records the system prompt of every model call (a before_llm_call hook that sorts
    last, so it sees what the other handlers made of the prompt)."""

    def __init__(self, runner: HookRunner) -> None:
        self.system_prompts: list[str] = []

        @hook(Event.BEFORE_LLM_CALL, name="test-probe", priority=-1000)
        def record(call: LLMCall) -> None:
            self.system_prompts.append(call.messages[0].content)

        runner.register(record)

    @property
    def last(self) -> str:
        return self.system_prompts[-1]
