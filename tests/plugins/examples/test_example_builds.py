"""`zeroclaw plugins build`: language detection, the world, the cache, and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.plugins.authoring import build
from zeroclaw.plugins.authoring.build import (
    BuildError,
    Language,
    ToolchainMissingError,
    build_plugin,
    component_world,
    detect_language,
    plugin_dirs,
    wit_root,
    wit_target,
    world_problems,
)
from zeroclaw.plugins.contract.manifest import PluginManifest, parse_manifest
from zeroclaw.plugins.errors import AbiError

from .example_guests import EXAMPLES, NAMES, ROOT, Built, build_of

MANIFEST = """\
name = "probe"
version = "0.1.0"
wit_package = "zeroclaw:hooks@1.0.0"
component = "plugin.wasm"
capabilities = ["hooks.modify"]
"""


def manifest(**changes: object) -> PluginManifest:
    return parse_manifest(MANIFEST, source=Path("plugin.toml")).model_copy(update=changes)


def copy_example(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("plugin.wasm*"))
    return target


# -- what and how to build ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "language", "entry", "world"),
    [
        ("redact-secrets", Language.PYTHON, "app.py", "zeroclaw-examples:redact-secrets/plugin"),
        ("guard-shell", Language.JAVASCRIPT, "plugin.js", "zeroclaw:hooks/hooks@1.0.0"),
        ("compaction-floor", Language.WAT, "plugin.wat", "zeroclaw:hooks/hooks@1.0.0"),
    ],
)
def test_each_example_is_built_for_its_language_and_world(
    built: Built, name: str, language: Language, entry: str, world: str
) -> None:
    result = build_of(built, name)

    assert detect_language(EXAMPLES / name) == (language, EXAMPLES / name / entry)
    assert (result.language, result.world) == (language, world)
    assert result.component == EXAMPLES / name / "plugin.wasm"
    assert result.component.stat().st_size > 1_000


@pytest.mark.parametrize("name", NAMES)
def test_a_second_build_is_skipped(built: Built, name: str) -> None:
    first = build_of(built, name)
    before = first.component.stat()

    again = build_plugin(EXAMPLES / name)

    assert again.cached
    assert again.key == first.key
    assert first.component.stat().st_mtime_ns == before.st_mtime_ns
    assert first.component.stat().st_ino == before.st_ino


def test_the_cache_follows_the_sources_and_force_rebuilds(tmp_path: Path) -> None:
    plugin = copy_example("compaction-floor", tmp_path)
    component = plugin / "plugin.wasm"

    first = build_plugin(plugin)
    stamp = component.stat().st_mtime_ns
    second = build_plugin(plugin)
    (plugin / "README.md").write_text("docs do not count\n")
    third = build_plugin(plugin)
    source = plugin / "plugin.wat"
    source.write_text(source.read_text().replace("(i32.const 8)", "(i32.const 9)"))
    edited = build_plugin(plugin)
    forced = build_plugin(plugin, force=True)

    assert [r.cached for r in (first, second, third, edited, forced)] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert second.key == third.key == first.key
    assert edited.key != first.key
    assert forced.key == edited.key
    assert component.stat().st_mtime_ns != stamp


def test_a_replaced_component_is_rebuilt(tmp_path: Path) -> None:
    plugin = copy_example("compaction-floor", tmp_path)
    build_plugin(plugin)
    (plugin / "plugin.wasm").write_bytes(b"\0asm not what was built")

    assert not build_plugin(plugin).cached


def test_a_change_in_the_hosts_wit_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = copy_example("compaction-floor", tmp_path)
    wit = tmp_path / "wit"
    shutil.copytree(ROOT / "wit", wit)
    monkeypatch.setenv(build.WIT_DIR_ENV, str(wit))
    first = build_plugin(plugin)
    handler = wit / "zeroclaw" / "hooks" / "v1" / "handler.wit"
    handler.write_text(handler.read_text() + "\n// edited\n")

    assert wit_root() == wit
    assert not build_plugin(plugin).cached
    assert build_plugin(plugin).key != first.key


def test_a_plugin_world_must_be_one(tmp_path: Path) -> None:
    own = tmp_path / "wit"
    own.mkdir()
    (own / "world.wit").write_text(
        "package my:plugin;\nworld a { include zeroclaw:hooks/hooks@1.0.0; }\n"
        "world b { include zeroclaw:hooks/hooks@1.0.0; }\n"
    )

    with pytest.raises(BuildError, match="exactly one world, found a, b"):
        wit_target(tmp_path, manifest(), wit_root())


def test_a_plugin_world_includes_every_zeroclaw_package_as_a_dependency(tmp_path: Path) -> None:
    target = wit_target(EXAMPLES / "redact-secrets", manifest(), wit_root())

    assert target.world == "zeroclaw-examples:redact-secrets/plugin"
    assert "world.wit" in target.files
    assert {path.split("/")[1] for path in target.files if path.startswith("deps/")} == {
        "zeroclaw-host",
        "zeroclaw-hooks",
        "zeroclaw-tools",
        "zeroclaw-providers",
        # The older minor the host still loads, so a plugin built for it builds too.
        "zeroclaw-providers-1.0",
    }


def test_an_import_the_manifest_does_not_ask_for_is_reported(built: Built) -> None:
    world = component_world(build_of(built, "redact-secrets").component)

    problems = world_problems(manifest(name="redact-secrets"), world)

    # zeroclaw:host/console comes with the build's wrapper and needs no capability.
    assert set(world.imports) == {"zeroclaw:host/log@1.0.0", "zeroclaw:host/console@1.0.0"}
    assert len(problems) == 1
    assert 'imports zeroclaw:host/log@1.0.0, which needs the "log" capability' in problems[0]


def test_exports_of_another_package_are_reported(built: Built) -> None:
    world = component_world(build_of(built, "compaction-floor").component)

    (problem,) = world_problems(manifest(wit_package="zeroclaw:tools@1.0.0", priority=None), world)

    assert "declares zeroclaw:tools@1.0.0" in problem
    assert "zeroclaw:hooks/handler@1.0.0" in problem


# -- errors ---------------------------------------------------------------------------------


def test_a_directory_without_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST)

    with pytest.raises(BuildError, match="has no plugin source") as caught:
        build_plugin(tmp_path)
    assert caught.value.hint is not None
    assert "app.py" in caught.value.hint


def test_two_languages_in_one_plugin_are_refused(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST)
    (tmp_path / "app.py").write_text("")
    (tmp_path / "plugin.js").write_text("")

    with pytest.raises(BuildError, match=r"more than one language \(python: app.py; javascript"):
        build_plugin(tmp_path)


def test_several_files_without_an_entry_point_are_refused(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text("")
    (tmp_path / "two.py").write_text("")

    with pytest.raises(BuildError, match="none is the entry point") as caught:
        detect_language(tmp_path)
    assert caught.value.hint == "name the entry point app.py"


def test_an_unsupported_package_is_refused_before_building(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST.replace("hooks@1.0.0", "hooks@2.0.0"))
    (tmp_path / "plugin.wat").write_text("(module)")

    with pytest.raises(AbiError, match="major version 2"):
        build_plugin(tmp_path)


def test_a_failing_tool_says_which_and_why(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST)
    (tmp_path / "plugin.wat").write_text('(module (func (export "x") i32.add))')

    with pytest.raises(BuildError, match=r"^wasm-tools component new .* failed") as caught:
        build_plugin(tmp_path)
    assert "type mismatch: expected i32" in caught.value.message
    assert not (tmp_path / "plugin.wasm").exists()


def test_missing_node_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build.shutil, "which", lambda _name: None)

    with pytest.raises(ToolchainMissingError, match="node is not installed") as caught:
        build.javascript_toolchain(EXAMPLES / "guard-shell")
    assert caught.value.hint is not None
    assert "npm ci" in caught.value.hint
    assert "scripts/install dev" in caught.value.hint


def test_missing_componentize_js_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "__file__", str(tmp_path / "src" / "zeroclaw" / "plugins" / "b.py"))
    monkeypatch.setattr(
        build.shutil, "which", lambda name: "/usr/bin/node" if name == "node" else None
    )

    with pytest.raises(ToolchainMissingError, match="componentize-js is not installed") as caught:
        build.javascript_toolchain(tmp_path)
    assert caught.value.hint is not None
    assert "npm ci" in caught.value.hint


def test_missing_componentize_py_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "_beside_python", lambda _program: None)

    with pytest.raises(ToolchainMissingError, match="componentize-py is not installed") as caught:
        build_plugin(EXAMPLES / "redact-secrets")
    assert caught.value.hint is not None
    assert "pip install componentize-py" in caught.value.hint


def test_a_wrong_wit_dir_setting_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(build.WIT_DIR_ENV, str(tmp_path))

    with pytest.raises(BuildError, match="ZEROCLAW_WIT_DIR"):
        wit_root()


def test_plugin_dirs_finds_the_examples() -> None:
    assert [p.name for p in plugin_dirs(EXAMPLES)] == sorted(NAMES)
    assert plugin_dirs(EXAMPLES / "guard-shell") == [EXAMPLES / "guard-shell"]


# -- the command ----------------------------------------------------------------------------


def test_the_build_command_reports_each_plugin(built: Built) -> None:
    import typer

    from zeroclaw.cli.plugins_build_cmd import build as build_command

    app = typer.Typer()
    app.command("build")(build_command)
    app.command("other")(lambda: None)
    available = [n for n in NAMES if not isinstance(built[n], str)]

    for name in available:
        result = CliRunner().invoke(app, ["build", str(EXAMPLES / name)])
        assert result.exit_code == 0, result.output
        assert f"up to date {name}:" in result.output
