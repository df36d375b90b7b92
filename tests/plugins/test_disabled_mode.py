"""With plugins disabled the host never imports wasmtime: these modules must not either."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "zeroclaw.plugins",
        "zeroclaw.plugins.manifest",
        "zeroclaw.plugins.capabilities",
        "zeroclaw.plugins.abi",
        "zeroclaw.plugins.errors",
    ],
)
def test_importing_does_not_import_wasmtime(module: str) -> None:
    code = f"import sys, {module}; print('wasmtime' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "False"
