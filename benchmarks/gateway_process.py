"""A real `zeroclaw gateway` process on 127.0.0.1 for the benchmark scripts: started from a
config file in a scratch dir, its port read from its log, stopped at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class GatewayProcess:
    url: str
    pid: int
    log: Path


@contextmanager
def gateway_process(
    workdir: Path, config_text: str, *, source: Path | None = None
) -> Iterator[GatewayProcess]:
    """Run a gateway with `config_text` as its config (in `workdir`) until the block ends;
    `source`: the `src` directory of another ZeroClaw tree to run instead of this one."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.toml"
    config.write_text(config_text)
    command = [sys.executable, "-m", "zeroclaw", "--config", str(config)]
    command += ["gateway", "--port", "0", "--log-level", "warning"]
    # Output goes to a file: a pipe nobody reads would block the server once full.
    log = workdir / "gateway.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=_environment(source),
        )
    try:
        port = _wait_for_port(log, process)
        yield GatewayProcess(f"http://127.0.0.1:{port}", process.pid, log)
    finally:
        process.terminate()
        process.wait(timeout=120)


def _environment(source: Path | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


def _wait_for_port(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if match := _LISTENING.search(log.read_text()):
            return match[1]
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the gateway did not start:\n{log.read_text()}")
