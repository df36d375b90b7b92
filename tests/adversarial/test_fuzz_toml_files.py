"""Fuzzing the two TOML files ZeroClaw reads: a plugin.toml and the config file.

A plugin folder is untrusted, and the config file is typed by hand. Whatever is in them,
reading must end in one of two ways: success, or the typed error that names the file
(`ManifestError`, `ConfigError`), which the CLI prints as one line. Any other exception
(`RecursionError`, `TypeError`, `KeyError`, ...) is a bug: it would stop `plugins list`,
the agent or a reload with a traceback instead of naming the bad file.

Hypothesis writes random bytes, random text, TOML-ish documents built from the real keys
with values of every type (so each key gets wrong types), deep nesting of every kind and
strings around the size caps. Each property runs at most 200 examples without a deadline,
so the default test command stays fast; raise `max_examples` in `FUZZ` for a longer hunt.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zeroclaw.config import Config, ConfigError, load_config
from zeroclaw.config.bounded_toml import MAX_TOML_DEPTH
from zeroclaw.config.schema import NAME, sections
from zeroclaw.plugins.contract.manifest import (
    MANIFEST_FILE,
    MAX_MANIFEST_BYTES,
    PluginManifest,
    load_manifest,
)
from zeroclaw.plugins.errors import ManifestError

FUZZ = settings(
    max_examples=200,
    deadline=None,
    # Each example rewrites the same files; no state carries over between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MANIFEST_KEYS = (
    "name",
    "version",
    "wit_package",
    "component",
    "description",
    "priority",
    "capabilities",
    "secrets",
    "limits",
    "config",
    "tools",
    "limits.timeout_ms",
    "limits.memory_mb",
    "limits.max_concurrency",
    "limits.fuel",
    "tools.read_only",
)
GOOD_MANIFEST = {
    "name": "fuzzed",
    "version": "1.0.0",
    "wit_package": "zeroclaw:tools@1.0.0",
    "component": "plugin.wasm",
}
CONFIG_KEYS = tuple(
    ".".join(part if part != NAME else "x" for part in (*section.path, key.name))
    for section in sections()
    for key in section.keys
)


# -- strategies -----------------------------------------------------------------------------

KEY_TEXT = st.one_of(
    st.sampled_from(["a", "name", "limits", "x-y", "_", "1"]),
    st.text(min_size=1, max_size=12),
)


def toml_string(text: str) -> str:
    # JSON's string syntax is TOML's basic string (a lone surrogate's \\ud800 is an error
    # the parser reports, which is fine: it is one more bad input).
    return json.dumps(text)


def toml_key(key: str) -> str:
    return (
        key
        if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
        else (toml_string(key))
    )


SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "nan", "inf", "-inf", "1979-05-27T07:32:00Z", "07:32:00"]),
    st.text(max_size=40).map(toml_string),
    st.text(max_size=40).map(lambda t: "'" + t.replace("'", "").replace("\n", "") + "'"),
)


def inline_value(depth: int) -> st.SearchStrategy[str]:
    if depth <= 0:
        return SCALARS
    inner = inline_value(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(KEY_TEXT, inner, max_size=3).map(
            lambda table: "{" + ", ".join(f"{toml_key(k)} = {v}" for k, v in table.items()) + "}"
        ),
    )


VALUES = inline_value(3)


@st.composite
def toml_documents(draw: st.DrawFn, keys: tuple[str, ...], base: dict[str, str]) -> str:
    """A document of `base` with some keys given random values (often of the wrong type),
    sometimes unknown keys, table headers, and repeated keys."""
    lines = [f"{k} = {toml_string(v)}" for k, v in base.items() if draw(st.booleans())]
    for key in draw(st.lists(st.sampled_from(keys), max_size=6)):
        lines.append(f"{key} = {draw(VALUES)}")
    for _ in range(draw(st.integers(0, 2))):
        header = ".".join(toml_key(k) for k in draw(st.lists(KEY_TEXT, min_size=1, max_size=3)))
        lines.append(f"[{header}]" if draw(st.booleans()) else f"[[{header}]]")
        lines.append(f"{toml_key(draw(KEY_TEXT))} = {draw(VALUES)}")
    draw(st.randoms()).shuffle(lines)
    return "\n".join(lines) + "\n"


@st.composite
def deep_nesting(draw: st.DrawFn) -> str:
    """Nesting around and far past the depth limit, closed or not, of every kind."""
    depth = draw(st.sampled_from([MAX_TOML_DEPTH - 1, MAX_TOML_DEPTH, MAX_TOML_DEPTH + 1]))
    depth = draw(st.one_of(st.just(depth), st.integers(1, 20_000)))
    kind = draw(st.sampled_from(["array", "inline", "dotted", "header", "mixed"]))
    closed = draw(st.booleans())
    if kind == "array":
        body = "a = " + "[" * depth + ("]" * depth if closed else "")
    elif kind == "inline":
        body = "a = " + "{b = " * depth + "1" + ("}" * depth if closed else "")
    elif kind == "dotted":
        body = "a" + ".a" * depth + " = 1"
    elif kind == "header":
        body = "[a" + ".a" * depth + ("]" if closed else "")
    else:
        body = "a = " + "[{b = " * depth + "1" + ("}]" * depth if closed else "")
    return "\n".join(f"{k} = {toml_string(v)}" for k, v in GOOD_MANIFEST.items()) + "\n" + body


HUGE_STRINGS = st.integers(MAX_MANIFEST_BYTES - 200, MAX_MANIFEST_BYTES + 200).map(
    lambda size: (
        "\n".join(f"{k} = {toml_string(v)}" for k, v in GOOD_MANIFEST.items())
        + f'\ndescription = "{"x" * size}"\n'
    )
)

MANIFEST_TEXTS = st.one_of(
    toml_documents(MANIFEST_KEYS, GOOD_MANIFEST),
    deep_nesting(),
    HUGE_STRINGS,
    st.text(max_size=300),
)
CONFIG_TEXTS = st.one_of(
    toml_documents(CONFIG_KEYS, {}),
    deep_nesting(),
    st.text(max_size=300),
)


# -- properties -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def plugin_dir(root: Path, content: bytes) -> Path:
    directory = root / "plugin"
    directory.mkdir(exist_ok=True)
    (directory / "plugin.wasm").write_bytes(b"\0asm")
    (directory / MANIFEST_FILE).write_bytes(content)
    return directory


def read_manifest(directory: Path) -> PluginManifest | ManifestError:
    try:
        return load_manifest(directory)
    except ManifestError as error:
        return error


def read_config(path: Path) -> Config | ConfigError:
    try:
        return load_config(path)
    except ConfigError as error:
        return error


def assert_names_the_file(outcome: Any, path: Path) -> None:
    if isinstance(outcome, ManifestError | ConfigError):
        assert str(path) in outcome.message, outcome.message


@FUZZ
@given(text=MANIFEST_TEXTS)
def test_any_manifest_text_loads_or_is_a_manifest_error(workdir: Path, text: str) -> None:
    directory = plugin_dir(workdir, text.encode("utf-8", "surrogatepass"))

    outcome = read_manifest(directory)

    assert isinstance(outcome, PluginManifest | ManifestError)
    assert_names_the_file(outcome, directory)


@FUZZ
@given(content=st.binary(max_size=2000))
def test_any_manifest_bytes_load_or_are_a_manifest_error(workdir: Path, content: bytes) -> None:
    directory = plugin_dir(workdir, content)

    outcome = read_manifest(directory)

    assert isinstance(outcome, PluginManifest | ManifestError)
    assert_names_the_file(outcome, directory)


@FUZZ
@given(text=CONFIG_TEXTS)
def test_any_config_text_loads_or_is_a_config_error(workdir: Path, text: str) -> None:
    path = workdir / "config.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))

    outcome = read_config(path)

    assert isinstance(outcome, Config | ConfigError)
    assert_names_the_file(outcome, path)


@FUZZ
@given(content=st.binary(max_size=2000))
def test_any_config_bytes_load_or_are_a_config_error(workdir: Path, content: bytes) -> None:
    path = workdir / "config.toml"
    path.write_bytes(content)

    outcome = read_config(path)

    assert isinstance(outcome, Config | ConfigError)
    assert_names_the_file(outcome, path)


def test_the_generators_reach_success_as_well_as_errors(workdir: Path) -> None:
    """The properties above would pass vacuously if every example were an error."""
    good = "\n".join(f"{k} = {toml_string(v)}" for k, v in GOOD_MANIFEST.items())
    assert isinstance(read_manifest(plugin_dir(workdir, good.encode())), PluginManifest)
    config = workdir / "ok.toml"
    config.write_text("agent.max_tool_iterations = 3\n")
    assert isinstance(read_config(config), Config)
