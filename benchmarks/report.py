"""What every benchmark script shares: replacing its section of a Markdown file between
its markers, the lines that say which machine measured it and under what load, the
source trees an A/B script runs side by side in alternating rounds (its arguments, and its
child process per tree), and the way to the
tests' helpers (a WAT guest's allocator, a PostgreSQL server) that benchmarks reuse."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

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


def ab_parser(doc: str, *, rounds: int, children: bool) -> argparse.ArgumentParser:
    """The arguments every A/B script takes: the source trees (`NAME=PATH/TO/src`, the first
    the baseline) and --rounds; with `children`, the hidden `--child OUT` with which
    `run_child` starts the script in a child process. The script adds its own sizes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", maxsplit=1)[0])
    parser.add_argument(
        "trees",
        nargs="*",
        type=source_tree,
        help="NAME=PATH/TO/src, the first is the baseline",
    )
    parser.add_argument("--rounds", type=int, default=rounds, help="alternating rounds")
    if children:
        parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser


def ab_args(parser: argparse.ArgumentParser, *, at_least: int) -> argparse.Namespace:
    """The parsed arguments, with at least `at_least` trees (a child takes none) and the
    load average at the start (`args.load`, for `load_line`)."""
    args = parser.parse_args()
    if getattr(args, "child", None) is None and len(args.trees) < at_least:
        trees = "a tree" if at_least == 1 else f"at least {at_least} trees"
        parser.error(f"give {trees}: NAME=PATH/TO/src ...")
    args.load = os.getloadavg()[0]
    return args


def run_child(script: str, src: Path, *arguments: object) -> Any:
    """Run `script --child OUT ARGUMENTS...` with the tree `src` (then benchmarks/) first on
    the path, and return the rows it wrote (`write_rows`), once sure it imported zeroclaw
    from that tree: two trees cannot be imported into one process."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        here = str(Path(__file__).resolve().parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), here])}
        command = [sys.executable, str(Path(script).resolve()), "--child", out.name]
        subprocess.run([*command, *map(str, arguments)], env=env, check=True)
        found = json.loads(Path(out.name).read_text())
    if not found["zeroclaw"].startswith(str(src)):
        raise SystemExit(f"the child imported {found['zeroclaw']}, not the tree {src}")
    return found["rows"]


Table = Callable[[list[str], dict[str, list[Any]], argparse.Namespace], str]


def ab_children_main(
    doc: str,
    script: str,
    child: Callable[..., None],
    table: Table,
    *,
    rounds: int,
    sizes: dict[str, int] | None = None,
) -> int:
    """The whole `main` of an A/B script whose trees each run in a child process: its
    arguments (`ab_parser`, plus an int option per size, `--name: default`), the child's
    part (`child(out, *sizes)`), else the alternating rounds of children and the table
    (`table(tree names, runs, args)`) printed."""
    parser = ab_parser(doc, rounds=rounds, children=True)
    for option, default in (sizes or {}).items():
        parser.add_argument(option, type=int, default=default)
    args = ab_args(parser, at_least=2)
    values = [getattr(args, option.lstrip("-").replace("-", "_")) for option in sizes or {}]
    if args.child:
        child(args.child, *values)
        return 0
    flags = [item for pair in zip(sizes or {}, values, strict=True) for item in pair]
    runs = alternating_rounds(args.trees, args.rounds, lambda src: run_child(script, src, *flags))
    print(table([name for name, _ in args.trees], runs, args))
    return 0


def write_rows(out: Path, rows: object) -> None:
    """What a child measured, for `run_child`, with where its zeroclaw came from."""
    import zeroclaw

    out.write_text(json.dumps({"zeroclaw": zeroclaw.__file__, "rows": rows}))


def by_row_and_tree(
    runs: dict[str, list[dict[str, Any]]],
) -> Iterator[tuple[str, str, list[Any], list[Any]]]:
    """The children's rows (`alternating_rounds` of `run_child`), row by row, then tree by
    tree: (row, tree, the tree's figures of the row in each round, the first tree's)."""
    first = next(iter(runs))
    for row in runs[first][0]:
        for tree, results in runs.items():
            yield row, tree, [r[row] for r in results], [r[row] for r in runs[first]]


def ratio_to_first(mine: list[Any], first: list[Any], figure: Callable[[Any], float]) -> float:
    """The median over rounds of a tree's figure over the first tree's in the same round."""
    return statistics.median(figure(a) / figure(b) for a, b in zip(mine, first, strict=True))
