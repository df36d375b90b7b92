"""The WIT contracts: each package is valid, and each world yields usable bindings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wat_builder import WIT, wasm_tools

# directory under wit/zeroclaw -> package; providers keeps its frozen 1.0 beside 1.1.
PACKAGES = {
    "host/v1": "zeroclaw:host@1.0.0",
    "hooks/v1": "zeroclaw:hooks@1.0.0",
    "tools/v1": "zeroclaw:tools@1.0.0",
    "providers/v1": "zeroclaw:providers@1.1.0",
    "providers/v1.0": "zeroclaw:providers@1.0.0",
}
WORLDS = {
    "hooks/v1": "zeroclaw:hooks/hooks@1.0.0",
    "tools/v1": "zeroclaw:tools/tools@1.0.0",
    "providers/v1": "zeroclaw:providers/providers@1.1.0",
    "providers/v1.0": "zeroclaw:providers/providers@1.0.0",
    "host/v1": "zeroclaw:host/all-interfaces@1.0.0",
}


@pytest.mark.parametrize(("directory", "package"), PACKAGES.items())
def test_package_is_valid_wit(directory: str, package: str) -> None:
    done = subprocess.run(
        [wasm_tools(), "component", "wit", str(WIT / directory)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert f"package {package};" in done.stdout


@pytest.mark.parametrize("directory", PACKAGES)
def test_every_item_is_documented(directory: str) -> None:
    """Doc comments are the plugin author's reference: every item has one."""
    item = (
        r"^\s*(interface|world|record|variant|enum|flags|resource)\s"
        r"|^\s*[a-z][a-z0-9-]*: func"
        r"|^\s*%?[a-z][a-z0-9-]*(\(.*\))?,$"
        r"|^\s*%?[a-z][a-z0-9-]*: [a-z]"
    )
    for path in sorted((WIT / directory).glob("*.wit")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if re.match(item, line):
                previous = lines[number - 1].strip()
                assert previous.startswith("///"), f"{path.name}:{number + 1} undocumented: {line}"


@pytest.mark.slow
@pytest.mark.parametrize(("directory", "world"), WORLDS.items())
def test_componentize_py_generates_bindings(directory: str, world: str, tmp_path: Path) -> None:
    tool = Path(sys.executable).parent / "componentize-py"
    if not tool.exists() and shutil.which("componentize-py") is None:
        pytest.skip("componentize-py is not installed")
    command = str(tool) if tool.exists() else "componentize-py"

    done = subprocess.run(
        [command, "-d", str(WIT / directory), "-w", world, "bindings", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    generated = "\n".join(p.read_text() for p in (tmp_path / "wit_world").rglob("*.py"))
    expected = {
        "hooks": "class BeforeToolCallResult_Cancel",
        "tools": "def call(self, name: str, arguments: str) -> str",
        "providers": "class ProviderError_RateLimited",
        "host": "def send(request: Request) -> Response",
    }[directory.partition("/")[0]]
    assert expected in generated


def _event_enum() -> dict[str, str]:
    """Case name -> its doc comment, from `enum event` of the hooks handler."""
    text = (WIT / "hooks" / "v1" / "handler.wit").read_text()
    body = text[text.index("enum event {") : text.index("}", text.index("enum event {"))]
    cases: dict[str, str] = {}
    doc: list[str] = []
    for line in body.splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("///"):
            doc.append(stripped.removeprefix("///").strip())
        elif stripped.endswith(","):
            cases[stripped.removesuffix(",")] = " ".join(doc)
            doc = []
    return cases


def test_hook_events_match_the_host_events() -> None:
    from zeroclaw.hooks.events import Event, HookKind

    cases = _event_enum()

    assert list(cases) == [event.value.replace("_", "-") for event in Event]
    for event in Event:
        doc = cases[event.value.replace("_", "-")]
        assert doc.startswith("Void:" if event.kind is HookKind.VOID else "Modifying:"), event
        assert ("hooks.conversation" in doc) is event.carries_content, event
