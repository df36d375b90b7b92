"""The `/` commands of the terminal chat: what the chat itself answers, never the model.

One table, read by the chat (to act on a command), by its completion menu and by `/help`,
so the three cannot disagree. `/tool` is listed too, though it is a message and not a
command: it is how the offline provider is asked to call a tool, and its completion offers
the tool names.
"""

from __future__ import annotations

from typing import Final

EXIT_WORDS = frozenset({"/exit", "/quit", "exit", "quit"})

# Name -> what it does, as the completion menu and /help show it.
CHAT_COMMANDS: Final[dict[str, str]] = {
    "/help": "show the chat's commands and keys",
    "/tools": "list the tools the agent can call",
    "/tool": "/tool NAME {json}: ask the offline provider to call tool NAME",
    "/exit": "leave the chat (also /quit or Ctrl-D)",
    "/quit": "leave the chat",
}

# Commands the chat answers itself; anything else (`/tool ...` included) goes to the agent.
LOCAL_COMMANDS: Final = frozenset({"/help", "/tools"})

CHAT_KEYS: Final[tuple[tuple[str, str], ...]] = (
    ("Enter", "send the message"),
    ("Esc Enter, or \\ at the end of a line", "start a new line in the same message"),
    ("Up / Down", "earlier and later messages (kept across runs)"),
    ("Tab", "complete a / command, or a tool name after /tool"),
    ("Ctrl-C", "clear the line; while the agent works, cancel that turn"),
    ("Ctrl-D", "leave the chat (on an empty line)"),
)
