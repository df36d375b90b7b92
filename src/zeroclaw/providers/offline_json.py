"""The JSON the offline provider answers with when a request's `response_format` asks for
JSON: `{"reply": TEXT}` for a JSON object, and for a JSON schema the smallest instance of
it that carries the text (every string field holds TEXT; numbers are their minimum or 0,
booleans false, arrays their shortest length of instances, an enum or const its first
value, a union its first branch).

So a client's JSON parsing, and its schema validation, can be tested end to end with no
model; the text is still the offline echo, never an answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zeroclaw.providers.options import ResponseFormat

# A schema nested deeper than this is answered with null there: no model needs more, and a
# self-referencing schema must not recurse forever.
MAX_DEPTH = 16


def json_reply(text: str, response_format: ResponseFormat) -> str:
    if response_format.type == "json_schema" and response_format.schema is not None:
        value = instance(response_format.schema, text, response_format.schema, 0)
    else:
        value = {"reply": text}
    return json.dumps(value, ensure_ascii=False)


def instance(schema: Mapping[str, Any], text: str, root: Mapping[str, Any], depth: int) -> Any:
    """The smallest value of `schema` holding `text` in its strings."""
    if depth > MAX_DEPTH or not isinstance(schema, Mapping):
        return None
    if "$ref" in schema:
        return instance(_resolve(root, schema["$ref"]), text, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for union in ("anyOf", "oneOf", "allOf"):
        if schema.get(union):
            return instance(schema[union][0], text, root, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            name: instance(sub, text, root, depth + 1)
            for name, sub in properties.items()
            if isinstance(sub, Mapping)
        }
    if kind == "array":
        item = schema.get("items") or {}
        return [instance(item, text, root, depth + 1) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        minimum = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return int(minimum) + (1 if "exclusiveMinimum" in schema else 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return text


def _resolve(root: Mapping[str, Any], ref: object) -> Mapping[str, Any]:
    """A local `#/$defs/Name` reference; anything else resolves to an empty schema."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return {}
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}
