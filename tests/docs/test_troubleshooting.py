"""docs/troubleshooting.md has an entry for every error type and gateway error code the
code has, and names none that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

from zeroclaw.reference.error_types import error_types, gateway_codes

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"


def _section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    following = text.find("\n## ", start + 1)
    return text[start : following if following != -1 else len(text)]


def _table_names(section: str) -> set[str]:
    return set(re.findall(r"^\| `([A-Za-z_]+)` \|", section, flags=re.MULTILINE))


def test_every_error_type_has_an_entry() -> None:
    documented = _table_names(_section("Error types"))
    missing = sorted(f"{e.name} ({e.module})" for e in error_types() if e.name not in documented)
    assert not missing, (
        "docs/troubleshooting.md (## Error types) has no entry for: "
        + ", ".join(missing)
        + "; add a row saying what it means and how to fix it"
    )


def test_every_gateway_error_code_has_an_entry() -> None:
    section = _section("Error types")
    codes_table = section[section.index("### Gateway error codes") :]
    documented = _table_names(codes_table.split("\n### ", 1)[0])
    missing = sorted(gateway_codes() - documented)
    assert not missing, f"docs/troubleshooting.md lists no gateway error code {missing}"


def test_no_entry_names_an_error_the_code_no_longer_has() -> None:
    known = {e.name for e in error_types()} | gateway_codes()
    stale = sorted(_table_names(_section("Error types")) - known)
    assert not stale, f"docs/troubleshooting.md describes errors the code does not have: {stale}"


def test_the_enumeration_reaches_every_part_of_the_runtime() -> None:
    names = {e.name for e in error_types()}
    # One of each family: plugin runtime, gateway, storage, CLI, config.
    assert {"PluginTimeout", "RateLimited", "CorruptDatabaseError", "PayloadError"} <= names
    assert {"ConfigError", "PluginsUnavailableError", "GatewayBindError"} <= names
    assert {"invalid_json", "tool_name_conflict", "storage_unavailable"} <= gateway_codes()
