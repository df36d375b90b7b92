"""plugins.enabled = false (the default) leaves tools and providers exactly as without the
plugin subsystem, even with tool and provider plugins sitting in plugins.dirs: the same
tool list, the same provider resolution, and wasmtime never imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.providers import UnknownProviderError

from .conftest import MakeToolPlugin
from .plugin_dirs import write_plugin


@pytest.fixture
def plugins_off(
    make_tool_plugin: MakeToolPlugin,
    tool_components: dict[str, Path],
    plugins_dir: Path,
    config: Config,
) -> Config:
    make_tool_plugin("echoer", "tool_echo", extra='[tools]\nread_only = ["echo"]')
    write_plugin(
        plugins_dir / "fixed",
        tool_components["provider_fixed"],
        package="zeroclaw:providers@1.0.0",
    )
    config.plugins.enabled = False
    return config


def runtime(config: Config) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover())


def bare(config: Config) -> Config:
    """The same config without any plugin settings."""
    return Config(data_dir=config.data_dir, tools=config.tools, llm=config.llm)


def test_the_tool_list_is_the_native_one(plugins_off: Config) -> None:
    with closing(runtime(plugins_off)) as off:
        tools = off.live_tools()
        listed = [(s.name, tools.label_of(s.name)) for s in tools.specs()]
        assert tools is off.tools
    with closing(runtime(bare(plugins_off))) as without:
        expected = [(s.name, without.tools.label_of(s.name)) for s in without.tools.specs()]

    assert listed == expected
    assert "echo" not in dict(listed)


@pytest.mark.parametrize(
    ("provider", "error"),
    [
        ("plugin:fixed", "would come from a plugin, and plugins are off"),
        ("fixed", "unknown provider 'fixed'"),
    ],
)
def test_provider_resolution_is_the_native_one(
    plugins_off: Config, provider: str, error: str
) -> None:
    plugins_off.llm.provider = provider

    with pytest.raises(UnknownProviderError, match=error):
        runtime(plugins_off)
    with pytest.raises(UnknownProviderError, match=error):
        runtime(bare(plugins_off))


def test_the_default_provider_is_unchanged(plugins_off: Config) -> None:
    with closing(runtime(plugins_off)) as off:
        providers = off.live_providers()

    assert providers.default is off.provider
    assert providers.default.name == "offline"


SCRIPT = textwrap.dedent(
    """
    import sys
    from zeroclaw.cli import app

    for args in (["tools", "list"], ["tools", "call", "file_list"]):
        try:
            app(["--config", sys.argv[1], *args], standalone_mode=False)
        except SystemExit as exit:
            assert not exit.code, exit.code
    print("WASMTIME-IMPORTED", "wasmtime" in sys.modules)
    """
)


@pytest.mark.parametrize(("enabled", "imported"), [(False, False), (True, True)])
def test_tools_commands_never_import_wasmtime_with_plugins_off(
    plugins_off: Config, plugins_dir: Path, tmp_path: Path, enabled: bool, imported: bool
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{plugins_off.data_dir}"
            [tools]
            autonomy = "full"
            [plugins]
            enabled = {str(enabled).lower()}
            dirs = ["{plugins_dir}"]
            """
        )
    )

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(config_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert f"WASMTIME-IMPORTED {imported}" in done.stdout
    assert ("echo" in done.stdout) is enabled
