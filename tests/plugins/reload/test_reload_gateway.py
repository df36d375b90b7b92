"""Reloads on a running gateway: POST /api/plugins/reload (authenticated), GET
/api/plugins/status, SIGHUP on a real `zeroclaw gateway` process, `zeroclaw plugins
reload | status | approve`, and 503 while a required plugin is quarantined."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reload_support import TOKEN, PluginDirs, running_gateway, tag, wait_for
from typer.testing import CliRunner, Result

from gateway_processes import gateway_processes
from zeroclaw.cli import app
from zeroclaw.config import Config
from zeroclaw.config.models import PluginLimitsOverride, PluginOverride
from zeroclaw.gateway.auth import hash_token

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_post_reload_requires_auth_and_swaps_in_the_new_generation(
    dirs: PluginDirs, config: Config
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    with running_gateway(config) as (server, base), httpx.Client(base_url=base) as client:
        first = server.state.runtime.plugins.current().generation
        assert client.post("/api/plugins/reload").status_code == 401
        wrong = client.post("/api/plugins/reload", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert client.get("/api/plugins/status").status_code == 401
        assert server.state.runtime.plugins.current().generation == first

        dirs.write("tagger", kind="prompt", tag=tag(2))
        reloaded = client.post("/api/plugins/reload", headers=AUTH)

        assert reloaded.status_code == 200
        body = reloaded.json()
        assert body["swapped"] is True
        assert body["generation"] > first
        assert body["trigger"] == "api"
        status = client.get("/api/plugins/status", headers=AUTH).json()
        assert status["generation"] == body["generation"]
        assert status["last_reload"] == body
        assert [p["name"] for p in status["plugins"]] == ["tagger"]
        assert status["plugins"][0]["grants"] == ["hooks.conversation", "hooks.modify"]


def test_a_failed_reload_is_reported_by_the_api_and_the_old_plugins_serve(
    dirs: PluginDirs, config: Config
) -> None:
    directory = dirs.write("tagger", kind="prompt", tag=tag(1))
    with running_gateway(config) as (server, base), httpx.Client(base_url=base) as client:
        first = server.state.runtime.plugins.current().generation
        (directory / "plugin.wasm").write_bytes(b"garbage")

        body = client.post("/api/plugins/reload", headers=AUTH).json()

        assert body["swapped"] is False
        assert body["generation"] == first
        assert "plugin.wasm" in body["reason"]
        status = client.get("/api/plugins/status", headers=AUTH).json()
        assert status["last_failure"] == body
        assert status["reloads"] == {"swapped": 0, "rolled_back": 1}
        # turns go on, on the old plugins
        reply = client.post("/webhook", headers=AUTH, json={"message": "hi"})
        assert reply.status_code == 200
        metrics = client.get("/metrics", headers=AUTH).text
        assert 'zeroclaw_plugin_reloads_total{outcome="rolled_back"} 1.0' in metrics


def test_with_plugins_disabled_status_says_so_and_reload_is_409(config: Config) -> None:
    config.plugins.enabled = False
    with running_gateway(config) as (_, base), httpx.Client(base_url=base) as client:
        status = client.get("/api/plugins/status", headers=AUTH)
        reload = client.post("/api/plugins/reload", headers=AUTH)

    assert status.json()["enabled"] is False
    assert reload.status_code == 409
    assert "plugins.enabled = false" in reload.json()["error"]["message"]


def test_turns_get_503_while_a_required_plugin_is_quarantined(
    dirs: PluginDirs, config: Config
) -> None:
    # before_tool_call loops until its 20 ms deadline: every call is the plugin's failure
    dirs.write("spinner", fixture="hook_spin", capabilities=("hooks.conversation",))
    config.plugins.overrides["spinner"] = PluginOverride(
        required=True, limits=PluginLimitsOverride(timeout_ms=20)
    )
    with running_gateway(config) as (_, base), httpx.Client(base_url=base, timeout=30) as client:
        tool_turn = {"message": '/tool file_list {"path": "."}'}
        for _ in range(5):  # the breaker opens after 5 failures in a row
            assert client.post("/webhook", headers=AUTH, json=tool_turn).status_code == 200

        refused = client.post("/webhook", headers=AUTH, json={"message": "hello"})
        status = client.get("/api/plugins/status", headers=AUTH).json()

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "required_plugin_unavailable"
    assert "spinner is quarantined" in refused.json()["error"]["message"]
    assert status["serving_blocker"].startswith("spinner is quarantined")
    assert status["plugins"][0]["state"] == "quarantined"


# -- the CLI ------------------------------------------------------------------------------------


def cli(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), "plugins", *args])


def config_file_for(config: Config, path: Path) -> Path:
    path.write_text(
        f"""
