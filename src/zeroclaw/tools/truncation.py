"""Cutting tool output to a byte budget, with a marker that says it was cut.

The model reads tool output as context; an unbounded output (a huge file, a chatty
command) would crowd out the conversation or exceed the provider's limit.
"""

from __future__ import annotations


def truncation_marker(shown: int, total: int | None) -> str:
    """`total` is None when the rest was never read, so its size is unknown."""
    if total is None:
        return f"\n[... truncated after {shown} bytes]"
    return f"\n[... truncated: showing {shown} of {total} bytes]"


def truncate_utf8(text: str, max_bytes: int) -> str:
    """`text` if it fits in `max_bytes` of UTF-8, else its head and a marker."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    # "ignore" drops a character cut in half at the boundary instead of garbling it.
    return data[:max_bytes].decode("utf-8", "ignore") + truncation_marker(max_bytes, len(data))
