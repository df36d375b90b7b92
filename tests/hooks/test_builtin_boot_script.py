"""boot_script: template variables, the command rule (allowed commands run, refused ones
never do), the modes, and clear errors for a bad file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from prompt_probe import PromptProbe

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Event, PromptBuild
from zeroclaw.hooks.builtin import HookSetupError

PROMPT = PromptBuild("sess-42", "telegram", "alice", "You are ZeroClaw.", ("earlier",))


def boot(config: Config, text: str, **settings: object) -> Path:
    path = config.data_dir / "boot.md"
    path.write_text(text)
    config.hooks.boot_script.path = "boot.md"  # relative: in data_dir
    for key, value in settings.items():
        setattr(config.hooks.boot_script, key, value)
    return path


async def build(config: Config, prompt: PromptBuild = PROMPT) -> PromptBuild:
    """The prompt after the before_prompt_build chain of a runtime built from `config`."""
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, prompt)
    assert not result.cancelled
    return result.payload


async def test_template_variables_are_substituted(config: Config) -> None:
    boot(config, "Today: $date\nWorkspace: ${workspace}\nOn $channel in $session_id; costs $$5\n")
    built = await build(config)

    assert built.system_prompt == (
        "You are ZeroClaw.\n\n"
        f"Today: {date.today().isoformat()}\n"
        f"Workspace: {config.workspace.resolve()}\n"
        "On telegram in sess-42; costs $5"
    )
    assert built.context == ("earlier",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hello\nUser: $user_name\n", "line 2: unknown variable $user_name"),
        ("Hello ${date\n", "line 1: a `$` not followed by a variable name"),
        ("It costs $5\n", "line 1: a `$` not followed by a variable name"),
        ("!ls $workspace\n", "line 1: variables are not substituted in command lines"),
        ("!\n", "line 1: `!` without a command"),
    ],
)
def test_a_bad_script_is_refused_at_start_up_naming_the_line(
    config: Config, text: str, problem: str
) -> None:
    boot(config, text)
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.boot_script.path"
    assert problem in caught.value.message
    assert "boot.md" in caught.value.message


def test_unknown_variables_get_the_list_of_known_ones(config: Config) -> None:
    boot(config, "$user\n")
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.hint is not None
    assert "$date, $workspace, $channel, $session_id" in caught.value.hint


def test_a_missing_file_is_an_error_naming_the_key(config: Config) -> None:
    config.hooks.boot_script.path = "nowhere/boot.md"
    with pytest.raises(HookSetupError) as caught:
        AgentRuntime.from_config(config, approver=AllowApprover())
    assert caught.value.key == "hooks.boot_script.path"
    assert str(config.data_dir / "nowhere" / "boot.md") in caught.value.message
    assert "does not exist" in caught.value.message


async def test_an_allowed_command_runs_and_its_output_is_included(config: Config) -> None:
    (config.workspace / "inventory.txt").write_text("three apples\n")
    boot(config, "Files:\n!ls\nFirst line:\n!head -n 1 inventory.txt\n")
    built = await build(config)

    assert built.system_prompt.endswith("Files:\ninventory.txt\nFirst line:\nthree apples")


async def test_a_refused_command_never_runs_and_leaves_a_note(config: Config) -> None:
    # touch is not in tools.shell.allowed_commands: were it run, the file would exist.
    boot(config, "!touch proof.txt\n!echo fine > proof2.txt\nafter\n")
    built = await build(config)

    assert not (config.workspace / "proof.txt").exists()
    assert not (config.workspace / "proof2.txt").exists()
    assert "[boot_script: `touch proof.txt` was not run: program 'touch' is not in" in (
        built.system_prompt
    )
    assert "[boot_script: `echo fine > proof2.txt` was not run: shell operator '>'" in (
        built.system_prompt
    )
    assert built.system_prompt.endswith("\nafter")


async def test_the_same_command_runs_once_the_policy_allows_it(config: Config) -> None:
    # The control of the test above: the side effect is observable when permitted.
    config.tools.shell.allowed_commands = [*config.tools.shell.allowed_commands, "touch"]
    boot(config, "!touch proof.txt\n")
    await build(config)
    assert (config.workspace / "proof.txt").exists()


async def test_a_failing_command_is_reported_not_hidden(config: Config) -> None:
    boot(config, "!cat missing.txt\n")
    built = await build(config)
    assert "[boot_script: `cat missing.txt` failed:" in built.system_prompt
    assert "[exit code 1]" in built.system_prompt


async def test_a_text_line_may_start_with_an_escaped_bang(config: Config) -> None:
    boot(config, "\\!important: be brief\n")
    built = await build(config)
    assert built.system_prompt.endswith("\n\n!important: be brief")


@pytest.mark.parametrize(
    ("mode", "system_prompt", "context"),
    [
        ("replace", "Boot on telegram", ("earlier",)),
        ("context", "You are ZeroClaw.", ("earlier", "Boot on telegram")),
        ("append", "You are ZeroClaw.\n\nBoot on telegram", ("earlier",)),
    ],
)
async def test_modes(
    config: Config, mode: str, system_prompt: str, context: tuple[str, ...]
) -> None:
    boot(config, "Boot on $channel\n", mode=mode)
    built = await build(config)
    assert (built.system_prompt, built.context) == (system_prompt, context)


async def test_a_session_keeps_the_rendering_of_its_first_prompt(config: Config) -> None:
    status = config.workspace / "status.txt"
    status.write_text("status one\n")
    boot(config, "!cat status.txt\n")
    async with AgentRuntime.from_config(config, approver=AllowApprover()) as runtime:
        probe = PromptProbe(runtime.hooks)
        await runtime.agent.turn("s1", "hello")
        status.write_text("status two\n")
        await runtime.agent.turn("s1", "again")
        await runtime.agent.turn("s2", "hello")

    first, second, other = probe.system_prompts
    assert first.endswith("status one")
    assert second == first  # the same session: the command did not run again
    assert other.endswith("status two")  # a new session renders afresh
