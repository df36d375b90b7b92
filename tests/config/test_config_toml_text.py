"""TOML text by tomlkit: everything written reads back through tomllib as the same data."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroclaw.config.toml_text import toml_document, toml_dotted, toml_key, toml_value


def test_nested_document_round_trips() -> None:
    doc: dict[str, Any] = {
        "title": 'say "hi"\\ then\nleave\ttab',
        "count": -42,
        "big": 2**62,
        "ratio": 0.1,
        "huge": 1e16,
        "on": True,
        "names": ["a", "b c", ""],
        "empty": [],
        # A table before a plain key: the plain key must still land in the top table.
        "server": {"port": 8080, "tls": {"enabled": False}},
        "after_table": "top-level",
        "my.dotted key": {"x": 1},
    }
    assert tomllib.loads(toml_document(doc)) == doc


def test_paths_and_tuples_are_written_as_strings_and_lists() -> None:
    written = toml_document({"dir": Path("/srv/zeroclaw data"), "pair": ("a", Path("b"))})
    assert tomllib.loads(written) == {"dir": "/srv/zeroclaw data", "pair": ["a", "b"]}


def test_bool_is_not_written_as_integer() -> None:
    assert toml_value(True) == "true"


@pytest.mark.parametrize("value", [math.inf, -math.inf, 5.0, 1e-7])
def test_special_floats_are_valid_toml(value: float) -> None:
    assert tomllib.loads(f"x = {toml_value(value)}")["x"] == value


def test_nan_round_trips() -> None:
    assert math.isnan(tomllib.loads(f"x = {toml_value(math.nan)}")["x"])


def test_document_can_be_placed_under_a_path() -> None:
    written = toml_document({"local": {"kind": "openai"}}, at=("llm", "providers"))
    assert written.startswith("[llm.providers.local]\n")
    assert tomllib.loads(written) == {"llm": {"providers": {"local": {"kind": "openai"}}}}


@pytest.mark.parametrize("value", [None, object(), [None]])
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="cannot write"):
        toml_value(value)


def test_mappings_inside_values_are_inline_tables() -> None:
    value = {"config": {"threshold": 3, "nested": {"on": True}}, "empty": {}, "rows": [{"a": 1}]}
    assert "\n" not in toml_value(value)
    assert tomllib.loads(f"x = {toml_value(value)}")["x"] == value


def test_dotted_keys_quote_only_the_parts_that_need_it() -> None:
    assert toml_dotted(("plugins", "overrides", "my plugin")) == 'plugins.overrides."my plugin"'


@given(st.text())
def test_any_string_round_trips(text: str) -> None:
    assert tomllib.loads(f"x = {toml_value(text)}")["x"] == text


@given(st.text())
def test_any_key_round_trips(key: str) -> None:
    assert tomllib.loads(f"{toml_key(key)} = 1") == {key: 1}
