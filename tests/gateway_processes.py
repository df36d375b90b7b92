"""Real `zeroclaw gateway` processes for the tests of several suites (gateway, reload,
adversarial faults): started from a config file, their base URL read from their output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GatewayStarter = Callable[[Path], tuple["subprocess.Popen[str]", str]]
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


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
        assert process.stdout is not None
        for line in process.stdout:
            if match := _LISTENING.search(line):
                return process, f"http://127.0.0.1:{match[1]}"
        raise AssertionError(f"the gateway did not start (exit {process.wait()})")

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
