"""Where the runtime's log lines go when a command runs: stderr, at `--log-level`.

One handler on the `zeroclaw` logger, set up once by the root command for every command
(the gateway raises it to its own level). Below debug, every record is one line: a
traceback attached to it (a failing plugin call, tool or observer logged with exc_info) is
replaced by the error's type, message and hint, and a message spread over lines is joined.
At debug a record is printed whole, traceback included. So no command has to guard its
own logging, and the promise of docs/commands-reference.md holds in one place: one line
per failure, the traceback for `--log-level debug`. Under `--json` each record is one JSON
object (`{"log": {"level", "logger", "message"}}`), so stderr is JSON lines throughout.
The commands' own `error:` / `hint:` lines are printed by cli/state.py.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Final, TextIO

from zeroclaw.cli.json_output import json_errors
from zeroclaw.errors import error_line

LEVELS: Final = ("debug", "info", "warning", "error")
DEFAULT_LEVEL: Final = "warning"
LOGGER: Final = "zeroclaw"
# The gateway prints these beside uvicorn's lines, in the same shape.
FORMAT: Final = "%(levelname)s:     %(name)s %(message)s"


def check_level(name: str) -> str:
    """`name` as a level of LEVELS (any case), or ValueError listing them."""
    level = name.lower()
    if level not in LEVELS:
        raise ValueError("choose " + ", ".join(LEVELS[:-1]) + " or " + LEVELS[-1])
    return level


class OneLineFormatter(logging.Formatter):
    """A record on one line, its exception as `Type: message (hint: ...)`; or, with
    `tracebacks`, the record as logging prints it, traceback and all."""

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__(FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if json_errors():
            # --json: stderr is JSON lines, so a script can tell log lines from the error.
            return json.dumps(
                {
                    "log": {
                        "level": record.levelname.lower(),
                        "logger": record.name,
                        "message": self._one_line(record),
                    }
                },
                ensure_ascii=False,
            )
        if self.tracebacks:
            return super().format(record)
        # A copy: other handlers (a JSON log, pytest's capture) still get the traceback.
        line = logging.makeLogRecord(record.__dict__)
        line.msg, line.args = self._one_line(record), None
        line.exc_info, line.exc_text, line.stack_info = None, None, None
        return " ".join(part.strip() for part in super().format(line).splitlines())

    @staticmethod
    def _one_line(record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if error is not None and error_line(error) not in message:
            message = f"{message}: {error_line(error)}"
        return " ".join(part.strip() for part in message.splitlines())


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to `sys.stderr` as it is when a record comes (a test runner may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class LogOutput:
    """The handler a command installed, to change its level or take it away."""

    def __init__(self) -> None:
        self._logger = logging.getLogger(LOGGER)
        self._previous_level = self._logger.level
        self._handler = _StderrHandler()
        self._logger.addHandler(self._handler)

    def set_level(self, name: str) -> None:
        level = check_level(name)
        self._handler.setFormatter(OneLineFormatter(tracebacks=level == "debug"))
        self._logger.setLevel(level.upper())

    def close(self) -> None:
        """Back to how the logger was (one process may run many commands: tests)."""
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._previous_level)


def log_to_stderr(level: str) -> LogOutput:
    output = LogOutput()
    output.set_level(level)
    return output
