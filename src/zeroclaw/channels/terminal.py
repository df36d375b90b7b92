"""The terminal channel: one-shot (`zeroclaw agent -m ...`) and interactive chat, rendered
with rich. Tool calls are shown as they happened, so the user sees what the agent did.

The chat reads messages through a `LineReader`: prompt-toolkit's editor when a person is
at a terminal (chat_prompt.py), plain lines when a script pipes them in. With a person
there, Ctrl-C while a turn runs cancels that turn and the chat goes on; the agent settles
what the turn had stored (agent/loop.py, CANCELLED_TURN). A script's Ctrl-C still ends it.

Each turn holds its session's lock (`SessionLocks`, the runtime's: the one the gateway's
turns take), so a chat and a gateway request on one session never interleave, even from
two processes sharing a PostgreSQL database; between turns the session is free.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from zeroclaw.agent import Agent, ToolExchange, TurnResult
from zeroclaw.agent.session_locks import SessionLocks
from zeroclaw.channels.chat_commands import CHAT_COMMANDS, CHAT_KEYS, EXIT_WORDS, LOCAL_COMMANDS
from zeroclaw.channels.chat_prompt import ask
from zeroclaw.messages import ToolCall


class LineReader(Protocol):
    """Where the chat's messages come from."""

    # True when a person types them: Ctrl-C then cancels a turn instead of the chat.
    interactive: bool

    async def read(self) -> str | None:
        """The next message, or None when the input ends."""
        ...


class PlainLineReader:
    """Lines from a stdin that is not a terminal (a script), one message each."""

    interactive = False

    def __init__(self, console: Console) -> None:
        self._console = console

    async def read(self) -> str | None:
        try:
            return await asyncio.to_thread(self._console.input, "[bold green]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            self._console.print()
            return None
        except UnicodeDecodeError:
            return "\udcff"  # a strict stdin: the same as a byte it could not decode


class TerminalChannel:
    name = "terminal"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()

    async def send(self, recipient: str, content: str) -> None:
        self.console.print(Text(content))

    def show_exchange(self, exchange: ToolExchange) -> None:
        call, result = exchange.call, exchange.result
        args = json.dumps(call.arguments, ensure_ascii=False)
        body = result.output if result.success else f"error: {result.error}"
        style = "green" if result.success else "red"
        self.console.print(
            Panel(
                escape(_clip(body)),
                title=f"tool {escape(call.name)} {escape(_clip(args, 120))}",
                border_style=style,
                title_align="left",
            )
        )

    def show_turn(self, result: TurnResult) -> None:
        for exchange in result.exchanges:
            self.show_exchange(exchange)
        if result.compaction is not None:
            self.console.print(
                f"[dim]compacted {result.compaction.compacted_messages} older messages[/]"
            )
        # Plain text, not Markdown: a reply often quotes tool output whose line breaks matter.
        if result.delivered:
            self.console.print(Text(result.reply or "(empty reply)"))
        else:
            self.console.print("[dim](the reply was withheld by a hook)[/]")
        usage = result.usage
        self.console.print(
            f"[dim]{result.llm_calls} model call(s), {len(result.exchanges)} tool call(s), "
            f"tokens in/out {usage.input_tokens}/{usage.output_tokens}[/]"
        )

    async def one_shot(
        self, agent: Agent, session_id: str, text: str, *, locks: SessionLocks | None = None
    ) -> TurnResult:
        """One message as a whole session: start, one turn, end."""
        await agent.start_session(session_id, channel=self.name)
        try:
            if locks is None:
                locks = SessionLocks()
            return await self._exchange(agent, session_id, text, locks)
        finally:
            agent.end_session(session_id, channel=self.name)

    async def run_interactive(
        self,
        agent: Agent,
        session_id: str,
        reader: LineReader,
        *,
        locks: SessionLocks | None = None,
    ) -> None:
        if locks is None:  # (an empty SessionLocks is falsy: it has a length)
            locks = SessionLocks()
        help_hint = "/help for keys and commands, " if reader.interactive else ""
        self.console.print(
            f"[bold]ZeroClaw[/] session [cyan]{escape(session_id)}[/], model "
            f"[cyan]{escape(agent.model or 'default')}[/]. Type {help_hint}/exit to leave."
        )
        await agent.start_session(session_id, channel=self.name)
        try:
            while (text := await self._read(reader)) is not None:
                if text in LOCAL_COMMANDS:
                    self._answer_command(agent, text)
                elif text and reader.interactive:
                    await self._cancellable_exchange(agent, session_id, text, locks)
                elif text:
                    await self._exchange(agent, session_id, text, locks)
        finally:
            agent.end_session(session_id, channel=self.name)

    async def _cancellable_exchange(
        self, agent: Agent, session_id: str, text: str, locks: SessionLocks
    ) -> None:
        """One turn that Ctrl-C (SIGINT: the terminal is not in raw mode meanwhile) cancels,
        leaving the chat running."""
        turn = asyncio.ensure_future(self._exchange(agent, session_id, text, locks))
        with _interrupt_cancels(turn):
            try:
                await turn
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # the chat itself is being stopped, not just this turn
                self.console.print("[yellow]cancelled:[/] the turn was stopped (Ctrl-C)")

    def _answer_command(self, agent: Agent, command: str) -> None:
        table = Table(show_header=False, box=None, pad_edge=False)
        if command == "/tools":
            for spec in sorted(agent.extensions_for_turn().tools.specs(), key=lambda s: s.name):
                table.add_row(Text(spec.name, style="cyan"), Text(_first_line(spec.description)))
        else:
            for name, what in CHAT_COMMANDS.items():
                table.add_row(Text(name, style="cyan"), Text(what))
            for key, what in CHAT_KEYS:
                table.add_row(Text(key, style="bold"), Text(what))
        self.console.print(table)

    async def _read(self, reader: LineReader) -> str | None:
        """The next message, or None when the user leaves."""
        text = await reader.read()
        if text is None:
            return None
        text = text.strip()
        if not _is_unicode(text):
            # A byte that is not UTF-8 (a terminal in another encoding): nothing could store
            # it, and ending the chat over it would lose the session's flow.
            self.console.print(
                "[red]error:[/] that line is not valid UTF-8 text, so it was not sent; "
                "type it again (is the terminal set to UTF-8?)"
            )
            return ""
        return None if text in EXIT_WORDS else text

    async def _exchange(
        self, agent: Agent, session_id: str, text: str, locks: SessionLocks
    ) -> TurnResult:
        async with locks.hold(session_id):
            result = await agent.turn(session_id, text, channel=self.name)
        self.show_turn(result)
        agent.message_delivered(result, channel=self.name, recipient="user")
        return result


class TerminalApprover:
    """Supervised autonomy in an interactive terminal: ask before each changing tool."""

    can_ask = True
    in_advance = False

    def __init__(self, console: Console) -> None:
        self.console = console

    async def approve(self, call: ToolCall, reason: str) -> bool:
        args = json.dumps(call.arguments, ensure_ascii=False)
        question = (
            f"[yellow]approve[/] tool [bold]{escape(call.name)}[/] {escape(_clip(args, 200))}"
            f" ({escape(reason)})? {escape('[y/N]')} "
        )
        # prompt-toolkit, not a thread blocked in input(): a turn cancelled meanwhile must
        # leave nothing behind that still reads the terminal. Ctrl-C or Ctrl-D answers no.
        answer = await ask(self.console, question)
        return answer is not None and answer.strip().lower() in {"y", "yes"}


@contextlib.contextmanager
def _interrupt_cancels(task: asyncio.Future[Any]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, a thread)
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
