"""With plugins disabled the host never imports wasmtime: the package, its errors and the
rooms that decide before anything runs (the contract, the host interfaces) must not either.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import zeroclaw.plugins.contract
import zeroclaw.plugins.host


def _modules_of(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    return [name] + [f"{name}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "module",
    [
        "zeroclaw.plugins",
        "zeroclaw.plugins.errors",
        *_modules_of(zeroclaw.plugins.contract),
        *_modules_of(zeroclaw.plugins.host),
    ],
)
def test_importing_does_not_import_wasmtime(module: str) -> None:
    code = f"import sys, {module}; print('wasmtime' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "False"


def test_the_contract_and_host_rooms_have_modules_to_check() -> None:
    assert "zeroclaw.plugins.contract.grants" in _modules_of(zeroclaw.plugins.contract)
    assert "zeroclaw.plugins.host.http" in _modules_of(zeroclaw.plugins.host)
