"""word-count: a ZeroClaw tool plugin in Python, built with componentize-py.

One tool, `word_count`: the words, lines and characters of a text, and optionally the most
frequent words. The host validates the arguments against the schema below before calling,
but a plugin checks them again: it is the contract (a model can send anything, and
`zeroclaw tools call` can be run by hand).

Built with `--stub-wasi`, the component imports no WASI at all: `print`, `open`, `time` and
any `import` run inside a function would trap. So everything is imported here, at the top.
"""

import json
import re
from collections import Counter

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.tool import (
    ToolError_Failed,
    ToolError_InvalidArguments,
    ToolError_UnknownTool,
    ToolSpec,
)

WORD = re.compile(r"\w+(?:['’-]\w+)*")

SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The text to count."},
        "top": {
            "type": "integer",
            "minimum": 0,
            "maximum": 50,
            "description": "Also list this many most frequent words (default 0).",
        },
    },
    "required": ["text"],
    "additionalProperties": False,
}


def count(text: str, top: int) -> dict[str, object]:
    words = WORD.findall(text)
    result: dict[str, object] = {
        "words": len(words),
        "lines": len(text.splitlines()),
        "characters": len(text),
    }
    if top:
        # Not Counter.most_common: it imports heapq when called, and an import at call time
        # traps under --stub-wasi. Ties go alphabetically, so the answer is stable.
        counts = Counter(word.lower() for word in words)
        frequent = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        result["top"] = [{"word": word, "count": n} for word, n in frequent]
    return result


class Tool(exports.Tool):
    def tools(self) -> list[ToolSpec]:
        return [
            ToolSpec(
                name="word_count",
                description="Counts the words, lines and characters of a text; with `top`, "
                "also its most frequent words. Use it instead of counting yourself.",
                parameters_schema=json.dumps(SCHEMA),
            )
        ]

    def call(self, name: str, arguments: str) -> str:
        if name != "word_count":
            raise Err(ToolError_UnknownTool(name))
        try:
            args = json.loads(arguments)
        except ValueError as exc:
            raise Err(ToolError_InvalidArguments(f"not JSON: {exc}")) from None
        text = args.get("text") if isinstance(args, dict) else None
        if not isinstance(text, str):
            raise Err(ToolError_InvalidArguments("`text` must be a string"))
        top = args.get("top", 0)
        if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 50:
            raise Err(ToolError_InvalidArguments("`top` must be an integer from 0 to 50"))
        try:
            return json.dumps(count(text, top))
        except Exception as exc:  # a bug here should read as a failure, not a trap
            raise Err(ToolError_Failed(f"{type(exc).__name__}: {exc}")) from None
