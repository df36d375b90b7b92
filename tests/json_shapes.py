"""The `--json` shapes docs/commands-reference.md shows, and how a real output differs.

Each command's section shows its shape as the first ```json block; a value `"..."` there
stands for content that is not checked (open-ended, or shown elsewhere). The comparison
is of structure, not values: the keys of every object, and the first element of every
list when both sides have one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "commands-reference.md"


def documented_shape(command: str) -> Any:
    """The shape shown in the section of `zeroclaw COMMAND` (e.g. "plugins list")."""
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index(f" `zeroclaw {command}`\n")
    following = re.search(r"\n#{2,4} `zeroclaw", text[start + 1 :])
    section = text[start : start + 1 + following.start()] if following else text[start:]
    block = re.search(r"```json\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, f"docs/commands-reference.md shows no --json shape for {command}"
    return json.loads(block.group(1))


def shape_differences(documented: Any, actual: Any, at: str = "") -> list[str]:
    """Where `actual` has keys the documentation lacks, or lacks keys it shows."""
    if documented == "...":
        return []
    if isinstance(documented, dict) and isinstance(actual, dict):
        problems = [
            f"{at}.{key}: in the output, not in the docs"
            for key in actual.keys() - documented.keys()
        ]
        problems += [
            f"{at}.{key}: in the docs, not in the output"
            for key in documented.keys() - actual.keys()
        ]
        for key in documented.keys() & actual.keys():
            problems += shape_differences(documented[key], actual[key], f"{at}.{key}")
        return problems
    if isinstance(documented, list) and isinstance(actual, list) and documented and actual:
        return shape_differences(documented[0], actual[0], f"{at}[0]")
    return []
