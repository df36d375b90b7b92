"""`[tools]` in plugin.toml: which tools of a tool plugin change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.plugins.contract.manifest import parse_manifest
from zeroclaw.plugins.errors import ManifestError

HEAD = """
name = "word-count"
version = "0.1.0"
wit_package = "{package}"
component = "plugin.wasm"
"""


def manifest(text: str, package: str = "zeroclaw:tools@1.0.0") -> str:
    return HEAD.format(package=package) + text


def test_read_only_tools_are_declared_by_name() -> None:
    parsed = parse_manifest(manifest('[tools]\nread_only = ["word_count", "wc"]'), source=Path("p"))

    assert parsed.read_only_tools == {"word_count", "wc"}


def test_without_a_tools_table_no_tool_is_read_only() -> None:
    assert parse_manifest(manifest(""), source=Path("p")).read_only_tools == frozenset()


@pytest.mark.parametrize(
    ("text", "package", "message"),
    [
        (
            '[tools]\nread_only = ["x"]',
            "zeroclaw:hooks@1.0.0",
            "`tools`: applies to tool plugins (zeroclaw:tools) only, not zeroclaw:hooks@1.0.0",
        ),
        (
            '[tools]\nread_only = ["no spaces"]',
            "zeroclaw:tools@1.0.0",
            "`tools.read_only[0]`: must be a tool name: 1 to 64 letters, digits, _ or -",
        ),
        (
            '[tools]\nreadonly = ["x"]',
            "zeroclaw:tools@1.0.0",
            "`tools.readonly`: unknown key (did you mean `read_only`?)",
        ),
    ],
)
def test_a_bad_tools_table_is_refused(text: str, package: str, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(manifest(text, package), source=Path("plugin.toml"))

    assert message in caught.value.message
