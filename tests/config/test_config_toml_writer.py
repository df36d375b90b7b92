"""The TOML writer: everything it writes reads back through tomllib as the same data."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroclaw.config.toml_writer import dumps, format_key, format_string, format_value


def test_nested_document_round_trips() -> None:
    doc: dict[str, Any] = {
        "title": 'say "hi"\\ then\nleave\ttab',
        "count": -42,
        "big": 2**62,
        "ratio": 0.1,
        "huge": 1e16,
        "on": True,
        "off": False,
        "names": ["a", "b c", ""],
        "empty": [],
        # A table before a plain key: the plain key must still land in the top table.
        "server": {"port": 8080, "tls": {"enabled": False}},
        "after_table": "top-level",
        "my.dotted key": {"x": 1},
        "nothing": {},
    }
    assert tomllib.loads(dumps(doc)) == doc


def test_path_is_written_as_string() -> None:
    assert tomllib.loads(dumps({"dir": Path("/srv/zeroclaw data")})) == {
        "dir": "/srv/zeroclaw data"
    }


def test_bool_is_not_written_as_integer() -> None:
    assert format_value(True) == "true"
    assert tomllib.loads(dumps({"flag": True}))["flag"] is True


@pytest.mark.parametrize(
    ("value", "text"),
    [(math.inf, "inf"), (-math.inf, "-inf"), (5.0, "5.0"), (1e-7, "1e-07")],
)
def test_special_floats_are_valid_toml(value: float, text: str) -> None:
    assert format_value(value) == text
    assert tomllib.loads(f"x = {text}")["x"] == value


def test_nan_round_trips() -> None:
    assert math.isnan(tomllib.loads(dumps({"x": math.nan}))["x"])


def test_control_characters_are_escaped() -> None:
    text = "\x00\x1f\x7f\b\f\r"
    written = format_string(text)
    assert all(char not in written for char in text)
    assert tomllib.loads(f"x = {written}")["x"] == text


def test_document_can_be_placed_under_a_path() -> None:
    written = dumps({"local": {"kind": "openai"}}, at=("llm", "providers"))
    assert written.startswith("[llm.providers.local]\n")
    assert tomllib.loads(written) == {"llm": {"providers": {"local": {"kind": "openai"}}}}


@pytest.mark.parametrize("value", [None, object(), [None]])
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="cannot write"):
        dumps({"x": value})


def test_mappings_inside_values_are_inline_tables() -> None:
    value = {"config": {"threshold": 3, "nested": {"on": True}}, "empty": {}, "rows": [{"a": 1}]}
    assert tomllib.loads(dumps({"x": value}))["x"] == value


@given(st.text())
def test_any_string_round_trips(text: str) -> None:
    assert tomllib.loads(f"x = {format_string(text)}")["x"] == text


@given(st.text())
def test_any_key_round_trips(key: str) -> None:
    assert tomllib.loads(f"{format_key(key)} = 1") == {key: 1}
