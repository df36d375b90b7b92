"""The terminal chat's line editor: prompt-toolkit, when a person sits at a terminal.

What it decides:
- History is one file in the data dir (`chat_history`, mode 0600: people paste secrets),
  shared by every session and run, as a shell's is; Up recalls messages of earlier runs.
  A file that cannot be written costs the history, never the chat: a warning names it
  and the history lives in memory for this run.
- Enter sends. Esc Enter (Alt-Enter), or a backslash at the end of the line, starts a
  new line of the same message, so a pasted or typed paragraph is one message.
- Tab completes the `/` commands (chat_commands.py) and, after `/tool `, the names of the
  tools of the live plugin snapshot (asked at each completion: a reload may add some).
- Ctrl-C at the prompt clears the line, as in a shell; Ctrl-D on an empty line leaves.
  (Ctrl-C while a turn runs is the chat's business: terminal.py cancels that turn.)

When stdin is not a terminal (a script pipes lines in), terminal.py reads plain lines
instead: no editor, no history file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console

from zeroclaw.channels.chat_commands import CHAT_COMMANDS

HISTORY_FILE = "chat_history"

ToolNames = Callable[[], Iterable[str]]


class ChatCompleter(Completer):
    """`/` commands as the first word; tool names as the word after `/tool `."""

    def __init__(self, tool_names: ToolNames) -> None:
        self._tool_names = tool_names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        if "\n" in before:
            return
        if before.startswith("/") and " " not in before:
            for name, meta in CHAT_COMMANDS.items():
                if name.startswith(before):
                    yield Completion(name, start_position=-len(before), display_meta=meta)
            return
        command, _, word = before.partition(" ")
        if command == "/tool" and " " not in word:
            for name in sorted(self._tool_names()):
                if name.startswith(word):
                    yield Completion(name, start_position=-len(word))


class ChatPrompt:
    """Reads one message at a time from a person at a terminal."""

    interactive = True

    def __init__(self, console: Console, history_path: Path, tool_names: ToolNames) -> None:
        self._console = console
        self.history_path = history_path
        self._session: PromptSession[str] = PromptSession(
            history=chat_history(history_path, console),
            completer=ChatCompleter(tool_names),
            complete_while_typing=True,
            key_bindings=_keys(),
            prompt_continuation="... ",
        )
        self._prompt = _ansi(console, "[bold green]you>[/] ")

    async def read(self) -> str | None:
        """The next message, or None when the user leaves (Ctrl-D)."""
        while True:
            try:
                return await self._session.prompt_async(self._prompt)
            except KeyboardInterrupt:
                continue  # the line is dropped; a new prompt, as in a shell
            except EOFError:
                return None


async def ask(console: Console, question: str) -> str | None:
    """One answer to `question` (rich markup) on the terminal; None for Ctrl-C or Ctrl-D."""
    session: PromptSession[str] = PromptSession()
    try:
        return await session.prompt_async(_ansi(console, question))
    except (KeyboardInterrupt, EOFError):
        return None


def chat_history(path: Path, console: Console) -> History:
    """The history file at `path`, made if missing (readable by its owner only); when it
    cannot be written, a warning and a history that lasts this run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # The mode above applies only to a file it creates: one made before (by
            # hand, a restore, a umask-created copy) is made owner-only too.
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        console.print(
            f"[yellow]warning:[/] the chat history is not kept: cannot write {path} "
            f"({exc.strerror or exc}); check that the data dir is writable",
            highlight=False,
        )
        return InMemoryHistory()
    return FileHistory(path)


def _keys() -> KeyBindings:
    keys = KeyBindings()
    at_end_after_backslash = Condition(_at_end_after_backslash)

    @keys.add("escape", "enter")
    def _new_line(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @keys.add("enter", filter=at_end_after_backslash)
    def _continue_line(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.delete_before_cursor(1)
        buffer.insert_text("\n")

    return keys


def _at_end_after_backslash() -> bool:
    document = get_app().current_buffer.document
    return document.is_cursor_at_the_end and document.text.endswith("\\")


def _ansi(console: Console, markup: str) -> ANSI:
    """Rich markup as the escape codes prompt-toolkit draws (one look for both)."""
    with console.capture() as captured:
        console.print(markup, end="", highlight=False)
    return ANSI(captured.get())
