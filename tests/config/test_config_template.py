"""The commented template `zeroclaw config init` writes, and writing it safely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zeroclaw.config import Config, ConfigError, parse_config
from zeroclaw.config.loader import anchor_paths
from zeroclaw.config.schema import sections
from zeroclaw.config.template import render_template, write_template
from zeroclaw.config.toml_text import toml_value

# A commented-out setting or table header, as opposed to a comment in prose.
_COMMENTED_SETTING = re.compile(r"^# (?=\[|[A-Za-z0-9_-]+ = )", re.MULTILINE)


def test_template_parses_back_to_exactly_the_default_config(tmp_path: Path) -> None:
    parsed = parse_config(render_template(), source=tmp_path / "config.toml")
    assert parsed == anchor_paths(Config(), tmp_path)


def test_every_section_and_key_is_in_the_template_with_its_description() -> None:
    text = render_template()
    for section in sections():
        if section.inside_named:
            continue
        if section.path:
            assert f"\n[{section.title}]\n" in text
        for key in section.keys:
            assert re.search(rf"^(# )?{key.name} = ", text, re.MULTILINE), key.name
            # Descriptions are wrapped, so compare their first words only.
            assert " ".join(key.description.split()[:4]) in text


def test_set_keys_show_their_default_and_unset_keys_are_commented_out() -> None:
    text = render_template()
    assert "\nmax_tool_iterations = 8\n" in text
    assert "\nenabled = false\n" in text  # plugins are off by default
    assert '\n# model = "gpt-4o-mini"\n' in text  # llm.model is unset: an example
    assert "\n# fuel = 50000000\n" in text
    assert "\nfuel =" not in text


def test_machine_specific_data_dir_is_commented_out_with_this_machine_value(
    isolated_home: Path,
) -> None:
    expected = isolated_home / ".local" / "share" / "zeroclaw"
    assert f"\n# data_dir = {toml_value(expected)}\n" in render_template()


def test_named_tables_get_a_commented_example_entry() -> None:
    text = render_template()
    assert "\n# [llm.providers.local]\n" in text
    assert "\n# [llm.routes.fast]\n" in text
    assert "\n# [plugins.overrides.redact-secrets.limits]\n" in text
    assert "Built in: offline, openai, anthropic, openrouter, ollama." in text


def test_uncommented_examples_are_a_valid_config_that_sets_them(tmp_path: Path) -> None:
    uncommented = _COMMENTED_SETTING.sub("", render_template())
    config = parse_config(uncommented, source=tmp_path / "config.toml")

    assert config.llm.model == "gpt-4o-mini"
    assert config.llm.fallbacks == ["anthropic", "openrouter"]
    assert config.llm.routes["fast"].model == "gpt-4o-mini"
    assert config.llm.providers["local"].api_key_env == "LOCAL_LLM_API_KEY"
    assert "openai" in config.llm.providers  # built-ins stay beside the example
    assert config.tools.http_request.allowed_hosts == ["api.github.com", "*.wikipedia.org"]
    assert config.memory.path == tmp_path.resolve() / "zeroclaw.db"
    assert config.memory.url == "postgresql://zeroclaw@localhost:5432/zeroclaw"
    assert config.plugins.dirs == [tmp_path.resolve() / "plugins"]
    assert config.plugins.limits.fuel == 50_000_000
    assert config.plugins.capabilities.allow == ["log", "kv", "http:api.example.com"]
    override = config.plugins.overrides["redact-secrets"]
    assert override.required is True
    assert override.limits.timeout_ms == 200


def test_write_creates_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "config.toml"
    write_template(target)
    assert target.read_text(encoding="utf-8") == render_template()
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_write_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists") as caught:
        write_template(target)
    assert caught.value.hint is not None
    assert "--force" in caught.value.hint
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_write_with_force_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("# mine\n", encoding="utf-8")
    write_template(target, force=True)
    assert target.read_text(encoding="utf-8") == render_template()


def test_write_to_an_impossible_place_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot write"):
        write_template(blocker / "config.toml")
