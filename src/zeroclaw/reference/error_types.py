"""Every error type ZeroClaw can print, and every error code its gateway can answer with,
read from the code itself.

The troubleshooting page must have an entry for each (tests/docs/test_troubleshooting.py),
and each translation of it too; reading them here, rather than listing them by hand, is
what makes a new error type without an entry fail a test.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import zeroclaw
from zeroclaw.errors import ZeroClawError
from zeroclaw.gateway.errors import GatewayError


@dataclass(frozen=True)
class ErrorType:
    name: str
    module: str
    base: str


def error_types() -> list[ErrorType]:
    """Every subclass of ZeroClawError and GatewayError in the package, by name."""
    _import_everything()
    found = {
        (cls.__name__, cls.__module__): ErrorType(cls.__name__, cls.__module__, base.__name__)
        for base in (ZeroClawError, GatewayError)
        for cls in _subclasses(base)
        if cls.__module__.startswith("zeroclaw.") and not cls.__name__.startswith("_")
    }
    return sorted(found.values(), key=lambda error: error.name)


def gateway_codes() -> set[str]:
    """Every `error.code` a gateway answer can carry: the classes' own and those set on
    an instance in the gateway's code (`error.code = "invalid_json"`)."""
    _import_everything()
    codes = {
        code
        for base in (ZeroClawError, GatewayError)
        for cls in (base, *_subclasses(base))
        if isinstance(code := cls.__dict__.get("code"), str)
    }
    gateway = Path(inspect.getfile(GatewayError)).parent
    for source in gateway.rglob("*.py"):
        codes |= set(_assigned_codes(ast.parse(source.read_text(encoding="utf-8"))))
    return codes


def _assigned_codes(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for name, value in zip(names, values, strict=False):
                is_code = (isinstance(name, ast.Attribute) and name.attr == "code") or (
                    isinstance(name, ast.Name) and name.id == "code"
                )
                if is_code and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield value.value


def _subclasses(base: type) -> Iterator[type]:
    children: list[type] = base.__subclasses__()
    for cls in children:
        yield cls
        yield from _subclasses(cls)


def _import_everything() -> None:
    # An error class exists for the runtime once its module is imported; import them all
    # (never __main__, which would run the CLI).
    for module in pkgutil.walk_packages(zeroclaw.__path__, "zeroclaw."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
