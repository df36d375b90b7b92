"""ZeroClaw source trees side by side: the audit redactor (observability/redaction.py,
`Redactor().text`) on texts of N and 4N characters, and the audit line of a tool call
whose output is such a text (`AuditLog.line`, max_chars 2000: redacted then cut, or cut
where only the window it keeps is redacted), measured in one run.

Each row is a kind of text at two sizes; a tree whose redaction is linear costs ~4x at 4N,
a quadratic one ~16x. The kinds: words ending in a secret's key name (`abckey abckey ...`,
what a long tool output holding one of the words looks like), secrets' key names with
values (every shape runs), and two hostile ones the former patterns scanned from every
position of a run (`a-a-a-... token`, `eyJ-eyJ-...`); then the audit line of a tool
output of 256 KiB and 1 MiB (lines of a log with a key=value secret, and the hostile
`a-a-a-...`), where a tree that redacts only what the cut keeps costs the same at both
sizes; then the same log-line tool outputs of 256 KiB and 1 MiB through the `log`
backend with record_content (`LogObserver.record` to a handler that formats and drops the
record: written whole and raw, or redacted and cut to 2000) and through the
`webhook_audit` hook (`WebhookAudit.observe`, its POST replaced by a no-op: the body
redacted whole on the event loop, or in a worker thread). The `loop CPU` column is the
CPU time of the calling thread (the event loop's, for the webhook rows); `CPU` is the
process's. Each round runs every tree in a child process of its own with that tree's `src`
first on the path, forwards then backwards in alternate rounds; within a child each text
is redacted until 0.3 s have passed (at least 3 times), and the child reports the median
wall and CPU time of one call. The table gives medians over rounds, the 4N/N ratio of the
CPU medians, and the median of per-round ratios of CPU time to the first tree (CPU time:
on a shared machine the wall time also counts others' work).
Nothing is asserted.

    mkdir -p /tmp/t-main && git archive main src wit | tar -x -C /tmp/t-main
    .venv/bin/python benchmarks/redaction_ab.py main=/tmp/t-main/src redact=src
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from report import (
    ab_children_main,
    by_row_and_tree,
    load_line,
    ratio_to_first,
    write_rows,
)

LOG_LINE = "2026-01-07 10:31:02 GET /api/items?id=42 200 token=hunter22 elapsed=12ms\n"
# (kind, the repeated unit, what ends the text, N, through what: redact (`Redactor.text`),
# audit (the audit line), log (the log backend), webhook (webhook_audit)): N is kept small
# enough for the former quadratic patterns to finish (a-a-a... of 16,000 took them ~23 s a
# call).
KINDS = (
    ("words ending in key", "abckey ", "", 16_000, "redact"),
    ('"x_token": "value" pairs', '"x_token": "value", ', "", 16_000, "redact"),
    ("a-a-a... token (hostile)", "a-", " token=x", 1_000, "redact"),
    ("eyJ-eyJ-... (hostile)", "eyJ-", "", 1_000, "redact"),
    ("tool output, audit line", LOG_LINE, "", 1 << 18, "audit"),
    ("a-a-a... tool output, audit line", "a-", " token=x", 1 << 18, "audit"),
    ("tool output, log backend", LOG_LINE, "", 1 << 18, "log"),
    ("tool output, webhook_audit", LOG_LINE, "", 1 << 18, "webhook"),
)
MIN_SECONDS = 0.3
MAX_CHARS = 2000


def texts() -> dict[str, tuple[str, str]]:
    """Each row's text, and what it is measured through."""
    out: dict[str, tuple[str, str]] = {}
    for kind, unit, tail, size, through in KINDS:
        for label, chars in (("N", size), ("4N", 4 * size)):
            out[f"{kind}, {label}={chars:,}"] = (unit * (chars // len(unit)) + tail, through)
    return out


class _Drop(logging.Handler):
    """Formats each record, as a handler writing it would, and drops it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def _webhook_call(text: str) -> Callable[[], None]:
    """One `observe` of an on_after_tool_call whose output is `text`, on an event loop of
    its own, the POST replaced by a no-op."""
    from zeroclaw.hooks import AfterToolCall, Event
    from zeroclaw.hooks.builtin import WebhookAudit
    from zeroclaw.messages import ToolResult
    from zeroclaw.observability import Redactor

    event = Event.ON_AFTER_TOOL_CALL
    webhook = WebhookAudit(
        "http://127.0.0.1:9/", [event], Redactor(), attempts=1, backoff_s=0.1, timeout_s=1
    )

    async def delivered(body: bytes, headers: dict[str, str]) -> str | None:
        return None

    webhook._deliver = delivered  # type: ignore[method-assign]
    payload = AfterToolCall("s", "shell", {}, ToolResult.ok(text), 1.0)
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)
    return lambda: loop.run_until_complete(webhook.observe(event, payload))


def child(out: Path) -> None:
    """Redact every text with this process's zeroclaw; write the medians of one call."""
    from zeroclaw.messages import ToolResult
    from zeroclaw.observability import AuditLog, LogObserver, Redactor, ToolCallFinished

    redactor = Redactor()
    logger = logging.getLogger("redaction_ab")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(_Drop())
    log = LogObserver(logger, include_content=True)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        audit = AuditLog(path, redactor, max_bytes=1 << 30, backups=1, max_chars=MAX_CHARS)
        for row, (text, through) in texts().items():
            event = ToolCallFinished("s", "t", "c", "shell", {}, ToolResult.ok(text), 1.0)
            calls: dict[str, Callable[[], object]] = {
                "redact": partial(redactor.text, text),
                "audit": partial(audit.line, event),
                "log": partial(log.record, event),
            }
            call = _webhook_call(text) if through == "webhook" else calls[through]
            walls: list[float] = []
            cpus: list[float] = []
            loop_cpus: list[float] = []
            started = time.perf_counter()
            while len(walls) < 3 or time.perf_counter() - started < MIN_SECONDS:
                wall, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
                call()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                loop_cpus.append(time.thread_time() - loop_cpu)
            rows[row] = {
                "ms": statistics.median(walls) * 1e3,
                "cpu_ms": statistics.median(cpus) * 1e3,
                "loop_cpu_ms": statistics.median(loop_cpus) * 1e3,
            }
        audit.close()
    write_rows(out, rows)


def table(trees: list[str], runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    first = trees[0]
    med = statistics.median
    ms = {(row, tree): med(r["ms"] for r in mine) for row, tree, mine, _ in by_row_and_tree(runs)}
    cpu = {
        (row, tree): med(r["cpu_ms"] for r in mine) for row, tree, mine, _ in by_row_and_tree(runs)
    }
    loop_cpu = {
        (row, tree): med(r.get("loop_cpu_ms", r["cpu_ms"]) for r in mine)
        for row, tree, mine, _ in by_row_and_tree(runs)
    }
    lines = [
        f"{args.rounds} alternating rounds; each a child process per tree redacting every "
        f"text for at least {MIN_SECONDS} s. Medians over rounds.",
        "",
        f"| text | tree | ms/call | CPU ms/call | loop CPU ms/call | CPU us/char | "
        f"CPU x N (4N row) | CPU x {first} (per round) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row, tree, mine, theirs in by_row_and_tree(runs):
        chars = int(row.rpartition("=")[2].replace(",", ""))
        growth = ""
        if ", 4N=" in row:
            n_row = next(r for r, _ in ms if r.startswith(row.partition(", 4N=")[0] + ", N="))
            growth = f"{cpu[row, tree] / cpu[n_row, tree]:.1f}"
        versus = ratio_to_first(mine, theirs, itemgetter("cpu_ms"))
        lines.append(
            f"| {row} | {tree} | {ms[row, tree]:.3f} | {cpu[row, tree]:.3f} | "
            f"{loop_cpu[row, tree]:.3f} | {cpu[row, tree] * 1e3 / chars:.3f} | {growth} | "
            f"{versus:.3f} |"
        )
    lines += ["", load_line(args.load)]
    return "\n".join(lines)


def main() -> int:
    return ab_children_main(__doc__, __file__, child, table, rounds=5)


if __name__ == "__main__":
    raise SystemExit(main())
