"""The example plugins loaded by the real runtime (plugin.toml, grants, registry, hook
runner) into a real agent turn on a scripted model, a real SQLite file and real tools."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.config.models import ProviderConfig
from zeroclaw.hooks import Event, PromptBuild

from .example_guests import COMPILE_CACHE, EXAMPLES, NAMES, Built, build_of

OPENAI_KEY = "sk-proj-Abc123Def456Ghi789Jkl012Mno345"
GITHUB_TOKEN = "ghp_" + "Z9y8X7w6V5" * 4
GRANTED = ["hooks.conversation", "hooks.modify", "hooks.tool_results", "log"]


def call(name: str, **arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


@pytest.fixture
async def runtime(built: Built, tmp_path: Path) -> AsyncIterator[AgentRuntime]:
    for name in NAMES:
        build_of(built, name)  # skips when a toolchain is missing
    config = Config(data_dir=tmp_path / "data")
    config.tools.autonomy = "full"
    config.workspace.mkdir(parents=True)
    (config.workspace / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\nDEBUG=1\n")
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                call("shell", command="rm -rf /"),
                call("file_read", path=".env"),
                {"text": f"Done. By the way, the deploy token is {GITHUB_TOKEN}."},
            ]
        )
    )
    config.llm.providers = {"script": ProviderConfig(kind="scripted", script=script)}
    config.llm.provider = "script"
    config.plugins.enabled = True
    config.plugins.dirs = [EXAMPLES]
    config.plugins.capabilities.allow = GRANTED
    # The compile cache the other example tests fill: compiling the guests takes seconds.
    config.data_dir.mkdir(parents=True, exist_ok=True)
    COMPILE_CACHE.mkdir(parents=True, exist_ok=True)
    (config.data_dir / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        yield runtime


async def test_all_examples_load_with_their_grants(runtime: AgentRuntime) -> None:
    assert runtime.plugins is not None
    snapshot = runtime.plugins.current()

    assert sorted(snapshot.plugins) == sorted(NAMES)
    assert [s for s in snapshot.statuses if s.error is not None] == []


async def test_a_turn_is_guarded_and_redacted_by_the_plugins(runtime: AgentRuntime) -> None:
    result = await runtime.agent.turn("e2e", "clean up and show me the config")

    blocked, read = result.exchanges
    assert blocked.call.name == "shell"
    assert blocked.result.success is False
    assert blocked.result.error == "blocked by hook: guard-shell: recursive delete of / or home"
    assert read.result.success is True
    assert "OPENAI_API_KEY=[REDACTED:openai-key]" in read.result.output
    assert result.reply == "Done. By the way, the deploy token is [REDACTED:github-token]."
    stored = " ".join(m.message.content for m in await runtime.memory.session_messages("e2e"))
    assert OPENAI_KEY not in stored
    assert "[REDACTED:openai-key]" in stored


async def test_guard_shell_adds_its_line_to_the_prompt(runtime: AgentRuntime) -> None:
    prompt = PromptBuild("e2e", "terminal", None, "You are ZeroClaw.", ())

    result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, prompt)

    assert not result.cancelled
    assert result.payload.system_prompt.startswith("You are ZeroClaw.")
    assert any(line.startswith("Shell safety: the guard-shell") for line in result.payload.context)
