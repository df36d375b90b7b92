"""Reading TOML that may be hostile: a size cap before reading, a depth cap before parsing.

The config file and every plugin.toml are read with these limits. A plugin folder is
untrusted input, and `tomllib` has three failure modes that a few bytes can trigger:

- it recurses once per nested array or inline table, so `a = [[[[...]]]]` 500 levels
  deep raises `RecursionError` (not `TOMLDecodeError`), which no caller expects;
- a dotted key or table header of many parts (`a.a.a.a...`) costs time quadratic in its
  parts (30,000 parts: 24 s);
- it reads whatever it is given (a 50 MB file: 16 s).

So the size is checked with `stat` before reading and the read stops at the cap anyway
(a file may grow, or be a device); a cheap scan of the text outside strings and comments
refuses bracket nesting and dotted keys deeper than `MAX_TOML_DEPTH` before `tomllib`
starts; the parsed data's depth is checked too (dotted keys inside nested inline tables
add up), and a `RecursionError` that still escapes the parser is turned into the same
refusal. Each refusal is a `TomlLimitError` whose message completes "PATH ..."; the
callers turn it into their own typed error (`ConfigError`, `ManifestError`).
"""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path
from typing import Any

# Deeper than any real config or manifest (the config's deepest key has 5 parts), far
# below where tomllib or a JSON encoder would recurse out of stack.
MAX_TOML_DEPTH = 32

# Strings and comments: what the depth scan skips. Every alternative that starts with a
# quote matches (an unterminated string runs to the end of its line, or of the text), and
# the loops are possessive, so the scan never backtracks: linear on any input. A
# multi-line string's closing delimiter may be followed by one or two quotes of content.
_SKIPPED = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]?|"(?!""))*+(?:"""(?:"{1,2}(?!"))?|\Z)'
    r"|'''[\s\S]*?(?:'''(?:'{1,2}(?!'))?|\Z)"
    r'|"(?:[^"\\\n]|\\.?)*+"?'
    r"|'[^'\n]*+'?"
    r"|#[^\n]*"
)
_BRACKET = re.compile(r"[\[\]{}]")
# A dotted key (or header) of more than MAX_TOML_DEPTH parts, once strings are blanked.
# Possessive, and starting only where a part starts: linear even on one huge "word".
_KEY_PART = r"[^\s.\[\]{}=,]"
_LONG_DOTTED_KEY = re.compile(rf"(?<!{_KEY_PART})(?:{_KEY_PART}++\s*+\.\s*+){{{MAX_TOML_DEPTH},}}")


class TomlLimitError(ValueError):
    """TOML text refused for its size or depth, before or instead of parsing it."""

    def __init__(self, problem: str, *, hint: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


def read_capped_text(path: Path, max_bytes: int, *, regular_only: bool = False) -> str:
    """The UTF-8 text of `path`, refused (`TomlLimitError`) past `max_bytes`.

    Raises `OSError` and `UnicodeDecodeError` as reading would. Line endings are
    normalised as `Path.read_text` does. `regular_only` also refuses a device, a pipe or a
    socket (reading one could block or never end).
    """
    info = path.stat()
    if regular_only and not stat.S_ISREG(info.st_mode):
        raise TomlLimitError(
            "is not a regular file", hint="replace it with a plain text file (not a device, pipe)"
        )
    if info.st_size > max_bytes:
        raise _too_large(info.st_size, max_bytes)
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(None, max_bytes)
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _too_large(size: int | None, max_bytes: int) -> TomlLimitError:
    what = f"is {size:,} bytes" if size is not None else "is larger than the limit"
    return TomlLimitError(
        f"{what}; at most {max_bytes:,} bytes ({_kib(max_bytes)}) are read",
        hint="this file holds settings only: move large data out of it",
    )


def _kib(size: int) -> str:
    return f"{size // 1024 // 1024} MiB" if size % (1024 * 1024) == 0 else f"{size // 1024} KiB"


def loads_bounded(text: str) -> dict[str, Any]:
    """`tomllib.loads(text)`, refusing nesting deeper than MAX_TOML_DEPTH first (before
    parsing where the text shows it, after parsing for what only the data shows).

    Raises `tomllib.TOMLDecodeError` for a syntax error, `TomlLimitError` for depth.
    """
    check_nesting(text)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _too_deep("nests deeper than the parser can follow") from None
    if _depth(data) > MAX_TOML_DEPTH:
        raise _too_deep(f"nests tables and arrays more than {MAX_TOML_DEPTH} levels deep")
    return data


def check_nesting(text: str) -> None:
    """Refuse brackets nested, or a dotted key with parts, beyond MAX_TOML_DEPTH (outside
    strings and comments); linear in the text, without parsing it."""
    blanked = _SKIPPED.sub(_blank, text)
    depth = 0
    for match in _BRACKET.finditer(blanked):
        if match[0] in "[{":
            depth += 1
            if depth > MAX_TOML_DEPTH:
                line = blanked.count("\n", 0, match.start()) + 1
                raise _too_deep(
                    f"nests arrays or inline tables more than {MAX_TOML_DEPTH} levels deep "
                    f"(line {line})"
                )
        else:
            depth = max(depth - 1, 0)
    long_key = _LONG_DOTTED_KEY.search(blanked)
    if long_key is not None:
        line = blanked.count("\n", 0, long_key.start()) + 1
        raise _too_deep(f"has a dotted key of more than {MAX_TOML_DEPTH} parts (line {line})")


def _blank(match: re.Match[str]) -> str:
    """A string becomes one placeholder character (still a key part); a comment, nothing;
    line breaks are kept so that line numbers stay right."""
    token = match[0]
    return "" if token.startswith("#") else "s" + "\n" * token.count("\n")


def _depth(data: object) -> int:
    """How deep tables and arrays nest in parsed TOML (iterative: no recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_TOML_DEPTH:
            return deepest
        stack += [(child, depth + 1) for child in children]
    return deepest


def _too_deep(problem: str) -> TomlLimitError:
    return TomlLimitError(
        problem,
        hint=f"flatten the structure: TOML read here may nest at most {MAX_TOML_DEPTH} levels",
    )
