"""What every benchmark script shares: replacing its section of a Markdown file between
its markers, the lines that say which machine measured it and under what load, the
source trees an A/B script runs side by side in alternating rounds, and the way to the
tests' helpers (a WAT guest's allocator, a PostgreSQL server) that benchmarks reuse."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TESTS = Path(__file__).resolve().parents[1] / "tests"


def put_tests_on_path(folder: str = "") -> None:
    """Put tests/FOLDER (tests/ itself by default) on the import path, so a benchmark can
    import a helper module of the tests (`wat_builder`, `postgres_server`) as they do."""
    path = str(TESTS / folder)
    if path not in sys.path:
        sys.path.insert(0, path)


def replace_section(path: Path, name: str, body: str) -> None:
    """Put `body` between `<!-- NAME:start -->` and `<!-- NAME:end -->` in `path`,
    replacing what was there, or append the section when the markers are missing."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def machine_line() -> str:
    return (
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"wasmtime {version('wasmtime')}, {platform.system()}."
    )


def load_line(at_start: float) -> str:
    at_end = os.getloadavg()[0]
    return f"Load average (1 min): {at_start:.1f} at the start, {at_end:.1f} at the end."


def source_tree(text: str) -> tuple[str, Path]:
    """A `NAME=PATH/TO/src` argument of an A/B script (the name defaults to the path)."""
    name, _, path = text.rpartition("=")
    return name or path, Path(path).resolve()


def alternating_rounds(
    trees: Sequence[tuple[str, Path]], rounds: int, run: Callable[[Path], T]
) -> dict[str, list[T]]:
    """`run(src)` of every tree once per round, the trees' order reversed every other
    round, so drift of a shared machine touches all alike; each tree's results in order."""
    runs: dict[str, list[T]] = {name: [] for name, _ in trees}
    for number in range(rounds):
        for name, src in trees if number % 2 == 0 else reversed(trees):
            runs[name].append(run(src))
        print(f"round {number + 1}/{rounds} done", file=sys.stderr)
    return runs
