"""A plugin tool's schema may not make the host run the plugin's regular expressions: the
validator runs `pattern` with Python's `re` in the event loop, and a backtracking pattern
fed crafted arguments would hang every session (ReDoS)."""

from __future__ import annotations

from typing import Any

import pytest

from zeroclaw.plugins.errors import DescribeError
from zeroclaw.plugins.loading.loader import check_tool_schema


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"q": {"type": "string", "pattern": "^(a+)+$"}}},
        {"type": "object", "patternProperties": {"^(a|a)*$": {"type": "string"}}},
        {"type": "object", "properties": {"xs": {"type": "array", "items": {"pattern": "x"}}}},
        {"$defs": {"s": {"type": "string", "pattern": "(x+x+)+y"}}, "type": "object"},
    ],
)
def test_schemas_with_regular_expressions_are_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(DescribeError, match="regular expressions"):
        check_tool_schema("evil", "search", schema)


def test_a_property_named_pattern_is_fine() -> None:
    schema = {
        "type": "object",
        "properties": {"pattern": {"type": "string", "enum": ["pattern"]}},
        "required": ["pattern"],
    }
    check_tool_schema("grep-like", "search", schema)
