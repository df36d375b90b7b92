"""my-tool: a ZeroClaw tool plugin in Python. Build it with `zeroclaw plugins build .`.

One tool, `slugify`: turns a text into a URL slug ("Hello, World!" -> "hello-world").
Replace it with yours: the name, description and JSON Schema in `tools()`, the work in
`call()`. Import everything here, at the top: the component has no WASI, so an import
inside a function (or open, time.time) fails the call. `print` goes to the host's log.
"""

import json
import re

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.tool import ToolError_InvalidArguments, ToolError_UnknownTool, ToolSpec

NOT_SLUG = re.compile(r"[^a-z0-9]+")

SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The text to turn into a slug."},
        "max_length": {"type": "integer", "minimum": 1, "description": "Cut the slug to this."},
    },
    "required": ["text"],
    "additionalProperties": False,
}


def slugify(text: str, max_length: int | None) -> str:
    slug = NOT_SLUG.sub("-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") if max_length else slug


class Tool(exports.Tool):
    def tools(self) -> list[ToolSpec]:
        return [
            ToolSpec(
                "slugify",
                "Turns a text into a lower-case URL slug of letters, digits and dashes.",
                json.dumps(SCHEMA),
            )
        ]

    def call(self, name: str, arguments: str) -> str:
        # A `result` error is raised as Err(...): the model reads its message.
        if name != "slugify":
            raise Err(ToolError_UnknownTool(name))
        args = json.loads(arguments)
        if not isinstance(args.get("text"), str):
            raise Err(ToolError_InvalidArguments("`text` must be a string"))
        slug = slugify(args["text"], args.get("max_length"))
        print(f"slugify: {len(args['text'])} characters -> {slug!r}")
        return json.dumps({"slug": slug})