data_dir = {json.dumps(str(config.data_dir))}
[plugins]
enabled = true
dirs = {json.dumps([str(d) for d in config.plugins.dirs])}
require_approval_for_new_capabilities = true
[plugins.capabilities]
allow = {json.dumps(config.plugins.capabilities.allow)}
"""
    )
    return path


def test_plugins_reload_status_and_approve_against_a_running_gateway(
    dirs: PluginDirs, config: Config, tmp_path: Path
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    config.plugins.capabilities.allow.append("kv")
    config_file = config_file_for(config, tmp_path / "config.toml")
    dirs.write("tagger", kind="prompt", tag=tag(1))
    with running_gateway(config) as (server, base):
        target = ("--url", base, "--token", TOKEN)
        dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=("hooks.modify", "kv"))

        held = cli(config_file, "reload", *target)

        assert held.exit_code == 1, held.output
        assert "rolled back: generation" in held.output
        assert "tagger: grants +kv -hooks.conversation" in held.output
        assert "awaiting approval: tagger" in held.output
        held_json = cli(config_file, "reload", *target, "--json")
        assert held_json.exit_code == 1  # rolled back: the report on stdout, and exit 1
        report = json.loads(held_json.stdout)
        assert report["swapped"] is False
        assert report["awaiting_approval"] == ["tagger"]

        status = cli(config_file, "status", *target)
        assert status.exit_code == 0, status.output
        assert "reloads: 0 swapped, 2 rolled back" in status.output
        assert "reason: new capabilities await approval" in status.output
        as_json = cli(config_file, "status", *target, "--json")
        assert as_json.exit_code == 0, as_json.output
        shown = json.loads(as_json.stdout)
        assert shown["reloads"] == {"swapped": 0, "rolled_back": 2}
        assert shown["last_failure"]["awaiting_approval"] == ["tagger"]
        assert [p["name"] for p in shown["plugins"]] == ["tagger"]

        approved = cli(config_file, "approve", "tagger")  # offline: the approvals file
        assert approved.exit_code == 0, approved.output
        assert "approved tagger 1.0.0: grants hooks.modify, kv" in approved.output

        swapped = cli(config_file, "reload", *target, "--json")
        assert swapped.exit_code == 0, swapped.output
        # stdout: the in-process gateway's log lines reach this CLI run's stderr.
        reloaded = json.loads(swapped.stdout)
        assert reloaded["swapped"] is True
        assert reloaded["plugins"] == 1
        plugin = server.state.runtime.plugins.current().plugins["tagger"]
        assert sorted(map(str, plugin.grants.granted)) == ["hooks.modify", "kv"]


def test_plugins_reload_without_a_gateway_or_a_token_says_what_to_do(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = config_file_for(config, tmp_path / "config.toml")
    monkeypatch.delenv("ZEROCLAW_GATEWAY_TOKEN", raising=False)

    no_token = cli(config_file, "reload", "--url", "http://127.0.0.1:9")
    no_gateway = cli(config_file, "status", "--url", "http://127.0.0.1:9", "--token", "t")

    assert no_token.exit_code == 1
    assert "no token for the gateway" in no_token.output
    assert no_gateway.exit_code == 1
    assert "no answer from a gateway at http://127.0.0.1:9" in no_gateway.output
    as_json = cli(config_file, "reload", "--url", "http://127.0.0.1:9", "--token", "t", "--json")
    assert as_json.exit_code == 1
    assert as_json.stdout == ""
    error = json.loads(as_json.stderr)["error"]
    assert "no answer from a gateway at http://127.0.0.1:9" in error["message"]


# -- SIGHUP on a real process -------------------------------------------------------------------


@pytest.fixture
def gateway_process(tmp_path: Path, dirs: PluginDirs) -> Iterator[Any]:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
data_dir = "data"
[observability]
backend = "noop"
[plugins]
enabled = true
dirs = [{json.dumps(str(dirs.root))}]
[plugins.capabilities]
allow = ["hooks.conversation", "hooks.modify"]
[gateway]
tokens = ["{hash_token(TOKEN)}"]
"""
    )
    with gateway_processes() as start:
        yield lambda: start(config)


def test_sighup_makes_a_real_gateway_reload_its_plugins(
    dirs: PluginDirs, gateway_process: Any
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    process, base = gateway_process()
    with httpx.Client(base_url=base, headers=AUTH, timeout=10) as client:
        first = client.get("/api/plugins/status").json()
        assert first["last_reload"] is None

        dirs.write("tagger", kind="prompt", tag=tag(2))
        process.send_signal(signal.SIGHUP)

        wait_for(lambda: client.get("/api/plugins/status").json()["last_reload"] is not None)
        reload = client.get("/api/plugins/status").json()["last_reload"]
        assert reload["trigger"] == "signal"
        assert reload["swapped"] is True
        assert reload["generation"] > first["generation"]
        assert client.get("/health").json()["status"] == "ok"  # it went on serving

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
