"""An MCP `CallToolResult` as the `ToolResult` the model reads.

Text blocks are the answer, joined by blank lines; other blocks are named by what they
are (an image's type and size, a resource's URI), since the model cannot use their bytes
through a text tool message. A result with only structured content is shown as its JSON.
`isError` makes a failed result whose error is that text: the model sees the server's own
explanation.
"""

from __future__ import annotations

import base64
import binascii
import json

from mcp.types import (
    AudioContent,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from zeroclaw.messages import ToolResult


def tool_result(result: CallToolResult) -> ToolResult:
    text = "\n\n".join(_block_text(block) for block in result.content)
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False)
    if result.is_error:
        return ToolResult.fail(text or "the MCP tool reported an error without a message")
    return ToolResult.ok(text)


def _block_text(block: object) -> str:
    match block:
        case TextContent():
            return block.text
        case ImageContent():
            return f"[image: {block.mime_type}, {_decoded_size(block.data)} bytes]"
        case AudioContent():
            return f"[audio: {block.mime_type}, {_decoded_size(block.data)} bytes]"
        case ResourceLink():
            return f"[resource: {block.uri}]"
        case EmbeddedResource():
            contents = block.resource
            if isinstance(contents, TextResourceContents):
                return contents.text
            return f"[resource: {contents.uri}, {contents.mime_type or 'binary'}]"
        case _:
            return f"[{type(block).__name__}]"


def _decoded_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return len(data)
