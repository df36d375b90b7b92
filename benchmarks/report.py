"""What every benchmark script shares: replacing its section of a Markdown file between
its markers, and the line that says which machine measured it."""

from __future__ import annotations

import platform
from importlib.metadata import version
from pathlib import Path


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
