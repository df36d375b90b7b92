"""The terminal channel: one-shot (`zeroclaw agent -m ...`) and interactive chat, rendered
with rich. Tool calls are shown as they happened, so the user sees what the agent did."""

from __future__ import annotations

import asyncio
import json

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from zeroclaw.agent import Agent, ToolExchange, TurnResult
from zeroclaw.messages import ToolCall

EXIT_WORDS = frozenset({"/exit", "/quit", "exit", "quit"})


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

    async def one_shot(self, agent: Agent, session_id: str, text: str) -> TurnResult:
        """One message as a whole session: start, one turn, end."""
        await agent.start_session(session_id, channel=self.name)
        try:
            return await self._exchange(agent, session_id, text)
        finally:
            agent.end_session(session_id, channel=self.name)

    async def run_interactive(self, agent: Agent, session_id: str) -> None:
        self.console.print(
            f"[bold]ZeroClaw[/] session [cyan]{escape(session_id)}[/], model "
            f"[cyan]{escape(agent.model or 'default')}[/]. Type /exit to leave."
        )
        await agent.start_session(session_id, channel=self.name)
        try:
            while (text := await self._read()) is not None:
                if text:
                    await self._exchange(agent, session_id, text)
        finally:
            agent.end_session(session_id, channel=self.name)

    async def _read(self) -> str | None:
        """The next line typed, or None when the user leaves."""
        try:
            text = await asyncio.to_thread(self.console.input, "[bold green]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            self.console.print()
            return None
        except UnicodeDecodeError:
            text = "\udcff"  # a strict stdin: the same as a byte it could not decode
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

    async def _exchange(self, agent: Agent, session_id: str, text: str) -> TurnResult:
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
            f" ({escape(reason)})? [y/N] "
        )
        try:
            answer = await asyncio.to_thread(self.console.input, question)
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in {"y", "yes"}


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clip(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
