"""A new author's first loop: from `zeroclaw plugins new` to a passing `zeroclaw plugins test`,
per guest language.

Each sample runs the three commands of a new plugin's README as an author types them,
through the real `zeroclaw` console script, in an empty directory with a fresh HOME:

    zeroclaw plugins new my-guard --kind hook --lang LANGUAGE
    zeroclaw plugins build .            (in my-guard)
    zeroclaw plugins test . --grant hooks.conversation --grant hooks.modify

Everything is cold, as on an author's first try: no build record (so the build
componentizes), and an empty compile cache (so the first load compiles the component). The
toolchains themselves are installed and warm in the OS page cache after the first sample.
A sample counts only if every command exits 0. Languages take turns within each round
(python, javascript, wat, then again), so drift of a shared machine touches all of them
alike; each figure is the median of the rounds, and the last column is the total as a
multiple of WAT's (a core module wrapped by wasm-tools: no guest runtime to bundle).
Nothing here is asserted anywhere.

    .venv/bin/python benchmarks/authoring_bench.py
    .venv/bin/python benchmarks/authoring_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import machine_line, replace_section

SECTION = "authoring-bench"
LANGUAGES = ("python", "javascript", "wat")
GRANTS = ("--grant", "hooks.conversation", "--grant", "hooks.modify")
STEPS = ("new", "build", "test")


def _environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ZEROCLAW_CONFIG", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def one_sample(language: str, root: Path) -> dict[str, float]:
    """Seconds per step of one cold `new -> build -> test`."""
    home = root / "home"
    home.mkdir()
    env = _environment(home)
    plugin = root / "my-guard"
    commands = {
        "new": (root, ["plugins", "new", "my-guard", "--kind", "hook", "--lang", language]),
        "build": (plugin, ["plugins", "build", "."]),
        "test": (plugin, ["plugins", "test", ".", *GRANTS]),
    }
    seconds: dict[str, float] = {}
    for step, (cwd, args) in commands.items():
        started = time.perf_counter()
        done = subprocess.run(
            ["zeroclaw", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        seconds[step] = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(
                f"{language}: `zeroclaw {' '.join(args)}` failed:\n{done.stdout}{done.stderr}"
            )
    return seconds


def run(rounds: int) -> str:
    samples: dict[str, list[dict[str, float]]] = {language: [] for language in LANGUAGES}
    for number in range(rounds):
        for language in LANGUAGES:
            with tempfile.TemporaryDirectory(prefix=f"authoring-{language}-") as tmp:
                sample = one_sample(language, Path(tmp))
            samples[language].append(sample)
            total = sum(sample.values())
            print(f"round {number + 1} {language}: {total:.1f} s", file=sys.stderr)
    return table(samples, rounds)


def table(samples: dict[str, list[dict[str, float]]], rounds: int) -> str:
    def median(language: str, step: str | None) -> float:
        values = [sum(s.values()) if step is None else s[step] for s in samples[language]]
        return statistics.median(values)

    wat_total = median("wat", None)
    lines = [
        "## Plugin authoring: `plugins new` to a passing `plugins test` (last run)",
        "",
        f"A hook plugin from its template, cold (no build record, empty compile cache, fresh "
        f"HOME), through the `zeroclaw` command; median of {rounds} rounds, languages "
        "alternating within each round.",
        "",
        "| language | new s | build s | test s | total s | total / WAT |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for language in LANGUAGES:
        steps = " | ".join(f"{median(language, step):.1f}" for step in STEPS)
        total = median(language, None)
        lines.append(f"| {language} | {steps} | {total:.1f} | {total / wat_total:.1f}x |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += [
        "",
        f"{machine_line()} {os.cpu_count()} CPUs, load average at the end {load} "
        "(a shared machine: compare the ratios, not the seconds).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path, help="replace the table section in this file")
    args = parser.parse_args(argv)
    result = run(args.rounds)
    print(result)
    if args.write is not None:
        replace_section(args.write, SECTION, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
