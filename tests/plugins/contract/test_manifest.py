"""plugin.toml: validation with the file, the dotted key and the fix; limits resolution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zeroclaw.config.models import PluginLimits, PluginLimitsOverride, PluginOverride, PluginsConfig
from zeroclaw.plugins.contract.capabilities import Capability, CapabilityKind
from zeroclaw.plugins.contract.manifest import (
    MAX_MANIFEST_BYTES,
    ManifestLimits,
    effective_limits,
    load_manifest,
)
from zeroclaw.plugins.errors import ManifestError

GOOD = """
name = "redact-secrets"
version = "0.3.1"
wit_package = "zeroclaw:hooks@1.0.0"
component = "plugin.wasm"
description = "Redacts secrets from tool results"
priority = 50
capabilities = ["log", "kv", "http:api.example.com", "hooks.tool_results"]
secrets = ["API_TOKEN"]

[limits]
timeout_ms = 200
memory_mb = 32

[config]
patterns = ["sk-[a-z0-9]+"]
"""


def write_plugin(root: Path, text: str, component: str = "plugin.wasm") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugin.toml").write_text(text)
    (root / component).write_bytes(b"\0asm")
    return root


def manifest_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        load_manifest(write_plugin(tmp_path / "p", text))
    return str(caught.value)


def replaced(key: str, line: str) -> str:
    """GOOD with the line that sets `key` replaced by `line`."""
    lines = [line if row.startswith(f"{key} =") else row for row in GOOD.splitlines()]
    assert line in lines, key
    return "\n".join(lines)


def test_good_manifest_loads(tmp_path: Path) -> None:
    manifest = load_manifest(write_plugin(tmp_path / "p", GOOD))

    assert manifest.name == "redact-secrets"
    assert str(manifest.package) == "zeroclaw:hooks@1.0.0"
    assert manifest.hook_priority == 50
    assert manifest.limits.timeout_ms == 200
    assert manifest.config == {"patterns": ["sk-[a-z0-9]+"]}
    assert Capability(CapabilityKind.SECRET, "API_TOKEN") in manifest.requested_capabilities
    assert Capability(CapabilityKind.HTTP, "api.example.com") in manifest.requested_capabilities


def test_minimal_manifest_has_defaults(tmp_path: Path) -> None:
    text = 'name = "t"\nversion = "1.0.0"\nwit_package = "zeroclaw:tools@1.0.0"\n'
    manifest = load_manifest(write_plugin(tmp_path / "p", text + 'component = "plugin.wasm"\n'))

    assert manifest.capabilities == []
    assert manifest.requested_capabilities == []
    assert manifest.priority is None
    assert manifest.limits == ManifestLimits()


@pytest.mark.parametrize(
    ("key", "line", "shown"),
    [
        ("name", 'name = "Redact_Secrets"', "`name`: must be a slug"),
        ("name", 'name = "-leading-dash"', "`name`: must be a slug"),
        ("name", f'name = "{"a" * 64}"', "at most 63 characters"),
        ("version", 'version = "1.0"', "`version`: must be a semantic version"),
        ("version", 'version = "v1.0.0"', "`version`: must be a semantic version"),
        ("wit_package", 'wit_package = "zeroclaw-hooks"', "`wit_package`: must be namespace:"),
        ("component", 'component = "../escape.wasm"', "`component`: must be a path relative"),
        ("component", 'component = "/etc/passwd"', "`component`: must be a path relative"),
        ("component", 'component = "sub/../../x.wasm"', "`component`: must be a path relative"),
        ("capabilities", 'capabilities = ["log", "htp:x.com"]', "`capabilities[1]`: unknown"),
        ("capabilities", 'capabilities = ["http"]', '`capabilities[0]`: capability "http" needs'),
        ("capabilities", 'capabilities = ["env:*"]', "wildcards are for config rules"),
        ("secrets", 'secrets = ["API-TOKEN"]', "`secrets[0]`: must be a name"),
        ("timeout_ms", "timeout_ms = 0", "`limits.timeout_ms`: expected a value >= 1, got 0"),
        ("memory_mb", 'memory_mb = "lots"', "`limits.memory_mb`: expected integer"),
        ("priority", 'priority = "high"', "`priority`: expected integer"),
    ],
)
def test_bad_value_names_the_dotted_key(tmp_path: Path, key: str, line: str, shown: str) -> None:
    message = manifest_error(tmp_path, replaced(key, line))

    assert shown in message
    assert str(tmp_path / "p" / "plugin.toml") in message
    assert "hint:" in message


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    message = manifest_error(
        tmp_path, GOOD.replace("[limits]", 'colour = "red"\n[limits]\ncpu = 2')
    )

    assert "`colour`: unknown key" in message
    assert "valid keys here: name, version, wit_package" in message
    assert "`limits.cpu`: unknown key" in message
    assert "valid keys here: timeout_ms, memory_mb, max_concurrency, fuel" in message
    assert "2 invalid setting(s)" in message


def test_missing_required_key(tmp_path: Path) -> None:
    message = manifest_error(tmp_path, replaced("component", "# no component"))

    assert "`component`: required key is missing" in message


def test_priority_is_for_hook_plugins_only(tmp_path: Path) -> None:
    message = manifest_error(
        tmp_path, replaced("wit_package", 'wit_package = "zeroclaw:tools@1.0.0"')
    )

    assert "`priority`: applies to hook plugins" in message
    assert "zeroclaw:tools@1.0.0" in message


def test_component_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.wasm"
    outside.write_bytes(b"\0asm")
    plugin = write_plugin(tmp_path / "p", replaced("component", 'component = "link.wasm"'))
    (plugin / "link.wasm").symlink_to(outside)

    with pytest.raises(ManifestError, match="outside the plugin directory"):
        load_manifest(plugin)


def test_missing_component_file(tmp_path: Path) -> None:
    plugin = write_plugin(tmp_path / "p", replaced("component", 'component = "build/p.wasm"'))

    with pytest.raises(ManifestError, match=r"`component`: 'build/p.wasm' does not exist"):
        load_manifest(plugin)


def test_missing_manifest_and_bad_toml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match=r"has no plugin\.toml"):
        load_manifest(tmp_path / "empty")

    with pytest.raises(ManifestError, match="is not valid TOML"):
        load_manifest(write_plugin(tmp_path / "p", 'name = "unterminated'))


def test_manifest_limits_have_the_config_keys() -> None:
    # provider_timeout_ms is the host's ceiling for a kind; a manifest tightens timeout_ms.
    # max_answer_bytes is the host's own guard against a plugin's answers: not the plugin's.
    host_keys = set(PluginLimits.model_fields) - {"provider_timeout_ms", "max_answer_bytes"}
    assert set(ManifestLimits.model_fields) == host_keys


def test_a_provider_plugin_gets_the_provider_timeout(tmp_path: Path) -> None:
    text = 'name = "llm"\nversion = "1.0.0"\nwit_package = "zeroclaw:providers@1.0.0"\n'
    manifest = load_manifest(write_plugin(tmp_path / "p", text + 'component = "plugin.wasm"\n'))
    config = PluginsConfig()

    resolved = effective_limits(config, manifest)

    assert resolved.limits.timeout_ms == 60_000
    assert resolved.warnings == ()


def test_a_hook_plugin_override_above_its_ceiling_is_clamped(tmp_path: Path) -> None:
    manifest = load_manifest(write_plugin(tmp_path / "p", replaced("timeout_ms", "")))
    config = PluginsConfig(
        overrides={"redact-secrets": PluginOverride(limits=PluginLimitsOverride(timeout_ms=30_000))}
    )

    resolved = effective_limits(config, manifest)

    assert resolved.limits.timeout_ms == 1000
    assert (
        "plugins.overrides.redact-secrets.limits.timeout_ms = 30000 is looser"
        in resolved.warnings[0]
    )


def test_manifest_may_tighten_limits(tmp_path: Path) -> None:
    manifest = load_manifest(write_plugin(tmp_path / "p", GOOD))

    resolved = effective_limits(PluginsConfig(), manifest)

    assert resolved.limits.timeout_ms == 200
    assert resolved.limits.memory_mb == 32
    assert resolved.limits.max_concurrency == PluginLimits().max_concurrency
    assert resolved.warnings == ()


def test_looser_manifest_limit_is_clamped_with_a_warning(tmp_path: Path) -> None:
    text = GOOD.replace("timeout_ms = 200", "timeout_ms = 5000")
    manifest = load_manifest(write_plugin(tmp_path / "p", text))

    resolved = effective_limits(PluginsConfig(limits=PluginLimits(timeout_ms=1000)), manifest)

    assert resolved.limits.timeout_ms == 1000
    (warning,) = resolved.warnings
    assert "timeout_ms = 5000" in warning
    assert "plugins.limits.timeout_ms = 1000" in warning


def test_override_applies_before_the_manifest(tmp_path: Path) -> None:
    text = GOOD.replace("timeout_ms = 200", "timeout_ms = 500")
    manifest = load_manifest(write_plugin(tmp_path / "p", text))
    override = PluginOverride(limits=PluginLimitsOverride(timeout_ms=300, fuel=10))
    config = PluginsConfig(overrides={"redact-secrets": override})

    resolved = effective_limits(config, manifest)

    assert resolved.limits.timeout_ms == 300
    assert resolved.limits.fuel == 10
    (warning,) = resolved.warnings
    assert "plugins.overrides.redact-secrets.limits.timeout_ms = 300" in warning


def test_manifest_fuel_turns_fuel_on(tmp_path: Path) -> None:
    text = GOOD.replace("memory_mb = 32", "memory_mb = 32\nfuel = 1000000")
    manifest = load_manifest(write_plugin(tmp_path / "p", text))

    assert effective_limits(PluginsConfig(), manifest).limits.fuel == 1_000_000


def test_a_missing_dir_a_file_and_non_utf8_are_each_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        load_manifest(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ManifestError, match="is a file, not a directory"):
        load_manifest(tmp_path / "file")
    plugin = tmp_path / "latin1"
    plugin.mkdir()
    (plugin / "plugin.toml").write_bytes('name = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(ManifestError, match="is not UTF-8 text") as caught:
        load_manifest(plugin)
    assert caught.value.hint == "save plugin.toml as UTF-8"


# -- hostile files: every failure is a ManifestError naming the file --------------------------


KEY_OF_20_PARTS = ".".join(["k"] * 20)


@pytest.mark.parametrize(
    ("nesting", "said"),
    [
        ("a = " + "[" * 30_000 + "]" * 30_000, "nests arrays or inline tables more than 32"),
        ("a = " + "{b = " * 1000 + "1" + "}" * 1000, "nests arrays or inline tables more than 32"),
        ("a" + ".a" * 20_000 + " = 1", "has a dotted key of more than 32 parts"),
        ("[a" + ".a" * 20_000 + "]", "has a dotted key of more than 32 parts"),
        # keys of 20 parts in 3 inline tables: only the parsed data shows the depth (61)
        ("a = " + f"{{{KEY_OF_20_PARTS} = " * 3 + "1" + "}" * 3, "more than 32 levels"),
    ],
)
def test_deep_nesting_is_refused_before_the_parser_recurses(
    tmp_path: Path, nesting: str, said: str
) -> None:
    message = manifest_error(tmp_path, GOOD + "\n" + nesting + "\n")

    path = tmp_path / "p" / "plugin.toml"
    assert message.startswith(f"{path} ")
    assert said in message


def test_nesting_inside_strings_and_comments_is_not_counted(tmp_path: Path) -> None:
    deep = "[" * 100 + "]" * 100
    text = GOOD.replace(
        "[config]", f"# {deep}\n[config]\nliteral = '{deep}'\nmulti = '''\n{deep}'''"
    )

    manifest = load_manifest(write_plugin(tmp_path / "p", text))

    assert manifest.config["literal"] == deep


def test_an_oversized_manifest_is_refused_before_it_is_read(tmp_path: Path) -> None:
    text = GOOD + f'\n[tools]\nnote = "{"x" * MAX_MANIFEST_BYTES}"\n'

    message = manifest_error(tmp_path, text)

    size = len(text.encode())
    assert f"plugin.toml is {size:,} bytes; at most 65,536 bytes (64 KiB) are read" in message


def test_a_manifest_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    plugin = tmp_path / "p"
    plugin.mkdir()
    os.mkfifo(plugin / "plugin.toml")  # reading a pipe nobody writes to would block forever

    with pytest.raises(ManifestError, match=r"plugin\.toml is not a regular file"):
        load_manifest(plugin)
