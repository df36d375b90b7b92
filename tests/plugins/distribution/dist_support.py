"""Types and a helper shared by the distribution tests (a module of its own: `conftest` is
a name every test folder has)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

MakeFolder = Callable[..., Path]
Run = Callable[..., Result]


def set_plugins(config_file: Path, text: str) -> None:
    """Add keys to [plugins] of the config file."""
    config_file.write_text(
        config_file.read_text().replace("[plugins]\n", "[plugins]\n" + text + "\n", 1)
    )
