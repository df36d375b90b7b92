"""`zeroclaw plugins new`: a named plugin directory from a template, ready to build."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeroclaw.cli import app
from zeroclaw.plugins.authoring.build import build_plugin
from zeroclaw.plugins.authoring.scaffold import LANGUAGES, ScaffoldError, new_plugin
from zeroclaw.plugins.contract.manifest import load_manifest


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_gets_a_named_plugin_without_built_files(
    tmp_path: Path, language: str
) -> None:
    target = new_plugin("redact-emails", language, tmp_path)  # type: ignore[arg-type]

    assert 'name = "redact-emails"' in (target / "plugin.toml").read_text()
    assert not (target / "plugin.wasm").exists()
    assert not list(target.glob("*.build.json"))


def test_the_wat_plugin_builds_and_loads_as_created(tmp_path: Path) -> None:
    target = new_plugin("veto", "wat", tmp_path)

    build_plugin(target)

    assert load_manifest(target).name == "veto"


def test_bad_names_and_existing_dirs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="not a plugin name"):
        new_plugin("Bad_Name", "python", tmp_path)
    new_plugin("taken", "python", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        new_plugin("taken", "wat", tmp_path)


def test_the_command_creates_and_says_what_next(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["plugins", "new", "my-guard", "--lang", "javascript", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "my-guard" / "plugin.js").exists()
    assert "zeroclaw plugins build" in result.output

    unknown = CliRunner().invoke(app, ["plugins", "new", "x", "--lang", "cobol"])
    assert unknown.exit_code == 2
    assert "unknown language" in unknown.output
