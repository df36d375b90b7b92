"""Loading the config: defaults, where the file is, relative paths, and the error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeroclaw.config import Config, ConfigError, load_config, parse_config, resolve_config_path

SOURCE = Path("/etc/zeroclaw/config.toml")


def _errors(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source=SOURCE)
    return caught.value.message


# --- defaults ---------------------------------------------------------------------------


def test_plugins_are_off_and_grant_nothing_by_default() -> None:
    plugins = Config().plugins
    assert plugins.enabled is False
    assert plugins.hot_reload is False
    assert plugins.dirs == []
    assert plugins.capabilities.allow == []
    assert plugins.capabilities.deny == []
    assert plugins.overrides == {}
    assert (plugins.limits.timeout_ms, plugins.limits.memory_mb) == (1000, 64)
    assert plugins.limits.max_concurrency == 4
    assert plugins.limits.fuel is None


def test_defaults_use_the_offline_provider_and_platform_data_dir(isolated_home: Path) -> None:
    config = Config()
    assert config.llm.provider == "offline"
    assert set(config.llm.providers) == {"offline", "openai", "anthropic", "openrouter", "ollama"}
    assert config.data_dir == isolated_home / ".local" / "share" / "zeroclaw"
    assert config.workspace == config.data_dir / "workspace"
    assert config.memory_path == config.data_dir / "zeroclaw.db"


def test_empty_file_is_the_default_config() -> None:
    # Only the paths that follow the file's place differ: where installed plugins and
    # plugins.lock go.
    config = parse_config("", source=SOURCE)
    assert config.plugins.lock_file == SOURCE.parent / "plugins.lock"
    assert config.plugins.install_dir == config.data_dir / "plugins"
    config.plugins.lock_file = config.plugins.install_dir = None
    assert config == Config()


# --- rejected values: the dotted key, what was expected, what was given -------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            'agent.max_tool_iterations = "lots"',
            '`agent.max_tool_iterations`: expected integer, got "lots"',
        ),
        # Strict: TOML has types, so a quoted number or a boolean is not an integer.
        (
            'agent.max_tool_iterations = "8"',
            '`agent.max_tool_iterations`: expected integer, got "8"',
        ),
        (
            "agent.max_tool_iterations = true",
            "`agent.max_tool_iterations`: expected integer, got true",
        ),
        (
            "agent.max_tool_iterations = 500",
            "`agent.max_tool_iterations`: expected a value <= 100, got 500",
        ),
        (
            "plugins.limits.timeout_ms = 0",
            "`plugins.limits.timeout_ms`: expected a value >= 1, got 0",
        ),
        (
            'plugins.limits.memory_mb = "big"',
            '`plugins.limits.memory_mb`: expected integer, got "big"',
        ),
        (
            'tools.autonomy = "yolo"',
            '`tools.autonomy`: expected one of "read_only", "supervised" or "full", got "yolo"',
        ),
        (
            'llm.providers.x.kind = "nope"',
            '`llm.providers.x.kind`: expected one of "offline", "scripted", "openai" or '
            '"anthropic", got "nope"',
        ),
        (
            '[llm.providers."my.local"]\nkind = "nope"',
            '`llm.providers."my.local".kind`: expected one of',
        ),
        ('tools.allowed = ["shell", 3]', "`tools.allowed[1]`: expected string, got 3"),
        ("tools.shell.timeout_s = true", "`tools.shell.timeout_s`: expected number, got true"),
        ("memory.path = 5", "`memory.path`: expected path (string), got 5"),
        ("agent = 3", "`agent`: expected table, got 3"),
        ('llm.routes.fast.provider = "openai"', "`llm.routes.fast.model`: required key is missing"),
        (
            "plugins.overrides.guard.limits.memory_mb = 128",
            "`plugins.overrides.guard.limits.memory_mb`: expected at most 64 (an override may "
            "only tighten plugins.limits.memory_mb), got 128",
        ),
    ],
)
def test_bad_value_names_the_key_the_expectation_and_the_value(text: str, line: str) -> None:
    message = _errors(text)
    assert message.startswith(f"{SOURCE} has 1 invalid setting(s):")
    assert f"\n  - {line}" in message


def test_unknown_key_lists_the_valid_keys_and_the_closest_one() -> None:
    assert _errors("[agent]\nmax_tool_iteration = 3").endswith(
        "`agent.max_tool_iteration`: unknown key in [agent] (did you mean "
        "`max_tool_iterations`?); valid keys: system_prompt, max_tool_iterations, "
        "history_messages, compaction"
    )


def test_unknown_top_level_key() -> None:
    assert _errors("colour = 1").endswith(
        "`colour`: unknown key at the top level; valid keys: data_dir, agent, llm, tools, "
        "memory, plugins, hooks, observability, audit, gateway, mcp"
    )


def test_unknown_key_inside_a_named_entry_names_that_entry() -> None:
    message = _errors('llm.providers.mine.kid = "openai"')
    assert "`llm.providers.mine.kind`: required key is missing" in message
    assert (
        "`llm.providers.mine.kid`: unknown key in [llm.providers.mine] (did you mean `kind`?)"
        in (message)
    )


def test_every_problem_is_reported_at_once() -> None:
    message = _errors('agent.max_tool_iterations = "lots"\ntools.autonomy = "yolo"\nbogus = 1')
    assert message.startswith(f"{SOURCE} has 3 invalid setting(s):")
    for key in ("agent.max_tool_iterations", "tools.autonomy", "bogus"):
        assert f"`{key}`" in message


def test_invalid_setting_error_has_a_hint() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("bogus = 1", source=SOURCE)
    assert caught.value.hint is not None
    assert "config-reference.md" in caught.value.hint


def test_bad_toml_syntax_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("[agent]\nmax_tool_iterations 8\n", source=SOURCE)
    assert caught.value.message.startswith(f"{SOURCE} is not valid TOML:")
    assert "line 2" in caught.value.message


def test_integer_is_accepted_where_a_number_is_expected() -> None:
    assert parse_config("tools.shell.timeout_s = 5", source=SOURCE).tools.shell.timeout_s == 5.0


# --- plugin overrides may only tighten --------------------------------------------------


def test_tighter_override_is_accepted() -> None:
    text = "[plugins.overrides.guard.limits]\ntimeout_ms = 200\nmemory_mb = 16\nfuel = 1000"
    limits = parse_config(text, source=SOURCE).plugins.overrides["guard"].limits
    assert (limits.timeout_ms, limits.memory_mb, limits.fuel) == (200, 16, 1000)


def test_override_fuel_above_the_global_fuel_is_rejected() -> None:
    text = "plugins.limits.fuel = 1000\nplugins.overrides.guard.limits.fuel = 2000"
    assert "`plugins.overrides.guard.limits.fuel`: expected at most 1000" in _errors(text)


# --- providers --------------------------------------------------------------------------


def test_user_providers_are_added_beside_the_built_in_ones() -> None:
    text = '[llm.providers.local]\nkind = "openai"\nbase_url = "http://127.0.0.1:8080/v1"'
    providers = parse_config(text, source=SOURCE).llm.providers
    assert providers["local"].base_url == "http://127.0.0.1:8080/v1"
    assert {"offline", "openai", "anthropic", "openrouter", "ollama"} <= set(providers)


def test_a_provider_with_a_built_in_name_replaces_it() -> None:
    text = '[llm.providers.openai]\nkind = "openai"\nbase_url = "https://proxy.example/v1"'
    openai = parse_config(text, source=SOURCE).llm.providers["openai"]
    assert openai.base_url == "https://proxy.example/v1"
    assert openai.api_key_env is None


# --- where the file is ------------------------------------------------------------------


def test_default_path_is_the_platform_config_dir(isolated_home: Path) -> None:
    assert resolve_config_path() == (isolated_home / ".config" / "zeroclaw" / "config.toml", False)


def test_missing_default_file_means_defaults() -> None:
    config = load_config()
    # plugins.lock goes where the default file would be
    assert config.plugins.lock_file == resolve_config_path()[0].parent / "plugins.lock"
    config.plugins.lock_file = config.plugins.install_dir = None
    assert config == Config()


def test_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "env.toml"
    env_file.write_text("agent.max_tool_iterations = 3\n", encoding="utf-8")
    monkeypatch.setenv("ZEROCLAW_CONFIG", str(env_file))
    assert resolve_config_path() == (env_file, True)
    assert load_config().agent.max_tool_iterations == 3


def test_explicit_path_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "env.toml"
    env_file.write_text("agent.max_tool_iterations = 3\n", encoding="utf-8")
    cli_file = tmp_path / "cli.toml"
    cli_file.write_text("agent.max_tool_iterations = 5\n", encoding="utf-8")
    monkeypatch.setenv("ZEROCLAW_CONFIG", str(env_file))
    assert load_config(cli_file).agent.max_tool_iterations == 5


@pytest.mark.parametrize("via_env", [False, True])
def test_missing_named_file_is_an_error_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via_env: bool
) -> None:
    missing = tmp_path / "nope.toml"
    if via_env:
        monkeypatch.setenv("ZEROCLAW_CONFIG", str(missing))
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_config(None if via_env else missing)
    assert str(missing) in caught.value.message
    assert caught.value.hint == f"create one with `zeroclaw config init --path {missing}`"


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path)  # a directory


# --- relative paths ---------------------------------------------------------------------


def test_relative_paths_are_anchored_to_the_file_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    conf_dir = conf_dir.resolve()  # anchoring resolves symlinks, e.g. a /tmp that is a link
    (conf_dir / "config.toml").write_text(
        'data_dir = "data"\n'
        '[tools]\nworkspace = "~/ws"\n'
        '[memory]\npath = "db/zeroclaw.db"\n'
        '[plugins]\ndirs = ["plugins", "/opt/zeroclaw/plugins"]\n'
        '[llm.providers.replay]\nkind = "scripted"\nscript = "replies.json"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the current directory must not matter

    config = load_config(conf_dir / "config.toml")
    assert config.data_dir == conf_dir / "data"
    assert config.tools.workspace == isolated_home / "ws"
    assert config.memory_path == conf_dir / "db" / "zeroclaw.db"
    assert config.plugins.dirs == [conf_dir / "plugins", Path("/opt/zeroclaw/plugins")]
    assert config.llm.providers["replay"].script == conf_dir / "replies.json"


def test_a_timeout_override_may_reach_the_provider_ceiling() -> None:
    # The config cannot tell a provider plugin from a hook plugin: it accepts up to the
    # higher ceiling, and the loader holds each kind to its own (tests/plugins/test_manifest).
    text = "[plugins.overrides.llm.limits]\ntimeout_ms = 30000\n"
    config = parse_config(text, source=Path("config.toml"))
    assert config.plugins.overrides["llm"].limits.timeout_ms == 30000
    too_long = "[plugins.overrides.llm.limits]\ntimeout_ms = 90000\n"
    assert (
        "expected at most 60000 (an override may only tighten plugins.limits.provider_timeout_ms)"
        in _errors(too_long)
    )


# --- hostile files: a ConfigError naming the file, never a parser's exception --------------


def test_deep_nesting_is_a_config_error_naming_the_file() -> None:
    text = "[tools]\nallowed = " + "[" * 100_000 + "]" * 100_000

    message = _errors(text)

    assert message == (f"{SOURCE} nests arrays or inline tables more than 32 levels deep (line 2)")


def test_a_long_dotted_key_is_refused_before_parsing() -> None:
    assert "has a dotted key of more than 32 parts (line 1)" in _errors("a" + ".a" * 50_000 + "=1")


def test_an_oversized_config_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('data_dir = "x"\n' + "# padding\n" * 200_000)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    size = path.stat().st_size
    assert caught.value.message == (
        f"config file {path} is {size:,} bytes; at most 1,048,576 bytes (1 MiB) are read"
    )
    assert caught.value.hint == "this file holds settings only: move large data out of it"


def test_an_endless_device_as_config_stops_at_the_cap() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(Path("/dev/zero"))  # stat says 0 bytes; the read stops at the cap

    assert caught.value.message == (
        "config file /dev/zero is larger than the limit; at most 1,048,576 bytes (1 MiB) are read"
    )
