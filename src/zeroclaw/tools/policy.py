"""`SecurityPolicy`: what the model may do, decided by the host before any tool runs.

It answers four questions from the `[tools]` config: may this tool be called now (and
does it need approval), which file does this path mean inside the workspace, which
program does this command run, and may this URL be fetched. The agent loop asks the first
before every call; built-in tools ask the other three on their own arguments.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from zeroclaw.config.models import ApprovalAction, ToolsConfig
from zeroclaw.tools.errors import PolicyViolation

PolicyAction = Literal["allow", "needs_approval", "deny"]

# Unquoted, these mean something to a shell; we exec without one, so a command that uses
# them would not do what its author expects. Backticks and $( are refused even inside
# double quotes, where a shell would still substitute them.
_SHELL_OPERATORS = (";", "|", "&", ">", "<")
_SUBSTITUTIONS = ("`", "$(")


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    action: PolicyAction
    reason: str
    # The tools.approval rule that decided, when one did (an allow by rule is an
    # auto-approval; the audit log says so).
    rule: str | None = None

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


class SecurityPolicy:
    def __init__(self, config: ToolsConfig, workspace: Path) -> None:
        self.config = config
        # Resolved once: every confined path is compared against the real directory.
        self.workspace = Path(workspace).expanduser().resolve()

    # -- calls --------------------------------------------------------------------------

    def check_call(
        self, tool_name: str, mutating: bool, calls_so_far: int, *, command: str | None = None
    ) -> PolicyDecision:
        """May the model call `tool_name` now, `calls_so_far` calls into this turn?
        `command`: the command line the call runs (shell), for tools.approval.commands.

        In order: tools.allowed, the per-turn limit, a command rule that denies, read_only
        autonomy, then approval: a command rule that asks or always_ask asks (even for a
        tool that changes nothing, even under full autonomy); a tool that changes nothing
        runs; a command rule that allows or auto_approve runs it without asking; else
        supervised asks and full runs."""
        allowed = self.config.allowed
        if "*" not in allowed and tool_name not in allowed:
            return PolicyDecision("deny", f"tool {tool_name!r} is not in tools.allowed")
        limit = self.config.max_calls_per_turn
        if calls_so_far >= limit:
            return PolicyDecision(
                "deny",
                f"this turn already made {calls_so_far} tool calls "
                f"(tools.max_calls_per_turn = {limit})",
            )
        rules = self.config.approval
        command_rule = _command_rule(rules.commands, command)
        if command_rule is not None and command_rule[1] == "deny":
            rule = f"tools.approval.commands[{command_rule[0]!r}]"
            return PolicyDecision("deny", f"command {command!r} is denied by {rule}", rule)
        autonomy = self.config.autonomy
        if mutating and autonomy == "read_only":
            return PolicyDecision(
                "deny", f"{tool_name!r} changes things and tools.autonomy is read_only"
            )
        if command_rule is not None and command_rule[1] == "ask":
            rule = f"tools.approval.commands[{command_rule[0]!r}]"
            return PolicyDecision("needs_approval", f"command {command!r} matches {rule}", rule)
        asked = _first_match(rules.always_ask, tool_name)
        if asked is not None:
            rule = f"tools.approval.always_ask[{asked!r}]"
            return PolicyDecision("needs_approval", f"{tool_name!r} matches {rule}", rule)
        if not mutating:
            return PolicyDecision("allow", f"{tool_name!r} changes nothing")
        if command_rule is not None:  # allow
            rule = f"tools.approval.commands[{command_rule[0]!r}]"
            return PolicyDecision("allow", f"command {command!r} is allowed by {rule}", rule)
        approved = _first_match(rules.auto_approve, tool_name)
        if approved is not None:
            rule = f"tools.approval.auto_approve[{approved!r}]"
            return PolicyDecision("allow", f"{tool_name!r} matches {rule}", rule)
        if autonomy == "supervised":
            return PolicyDecision(
                "needs_approval", f"{tool_name!r} changes things and tools.autonomy is supervised"
            )
        return PolicyDecision("allow", "tools.autonomy is full")

    # -- paths --------------------------------------------------------------------------

    def resolve_path(self, raw: str) -> Path:
        """The real path `raw` names inside the workspace (relative paths start there).

        Symlinks are resolved before the check, also for a file that does not exist yet
        (its existing ancestors are resolved), so neither `..` nor a link leads out.
        """
        if "\x00" in raw:
            raise PolicyViolation("a path may not contain a NUL character")
        candidate = Path(raw).expanduser()
        if not candidate.is_absolute():
            candidate = self.workspace / candidate
        try:
            resolved = candidate.resolve()
        except UnicodeEncodeError:
            raise PolicyViolation(f"path {raw!r} is not valid text (a lone surrogate)") from None
        except (OSError, RuntimeError) as exc:  # a symlink loop, on 3.11 a RuntimeError
            raise PolicyViolation(f"cannot resolve path {raw!r}: {exc}") from exc
        if not resolved.is_relative_to(self.workspace):
            raise PolicyViolation(
                f"path {raw!r} is outside the workspace {self.workspace}",
                hint="use a path inside the workspace; relative paths start there "
                "(tools.workspace sets it)",
            )
        return resolved

    # -- commands -----------------------------------------------------------------------

    def check_command(self, command: str) -> list[str]:
        """The argv `command` runs, if its program is allowed and it uses no shell syntax."""
        _refuse_shell_syntax(command)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise PolicyViolation(f"cannot parse command {command!r}: {exc}") from exc
        if not argv:
            raise PolicyViolation("the command is empty")
        program = argv[0]
        allowed = self.config.shell.allowed_commands
        if os.path.basename(program) not in allowed:
            raise PolicyViolation(
                f"program {program!r} is not in tools.shell.allowed_commands",
                hint=f"allowed: {', '.join(allowed) or '(none)'}",
            )
        if "/" in program:
            self._refuse_workspace_program(program)
        for argument in argv[1:]:
            self._confine_argument(argument)
        return argv

    def _confine_argument(self, argument: str) -> None:
        """An argument that names a path must name one inside the workspace.

        The program runs with the workspace as its directory, so every argument is read as
        a path relative to it (and the value of `--opt=value` too): `cat /etc/passwd`,
        `cat ../secret` or a link out of the workspace are refused, while plain words
        (`echo hello`) resolve inside and pass. It errs on the side of refusing: `echo /`
        is refused as well.
        """
        value = argument
        if argument.startswith("-"):
            # A flag; only the value of `--opt=value` can name a path.
            value = argument.partition("=")[2]
        if not value:
            return
        try:
            self.resolve_path(value)
        except PolicyViolation as exc:
            raise PolicyViolation(
                f"argument {argument!r} leads outside the workspace {self.workspace}",
                hint="shell commands may only touch paths inside the workspace",
            ) from exc

    def _refuse_workspace_program(self, program: str) -> None:
        # A program inside the workspace may have been written by the model itself
        # (file_write), so an allowed name there proves nothing about what runs.
        target = Path(program)
        if not target.is_absolute():
            target = self.workspace / target
        if target.resolve().is_relative_to(self.workspace):
            raise PolicyViolation(
                f"program {program!r} is inside the workspace, where the model can write",
                hint="call allowed programs by name",
            )

    # -- URLs ---------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Refuse `url` unless it is http(s) to a host in tools.http_request.allowed_hosts."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise PolicyViolation(f"invalid URL {url!r}: {exc}") from exc
        if parsed.scheme not in ("http", "https"):
            raise PolicyViolation(
                f"URL {url!r} is not http or https", hint="only http:// and https:// are allowed"
            )
        host = _normal_host(parsed.host)
        if not host:
            raise PolicyViolation(f"URL {url!r} has no host")
        patterns = self.config.http_request.allowed_hosts
        if not any(_host_matches(host, pattern) for pattern in patterns):
            raise PolicyViolation(
                f"host {host!r} is not in tools.http_request.allowed_hosts",
                hint=f"allowed: {', '.join(patterns)}"
                if patterns
                else "the list is empty, so no host is allowed; add the host to it",
            )


_STRICTNESS: dict[ApprovalAction, int] = {"deny": 0, "ask": 1, "allow": 2}


def _command_rule(
    rules: dict[str, ApprovalAction], command: str | None
) -> tuple[str, ApprovalAction] | None:
    """The (pattern, action) of the strictest rule matching `command` (deny, then ask, then
    allow), or None. Whitespace runs count as one space, so `rm  -rf x` matches `rm *`."""
    if command is None or not rules:
        return None
    line = " ".join(command.split())
    matching = [(p, a) for p, a in rules.items() if fnmatch.fnmatchcase(line, p)]
    if not matching:
        return None
    return min(matching, key=lambda rule: _STRICTNESS[rule[1]])


def _first_match(patterns: list[str], name: str) -> str | None:
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p)), None)


def _refuse_shell_syntax(command: str) -> None:
    if "\n" in command or "\r" in command:
        raise PolicyViolation("a command may not contain a newline; run one command per call")
    for token in _SUBSTITUTIONS:
        if token in command:
            raise PolicyViolation(
                f"command substitution ({token}) is not supported: commands run without a shell"
            )
    operators = _unquoted_operators(command)
    if operators:
        raise PolicyViolation(
            f"shell operator {operators[0]!r} is not supported: commands run without a shell",
            hint="run one program per call, without pipes, redirections or chaining",
        )


def _unquoted_operators(command: str) -> list[str]:
    """The shell operator characters of `command` that are outside quotes."""
    found: list[str] = []
    quote: str | None = None
    escaped = False
    for char in command:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char in _SHELL_OPERATORS:
            found.append(char)
    return found


def _normal_host(host: str) -> str:
    return host.rstrip(".").lower()


def _host_matches(host: str, pattern: str) -> bool:
    pattern = _normal_host(pattern.strip())
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern
