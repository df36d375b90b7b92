"""Every template, as an author meets it: `plugins new` -> `plugins build` -> `plugins
validate` -> `plugins test`, on a fresh HOME (each test has its own, tests/conftest.py).

The nine plugins are created and built once per run (side by side, like the examples:
tests/plugins/examples/conftest.py). Their components are also kept in the store the
tutorials' test shares (build_store.py: under the repository's .cache/, keyed by the
sources) and put back into the next run's fresh directories, so the build's own cache check
(the sources' key, the component's sha256) decides whether to rebuild: an edited template
or toolchain rebuilds, an unchanged one does not. Without node or componentize-js the
JavaScript ones are skipped, except under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.plugins.authoring.build import ToolchainMissingError, build_plugin
from zeroclaw.plugins.authoring.scaffold import KINDS, LANGUAGES, new_plugin

from . import build_store

COMBINATIONS = [(kind, language) for kind in KINDS for language in LANGUAGES]
# Two more, made from the tool templates with a failure added: what an author's bug looks like.
BROKEN = {
    "python": (
        "app.py",
        '        return json.dumps({"slug": slug})',
        '        if args["text"] == "bad-shape":\n'
        "            return 42\n"
        '        return json.dumps({"slug": slug})',
    ),
    "javascript": (
        "plugin.js",
        "    const slug = slugify(args.text, args.max_length);",
        "    if (args.text === 'boom') throw new RangeError('boom at the door');\n"
        "    const slug = slugify(args.text, args.max_length);",
    ),
}
HOOK_GRANTS = ["--grant", "hooks.conversation", "--grant", "hooks.modify"]
# The first test waits for eleven builds (10-50 s each for Python and JavaScript, two at a
# time) on a machine without the cache: more than the suite's default 120 s.
pytestmark = pytest.mark.timeout(900)


def _name(kind: str, language: str) -> str:
    return f"t-{kind}-{language}"


def _make_and_build(parent: Path, kind: str, language: str) -> Path | str:
    """The new plugin's directory, built; or why it could not be built."""
    if kind == "broken":
        target = new_plugin(f"t-broken-{language}", language, parent, kind="tool")  # type: ignore[arg-type]
        entry, old, new = BROKEN[language]
        source = target / entry
        assert old in source.read_text()
        source.write_text(source.read_text().replace(old, new))
    else:
        target = new_plugin(_name(kind, language), language, parent, kind=kind)  # type: ignore[arg-type]
    build_store.restore(target)
    try:
        build_plugin(target)
    except ToolchainMissingError as exc:
        if os.environ.get("CI"):
            raise
        return f"{exc.message} ({exc.hint})"
    build_store.keep(target)
    return target


@pytest.fixture(scope="session")
def templates_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path | str]]:
    parent = tmp_path_factory.mktemp("templates")
    everything = [*COMBINATIONS, *(("broken", language) for language in BROKEN)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda combo: _make_and_build(parent, *combo), everything)
        yield dict(zip((_name(*c) for c in everything), results, strict=True))


def _plugin(built: dict[str, Path | str], kind: str, language: str) -> Path:
    found = built[_name(kind, language)]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("kind", "language"), COMBINATIONS)
def test_a_new_plugin_builds_validates_and_passes_its_own_tests(
    templates_built: dict[str, Path | str], kind: str, language: str
) -> None:
    plugin = _plugin(templates_built, kind, language)
    grants = HOOK_GRANTS if kind == "hook" else []

    code, out = _run("plugins", "build", str(plugin))
    assert code == 0, out
    assert "up to date" in out

    code, out = _run("plugins", "validate", str(plugin), *grants)
    assert code == 0, out
    assert f"{plugin.name} 0.1.0" in out

    code, out = _run("plugins", "test", str(plugin), *grants, "--log-level", "debug")
    assert code == 0, out
    assert "FAIL" not in out
    assert "passed" in out
    if language != "wat":  # print / console.log reached the host's log, at info
        assert "plugin info:" in out


@pytest.mark.parametrize(("kind", "language"), COMBINATIONS)
def test_the_readme_and_manifest_carry_the_new_name(
    templates_built: dict[str, Path | str], kind: str, language: str
) -> None:
    plugin = _plugin(templates_built, kind, language)
    readme = (plugin / "README.md").read_text()

    assert readme.startswith(f"# {plugin.name}\n")
    assert f"my-{kind}" not in readme
    assert "](../" not in readme  # no link that breaks outside the repository
    assert f'name = "{plugin.name}"' in (plugin / "plugin.toml").read_text()


def test_a_hook_without_its_grants_says_why_it_is_not_called(
    templates_built: dict[str, Path | str],
) -> None:
    plugin = _plugin(templates_built, "hook", "wat")

    code, out = _run("plugins", "test", str(plugin))

    assert code == 1
    assert "not called for it" in out
    assert "hooks.conversation" in out

    code, out = _run("plugins", "validate", str(plugin), "--strict")
    assert code == 1
    assert "will never be called" in out


def test_a_failed_expectation_exits_1_and_says_what_was_expected(
    templates_built: dict[str, Path | str],
) -> None:
    plugin = _plugin(templates_built, "tool", "wat")

    code, out = _run("plugins", "test", str(plugin), "--tool", "nope")

    assert code == 1
    assert "offers no tool 'nope'" in out

    code, out = _run("plugins", "test", str(plugin), "--tool", "echo", "--payload", '{"a": 1}')
    assert code == 0, out
    assert '{"a": 1}' in out


def test_a_python_exception_names_its_type_message_and_line(
    templates_built: dict[str, Path | str],
) -> None:
    plugin = _plugin(templates_built, "tool", "python")
    arguments = '{"text": "a b", "max_length": "3"}'  # not an int: slicing raises

    code, out = _run("plugins", "test", str(plugin), "--tool", "slugify", "--payload", arguments)

    assert code == 1
    assert "failed" in out
    assert "uncaught TypeError: slice indices must be integers" in out
    line = next(
        n
        for n, text in enumerate((plugin / "app.py").read_text().splitlines(), 1)
        if "slug[:max_length]" in text
    )
    assert f"at app.py:{line} in slugify" in out
    assert "the plugin's own code raised it" in out


def test_a_python_result_of_the_wrong_type_is_a_bad_result_naming_it(
    templates_built: dict[str, Path | str],
) -> None:
    plugin = _plugin(templates_built, "broken", "python")

    code, out = _run(
        "plugins", "test", str(plugin), "--tool", "slugify", "--payload", '{"text": "bad-shape"}'
    )

    assert code == 1
    assert "returned an unusable result in call: call() returned: expected str, got int" in out

    code, out = _run("plugins", "test", str(plugin))  # the instance after a failure is fresh
    assert code == 0, out


def test_a_javascript_error_names_its_type_message_and_line(
    templates_built: dict[str, Path | str],
) -> None:
    plugin = _plugin(templates_built, "broken", "javascript")

    code, out = _run(
        "plugins", "test", str(plugin), "--tool", "slugify", "--payload", '{"text": "boom"}'
    )

    assert code == 1
    assert "uncaught RangeError: boom at the door" in out
    line = next(
        n
        for n, text in enumerate((plugin / "plugin.js").read_text().splitlines(), 1)
        if "boom at the door" in text
    )
    assert f"at plugin.js:{line} in call" in out
