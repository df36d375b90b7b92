"""The commented default config that `zeroclaw config init` writes, generated from the models.

Every section and key appears with its description as a comment. A key set by default is
written with its default value, so the file reads back to exactly the default config; a
key unset by default (empty, or machine-specific) is written commented out with an
example, and so is one example entry of each named table ([llm.providers.<name>], ...).
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

from zeroclaw.config.loader import ConfigError
from zeroclaw.config.schema import KeySchema, NamedTables, SectionSchema, sections
from zeroclaw.config.toml_writer import dumps, format_dotted, format_key, format_value

_WIDTH = 92

_HEADER = """\
ZeroClaw configuration (TOML), written by `zeroclaw config init`.

Every key is listed with its description and its default value. A line such as
`# key = value` is an optional setting shown with an example: remove the "# " to use it.
Unknown keys are errors. Relative paths are relative to this file's directory.
API keys never go in this file: a provider's `api_key_env` names the environment variable
that holds its key. Check the file with `zeroclaw config validate`; see the effective
settings with `zeroclaw config show`; every key is described in docs/config-reference.md.
"""


def render_template() -> str:
    """The whole commented config file."""
    blocks = [_comment(_HEADER)]
    for section in sections():
        if section.named is not None:
            blocks.append(_named_example(section.path, section.named))
        elif not section.inside_named:
            blocks.append(_section(section))
    return "\n\n".join(blocks) + "\n"


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the template to `path`; an existing file is kept unless `force` is given."""
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists; not overwriting it",
            hint="pass --force to replace it, or --path to write somewhere else",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: an interrupted write never leaves half a config behind.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(render_template())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="choose a writable location with --path",
        ) from None


def _section(section: SectionSchema) -> str:
    lines = []
    if section.path:
        lines += [_comment(section.description), f"[{section.title}]"]
    for key in section.keys:
        lines += [_comment(f"{key.description} [{_type_note(key)}]"), _key_line(key)]
    return "\n".join(lines)


def _type_note(key: KeySchema) -> str:
    # A commented-out example must not be mistaken for the default.
    if key.platform_default is not None:
        return f"{key.type_text}; default: as shown, chosen by the platform"
    if key.default is None:
        return f"{key.type_text}; default: unset"
    if key.default == []:
        return f"{key.type_text}; default: empty"
    return key.type_text


def _key_line(key: KeySchema) -> str:
    name = format_key(key.name)
    if key.platform_default is not None:
        # Commented out so the file follows the platform default wherever it is copied to.
        return f"# {name} = {format_value(key.default)}"
    if key.unset_by_default:
        if key.example is None:
            raise ValueError(f"config key {key.name!r} is unset by default but has no example")
        return f"# {name} = {format_value(key.example)}"
    return f"{name} = {format_value(key.default)}"


def _named_example(path: tuple[str, ...], named: NamedTables) -> str:
    table = format_dotted(path[:-1])
    lines = [named.description]
    if named.builtin:
        lines.append(f"Built in: {', '.join(named.builtin)}.")
    lines.append(f"Add entries as [{table}.<name>] tables, for example:")
    text = _comment("\n".join(lines))
    if named.example is None:
        return text
    written = dumps(named.example, at=path[:-1]).splitlines()
    example = "\n".join(f"# {line}".rstrip() for line in written)
    return f"{text}\n{example}"


def _comment(text: str) -> str:
    lines = []
    for paragraph in text.strip("\n").split("\n"):
        wrapped = textwrap.wrap(paragraph, _WIDTH - 2, break_on_hyphens=False) or [""]
        lines += [f"# {line}".rstrip() for line in _no_header_lookalike(wrapped)]
    return "\n".join(lines)


def _no_header_lookalike(lines: list[str]) -> list[str]:
    """A comment line starting with `[` reads as a commented-out table header (to people
    and to `sed 's/^# //'`): such a line takes the last word of the line before it."""
    out: list[str] = []
    for line in lines:
        if line.startswith("[") and out and " " in out[-1]:
            head, _, word = out[-1].rpartition(" ")
            out[-1] = head
            out.append(f"{word} {line}")
        else:
            out.append(line)
    return out
