"""The commented default config that `zeroclaw config init` writes, generated from the models.

Every section and key appears with its description as a comment. A key set by default is
written with its default value, so the file reads back to exactly the default config; a
key unset by default (empty, or machine-specific) is written commented out with an
example, and so is one example entry of each named table ([llm.providers.<name>], ...).

The file is a tomlkit document, the same kind `zeroclaw config set` edits, built table by
table: a section's description is a comment in its parent just before its header.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Comment, Table, Trivia

from zeroclaw.config.atomic_file import write_atomically
from zeroclaw.config.loader import ConfigError
from zeroclaw.config.schema import KeySchema, NamedTables, SectionSchema, sections
from zeroclaw.config.toml_text import toml_document, toml_dotted, toml_item, toml_key, toml_value

_WIDTH = 92


def _bare_comment() -> Comment:
    """A line holding only "#" (tomlkit.comment("") would leave "# ")."""
    return Comment(Trivia(comment_ws="", comment="#"))


_HEADER = """\
ZeroClaw configuration (TOML), written by `zeroclaw config init`.

Every key is listed with its description and its default value. A line such as
`# key = value` is an optional setting shown with an example: remove the "# " to use it.
Unknown keys are errors. Relative paths are relative to this file's directory.
API keys never go in this file: a provider's `api_key_env` names the environment variable
that holds its key. Check the file with `zeroclaw config validate`; see the effective
settings with `zeroclaw config show`; change one key with `zeroclaw config set KEY VALUE`
(it keeps this file's comments); every key is described in docs/config-reference.md.
"""


def render_template() -> str:
    """The whole commented config file."""
    document = tomlkit.document()
    _comment(document, _HEADER)
    tables: dict[tuple[str, ...], Container | Table] = {(): document}
    for section in sections():
        if section.named is not None:
            parent = tables[section.path[:-2]]
            parent.add(tomlkit.nl())
            _named_example(parent, section.path, section.named)
        elif not section.inside_named:
            _section(tables, section)
    return document.as_string().rstrip("\n") + "\n"


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the template to `path`; an existing file is kept unless `force` is given."""
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists; not overwriting it",
            hint="pass --force to replace it, or --path to write somewhere else",
        )
    try:
        write_atomically(path, render_template())
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="choose a writable location with --path",
        ) from None


def _section(tables: dict[tuple[str, ...], Container | Table], section: SectionSchema) -> None:
    if section.path:
        parent = tables[section.path[:-1]]
        parent.add(tomlkit.nl())
        _comment(parent, section.description)
        table = tomlkit.table()
        parent.add(section.path[-1], table)
        # The description above is the header's comment: no blank line between them.
        table.trivia.indent = ""
        tables[section.path] = table
        container: Container | Table = table
    else:
        container = tables[()]
        container.add(tomlkit.nl())
    for key in section.keys:
        _comment(container, f"{key.description} [{_type_note(key)}]")
        _key(container, key)


def _type_note(key: KeySchema) -> str:
    # A commented-out example must not be mistaken for the default.
    if key.platform_default is not None:
        return f"{key.type_text}; default: as shown, chosen by the platform"
    if key.default is None:
        return f"{key.type_text}; default: unset"
    if key.default == []:
        return f"{key.type_text}; default: empty"
    return key.type_text


def _key(container: Container | Table, key: KeySchema) -> None:
    name = toml_key(key.name)
    if key.platform_default is not None:
        # Commented out so the file follows the platform default wherever it is copied to.
        container.add(tomlkit.comment(f"{name} = {toml_value(key.default)}"))
    elif key.unset_by_default:
        if key.example is None:
            raise ValueError(f"config key {key.name!r} is unset by default but has no example")
        container.add(tomlkit.comment(f"{name} = {toml_value(key.example)}"))
    else:
        container.add(key.name, toml_item(key.default))


def _named_example(container: Container | Table, path: tuple[str, ...], named: NamedTables) -> None:
    lines = [named.description]
    if named.builtin:
        lines.append(f"Built in: {', '.join(named.builtin)}.")
    lines.append(f"Add entries as [{toml_dotted(path[:-1])}.<name>] tables, for example:")
    _comment(container, "\n".join(lines))
    if named.example is None:
        return
    for line in toml_document(named.example, at=path[:-1]).splitlines():
        container.add(tomlkit.comment(line) if line else _bare_comment())


def _comment(container: Container | Table, text: str) -> None:
    for paragraph in text.strip("\n").split("\n"):
        wrapped = textwrap.wrap(paragraph, _WIDTH - 2, break_on_hyphens=False) or [""]
        for line in _no_header_lookalike(wrapped):
            container.add(tomlkit.comment(line) if line else _bare_comment())


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
