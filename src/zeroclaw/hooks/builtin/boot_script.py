"""boot_script: a file, rendered at the start of each session, that shapes its prompt.

The file is read and checked once, when the runtime starts. At the first prompt of a
session (before_prompt_build) it is rendered and, by `mode`, appended to the system
prompt, replaces it, or is added as a context block; the rendering is kept for the rest
of the session, so every turn of it sees the same prompt.

Syntax, line by line:
- text, with variables written `$name` or `${name}` (string.Template): $date (today,
  ISO), $workspace (the tools' workspace directory), $channel, $session_id. `$$` is a
  literal dollar sign. Any other `$` is an error when the file is loaded, naming the line.
- `!command args`: runs the command (in the workspace, without a shell, like the shell
  tool) and puts its output there, only if the security policy allows it
  (tools.shell.allowed_commands, no shell syntax). A refused command is never run; a note
  saying why takes its place. Variables are not substituted in command lines: $channel
  and $session_id come from clients, and must not choose a command's arguments.
- `\\!text` is a text line that starts with `!`.
"""

from __future__ import annotations

import dataclasses
import string
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from zeroclaw.config.models import ShellConfig
from zeroclaw.hooks.builtin.errors import HookSetupError
from zeroclaw.hooks.events import Event, ModifyingPayload, PromptBuild, VoidPayload
from zeroclaw.hooks.handler import Continue, HandlerSpec, HookOutcome
from zeroclaw.hooks.settings import BootScriptMode
from zeroclaw.tools import PolicyViolation, SecurityPolicy, ToolContext
from zeroclaw.tools.builtin.shell import ShellTool

NAME: Final = "boot_script"
KEY: Final = "hooks.boot_script.path"
VARIABLES: Final = ("date", "workspace", "channel", "session_id")
COMMAND_PREFIX: Final = "!"
ESCAPED_PREFIX: Final = "\\!"

# Rendering and bookkeeping around the commands' own time limits.
_TIMEOUT_MARGIN_S: Final = 5.0
_MAX_REMEMBERED_SESSIONS: Final = 1024
_HINT: Final = (
    "variables: " + ", ".join(f"${name}" for name in VARIABLES) + "; write $$ for a literal $"
)


@dataclass(frozen=True, slots=True)
class TextLine:
    template: string.Template


@dataclass(frozen=True, slots=True)
class CommandLine:
    command: str


Line = TextLine | CommandLine


@dataclass(frozen=True, slots=True)
class BootScript:
    """A boot script file, parsed and checked."""

    path: Path
    lines: tuple[Line, ...]

    @classmethod
    def load(cls, path: Path) -> BootScript:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HookSetupError(
                KEY,
                f"the boot script {path} does not exist",
                hint="create the file, or remove hooks.boot_script.path to run without one "
                "(a relative path starts in data_dir)",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HookSetupError(KEY, f"cannot read the boot script {path}: {exc}") from exc
        return cls(path, tuple(_parse_line(path, n, line) for n, line in _numbered(text)))

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(line.command for line in self.lines if isinstance(line, CommandLine))


class BootScriptHook:
    def __init__(
        self,
        script: BootScript,
        policy: SecurityPolicy,
        shell: ShellConfig,
        *,
        mode: BootScriptMode,
        max_output_chars: int,
        priority: int = 0,
    ) -> None:
        commands = len(script.commands)
        self.spec = HandlerSpec(
            name=NAME,
            events=frozenset({Event.BEFORE_PROMPT_BUILD}),
            priority=priority,
            # Each command has its own limit; the handler's covers them all.
            timeout_s=commands * shell.timeout_s + _TIMEOUT_MARGIN_S if commands else None,
        )
        self.script = script
        self._policy = policy
        self._shell = ShellTool(policy, shell)
        self._mode = mode
        self._max_output_chars = max_output_chars
        self._rendered: OrderedDict[str, str] = OrderedDict()

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        if not isinstance(payload, PromptBuild):
            return Continue(payload)
        text = await self._rendered_for(payload)
        if not text.strip():
            return Continue(payload)
        if self._mode == "replace":
            return Continue(dataclasses.replace(payload, system_prompt=text))
        if self._mode == "context":
            return Continue(dataclasses.replace(payload, context=(*payload.context, text)))
        prompt = f"{payload.system_prompt}\n\n{text}" if payload.system_prompt else text
        return Continue(dataclasses.replace(payload, system_prompt=prompt))

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        return None

    async def _rendered_for(self, prompt: PromptBuild) -> str:
        cached = self._rendered.get(prompt.session_id)
        if cached is not None:
            self._rendered.move_to_end(prompt.session_id)
            return cached
        text = await self.render(
            {
                "date": date.today().isoformat(),
                "workspace": str(self._policy.workspace),
                "channel": prompt.channel,
                "session_id": prompt.session_id,
            },
            session_id=prompt.session_id,
        )
        self._rendered[prompt.session_id] = text
        while len(self._rendered) > _MAX_REMEMBERED_SESSIONS:
            self._rendered.popitem(last=False)
        return text

    async def render(self, values: Mapping[str, str], *, session_id: str) -> str:
        """The script with `values` substituted and the allowed commands' output in place."""
        out: list[str] = []
        for line in self.script.lines:
            if isinstance(line, TextLine):
                out.append(line.template.substitute(values))
            else:
                out.append(await self._run(line.command, session_id))
        return "\n".join(out).strip("\n")

    async def _run(self, command: str, session_id: str) -> str:
        try:
            self._policy.check_command(command)
        except PolicyViolation as refused:
            return f"[boot_script: `{command}` was not run: {refused.message}]"
        context = ToolContext(session_id=session_id, workspace=self._policy.workspace)
        result = await self._shell.execute({"command": command}, context)
        if result.success:
            # A command that worked says so by its output alone.
            output = result.output.removesuffix("[exit code 0]").rstrip()
        else:
            output = f"[boot_script: `{command}` failed: {result.error}]"
        if len(output) > self._max_output_chars:
            output = output[: self._max_output_chars] + "\n[output cut]"
        return output


def _numbered(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), 1))


def _parse_line(path: Path, number: int, line: str) -> Line:
    stripped = line.lstrip()
    if stripped.startswith(COMMAND_PREFIX):
        command = stripped[len(COMMAND_PREFIX) :].strip()
        if not command:
            raise HookSetupError(KEY, f"{path}, line {number}: `!` without a command")
        if any(_placeholders(command)):
            raise HookSetupError(
                KEY,
                f"{path}, line {number}: variables are not substituted in command lines",
                hint="a command runs exactly as written, in the workspace directory",
            )
        return CommandLine(command)
    if stripped.startswith(ESCAPED_PREFIX):
        line = line.replace(ESCAPED_PREFIX, COMMAND_PREFIX, 1)
    template = string.Template(line)
    for name in _placeholders(line):
        if name not in VARIABLES:
            problem = (
                "a `$` not followed by a variable name"
                if name == ""
                else f"unknown variable ${name}"
            )
            raise HookSetupError(KEY, f"{path}, line {number}: {problem}", hint=_HINT)
    return TextLine(template)


def _placeholders(text: str) -> list[str]:
    """The variable names `text` uses; "" stands for a `$` that starts none."""
    names: list[str] = []
    for match in string.Template.pattern.finditer(text):
        if match["invalid"] is not None:
            names.append("")
        elif match["named"] or match["braced"]:
            names.append(match["named"] or match["braced"])
    return names
