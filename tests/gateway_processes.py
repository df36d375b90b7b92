"""Real `zeroclaw gateway` processes for the tests of several suites (gateway, reload,
adversarial faults): started from a config file, their base URL read from their output.

Each process's output is read to the end by a thread of its own, from the start: a chatty
gateway never blocks on a full pipe, and a test asks for what it printed through
`wait_for_line` and `gateway_output` rather than reading the pipe itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GatewayStarter = Callable[[Path], tuple["subprocess.Popen[str]", str]]
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


class _Output:
    """Every line a process printed, read by a daemon thread until the pipe closes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.closed = False
        self._changed = threading.Condition()
        assert process.stdout is not None
        self._pipe = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._pipe:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str] | None:
        """The first line matching `pattern`; None once the output ended or time ran out."""
        seen = 0
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if match := pattern.search(line):
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    return None
                self._changed.wait(left)

    def whole(self, timeout: float) -> str:
        with self._changed:
            self._changed.wait_for(lambda: self.closed, timeout)
            return "".join(self.lines)


_OUTPUTS: dict[int, _Output] = {}


def wait_for_line(
    process: subprocess.Popen[str], pattern: str, timeout: float = 60
) -> re.Match[str]:
    """The first line `process` printed that matches `pattern` (waiting for it)."""
    match = _OUTPUTS[process.pid].wait_for(re.compile(pattern), timeout)
    if match is None:
        raise AssertionError(f"the gateway printed no line matching {pattern!r}")
    return match


def gateway_output(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Everything `process` printed, once it has exited (wait for it first)."""
    return _OUTPUTS[process.pid].whole(timeout)


@contextmanager
def gateway_processes() -> Iterator[GatewayStarter]:
    """Start real `zeroclaw gateway` processes (`python -m zeroclaw`, a free port) from
    config files: `start(config)` gives the process and its base URL once it listens.
    Whatever still runs at the end is killed."""
    processes: list[subprocess.Popen[str]] = []

    def start(config: Path) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "zeroclaw", "--config", str(config), "gateway", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        processes.append(process)
        output = _OUTPUTS[process.pid] = _Output(process)
        listening = output.wait_for(_LISTENING, timeout=120)
        if listening is None:
            raise AssertionError(
                f"the gateway did not start (exit {process.poll()}):\n{output.whole(5)}"
            )
        return process, f"http://127.0.0.1:{listening[1]}"

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            _OUTPUTS.pop(process.pid, None)
