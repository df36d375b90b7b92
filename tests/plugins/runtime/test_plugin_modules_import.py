"""Which runtime modules may be imported with plugins disabled: those that never import
wasmtime (the package, its errors, the breaker, the trap classification)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "imports_wasmtime"),
    [
        ("zeroclaw.plugins", False),
        ("zeroclaw.plugins.wasm.breaker", False),
        ("zeroclaw.plugins.wasm.traps", False),
        ("zeroclaw.plugins.wasm.engine_settings", False),
        ("zeroclaw.plugins.lifecycle.reload", False),
        ("zeroclaw.plugins.lifecycle.retirement", False),
        ("zeroclaw.plugins.lifecycle.watcher", False),
        ("zeroclaw.cli.plugins_cmd", False),
        ("zeroclaw.diagnostics", False),
        ("zeroclaw.agent.runtime", False),
        ("zeroclaw.plugins.lifecycle.registry", True),  # the control: the check can tell
    ],
)
def test_importing_a_module_imports_wasmtime_only_where_expected(
    module: str, imports_wasmtime: bool
) -> None:
    code = f"import sys, {module}; print('wasmtime' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == str(imports_wasmtime)
