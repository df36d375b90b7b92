"""The tutorials of docs/plugin-authoring.md, run as they are written.

A tutorial is the fenced blocks marked `<!-- tutorial: NAME -->` (or several names, comma
separated, for a block that is the same in several tutorials), in document order: a `bash`
block holds commands, a `text` block the output the commands of the block before it show.
Each of the nine (hook, tool, provider x Python, JavaScript, WAT) runs in a directory of
its own with a fresh HOME, the venv's bin first on PATH so `zeroclaw` is the one under
test. Every command must exit 0, and the output of a block must contain each line its
`text` block shows, in order (whitespace aside, and any duration: "in 4.2 ms").

Commands run one at a time, each in the directory the one before left (`cd` carries);
between two commands the components in the store shared with test_templates.py are put
back beside sources they were built from (build_store.py), so a guest already built by
this run or an earlier one is not built again: the build's own key still decides. For the
same reason the fresh HOME's compile cache (DATA_DIR/plugin-cache) is one directory under
the repository's .cache/ for every tutorial and run: its entries are keyed by the
component's sha256, wasmtime's version and the engine settings, and checksummed, so a
shared entry is only ever a faster way to the same compiled code (an 18 MB Python guest
compiles in 4-15 s).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from zeroclaw.plugins.authoring.build import (
    ToolchainMissingError,
    javascript_toolchain,
    python_toolchain,
)
from zeroclaw.plugins.authoring.scaffold import KINDS, LANGUAGES

from . import build_store

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "plugin-authoring.md"
NAMES = [f"{kind}-{language}" for kind in KINDS for language in LANGUAGES]
BLOCK = re.compile(r"^<!-- tutorial: ([a-z, -]+) -->\n```(bash|text)\n(.*?)^```$", re.M | re.S)
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
DURATION = re.compile(r"\\ \d+(?:\\\.\d+)?\\ (ms|s)\b")
COMPILE_CACHE = ROOT / ".cache" / "test-tutorial-compile-cache"
OUTSIDE_ENV = ("ZEROCLAW_CONFIG", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY")
# A cold run builds the six Python and JavaScript guests the tutorials edit (10-50 s each).
pytestmark = pytest.mark.timeout(900)


@dataclass
class Step:
    commands: list[str]
    shows: list[str] = field(default_factory=list)


@dataclass
class Ran:
    command: str
    status: int
    output: str


def tutorials(text: str) -> dict[str, list[Step]]:
    """Each tutorial's steps, in document order."""
    found: dict[str, list[Step]] = {}
    for match in BLOCK.finditer(text):
        names = [name.strip() for name in match.group(1).split(",")]
        body = match.group(3)
        for name in names:
            steps = found.setdefault(name, [])
            if match.group(2) == "bash":
                steps.append(Step(list(commands(body))))
            else:
                assert steps, f"{name}: a text block before any commands"
                steps[-1].shows += [line for line in body.splitlines() if line.strip()]
    return found


def commands(block: str) -> Iterator[str]:
    """The shell commands of a block: a line, with its `\\` continuations and its
    here-document; comments and blank lines are skipped."""
    lines = block.splitlines()
    while lines:
        line = lines.pop(0)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command = [line]
        while command[-1].endswith("\\") and lines:
            command.append(lines.pop(0))
        heredoc = HEREDOC.search(line)
        if heredoc:
            while lines:
                command.append(lines.pop(0))
                if command[-1].strip() == heredoc.group(1):
                    break
        yield "\n".join(command)


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE_ENV}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def _plugin_dirs(root: Path) -> list[Path]:
    return [manifest.parent for manifest in root.rglob("plugin.toml")]


def run_tutorial(steps: list[Step], root: Path) -> list[list[Ran]]:
    """Run every command of `steps` in `root`; stop at the first that fails."""
    home, work = root / "home", root / "work"
    work.mkdir()
    data_dir = home / ".local" / "share" / "zeroclaw"
    data_dir.mkdir(parents=True)
    COMPILE_CACHE.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data_dir / "plugin-cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    env = _environment(home)
    cwd, where = work, root / "cwd"
    transcript: list[list[Ran]] = []
    for step in steps:
        ran: list[Ran] = []
        transcript.append(ran)
        for command in step.commands:
            for plugin in _plugin_dirs(work):
                build_store.restore(plugin)
            script = f'{command}\nstatus=$?\npwd > "{where}"\nexit $status\n'
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            ran.append(Ran(command, done.returncode, done.stdout + done.stderr))
            for plugin in _plugin_dirs(work):
                build_store.keep(plugin)
            if done.returncode != 0:
                return transcript
            cwd = Path(where.read_text().strip())
    return transcript


def _missing_toolchain(name: str) -> str | None:
    language = name.rpartition("-")[2]
    try:
        if language == "python":
            python_toolchain()
        elif language == "javascript":
            javascript_toolchain()
    except ToolchainMissingError as exc:
        if os.environ.get("CI"):
            raise
        return f"{exc.message} ({exc.hint})"
    return None


@pytest.fixture(scope="session")
def tutorial_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[list[Ran]] | str]:
    """Every tutorial run, two at a time; or why it cannot run here."""
    found = tutorials(GUIDE.read_text(encoding="utf-8"))

    def one(name: str) -> list[list[Ran]] | str:
        missing = _missing_toolchain(name)
        if missing is not None:
            return missing
        return run_tutorial(found[name], tmp_path_factory.mktemp(name))

    runnable = [name for name in NAMES if name in found]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(runnable, pool.map(one, runnable), strict=True))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pattern(line: str) -> re.Pattern[str]:
    """A shown line as a pattern: whitespace-insensitive, any duration."""
    return re.compile(DURATION.sub(r"\\ [0-9.]+\\ \1", re.escape(_flat(line))))


def test_every_kind_has_a_tutorial_in_every_language() -> None:
    found = tutorials(GUIDE.read_text(encoding="utf-8"))

    assert sorted(found) == sorted(NAMES)
    for name, steps in found.items():
        script = "\n".join(command for step in steps for command in step.commands)
        kind, _, language = name.partition("-")
        assert "zeroclaw plugins new my-" in script
        assert f"--kind {kind} --lang {language}" in script
        for verb in ("plugins build", "plugins test", "--config zeroclaw.toml"):
            assert verb in script, f"{name}: no `{verb}`"
        assert any(step.shows for step in steps), f"{name}: shows no output"


@pytest.mark.parametrize("name", NAMES)
def test_the_tutorial_runs_as_written(
    tutorial_runs: dict[str, list[list[Ran]] | str], name: str
) -> None:
    runs = tutorial_runs[name]
    if isinstance(runs, str):
        pytest.skip(runs)
    steps = tutorials(GUIDE.read_text(encoding="utf-8"))[name]

    for step, ran in zip(steps, runs, strict=False):
        for one in ran:
            assert one.status == 0, f"`{one.command}` exited {one.status}:\n{one.output}"
        assert len(ran) == len(step.commands)
        output = _flat("\n".join(one.output for one in ran))
        position = 0
        for line in step.shows:
            found = _pattern(line).search(output, position)
            assert found, f"{name}: after `{ran[-1].command}`, no {line.strip()!r} in:\n{output}"
            position = found.end()
    assert len(runs) == len(steps)
