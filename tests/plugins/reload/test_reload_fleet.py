"""Fleet-wide reload: two real `zeroclaw gateway` processes sharing one real PostgreSQL
database. A reload sent to one reaches the other (LISTEN/NOTIFY), and both then report the
same snapshot hash; an approval recorded once (in the database) counts on both; `zeroclaw
plugins status --fleet` lists the replicas and their hashes."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reload_support import TOKEN, PluginDirs, tag, wait_for
from typer.testing import CliRunner, Result

from gateway_processes import GatewayStarter, gateway_processes
from zeroclaw.cli import app
from zeroclaw.gateway.auth import hash_token

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def replica_config(tmp_path: Path, name: str, database_url: str, plugins_dir: Path) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
data_dir = {json.dumps(str(tmp_path / name))}

[memory]
backend = "postgres"
url = {json.dumps(database_url)}

[observability]
backend = "noop"

[gateway]
tokens = ["{hash_token(TOKEN)}"]
pairing = false

[plugins]
enabled = true
hot_reload = false
dirs = [{json.dumps(str(plugins_dir))}]
require_approval_for_new_capabilities = true

[plugins.capabilities]
allow = ["hooks.conversation", "hooks.modify", "kv", "log"]
"""
    )
    return path


@pytest.fixture
def start_gateway() -> Iterator[GatewayStarter]:
    with gateway_processes() as start:
        yield start


def status(base: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/api/plugins/status", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cli(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--config", str(config_file), "plugins", *args])


def test_a_reload_sent_to_one_replica_changes_the_snapshot_hash_on_both(
    dirs: PluginDirs, tmp_path: Path, postgres_url: str, start_gateway: GatewayStarter
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    config_a = replica_config(tmp_path, "a", postgres_url, dirs.root)
    _, first = start_gateway(config_a)
    stopping, second = start_gateway(replica_config(tmp_path, "b", postgres_url, dirs.root))
    before = status(first)
    assert before["snapshot_hash"] == status(second)["snapshot_hash"]
    assert before["replica"] != status(second)["replica"]

    dirs.write("tagger", kind="prompt", tag=tag(2))
    reloaded = cli(config_a, "reload", "--url", first, "--token", TOKEN)

    assert reloaded.exit_code == 0, reloaded.output
    assert "the other replicas were asked to reload" in reloaded.output
    after = status(first)["snapshot_hash"]
    assert after != before["snapshot_hash"]
    wait_for(lambda: status(second)["snapshot_hash"] == after, timeout_s=30)
    assert status(second)["last_reload"]["trigger"] == "fleet"

    # The fleet as the database sees it, once both heartbeats carry the new hash.
    def listed() -> dict[str, Any]:
        shown = cli(config_a, "status", "--fleet", "--json")
        assert shown.exit_code == 0, shown.output
        body: dict[str, Any] = json.loads(shown.stdout)
        return body

    wait_for(lambda: {r["snapshot_hash"] for r in listed()["replicas"]} == {after}, timeout_s=30)
    fleet = listed()
    assert fleet["live"] == 2
    assert fleet["same_plugins"] is True
    ids = {status(first)["replica"], status(second)["replica"]}
    assert {r["id"] for r in fleet["replicas"]} == ids
    assert {r["address"] for r in fleet["replicas"]} == {first, second}
    text = cli(config_a, "status", "--fleet")
    assert "2 live replica(s), all on the same plugins" in text.output
    assert after[:19] in text.output

    # A replica stopped cleanly withdraws from the fleet.
    stopping.send_signal(signal.SIGTERM)
    assert stopping.wait(timeout=60) == 0
    assert [r["address"] for r in listed()["replicas"]] == [first]


def test_one_approval_in_the_database_counts_on_every_replica(
    dirs: PluginDirs, tmp_path: Path, postgres_url: str, start_gateway: GatewayStarter
) -> None:
    dirs.write("tagger", kind="prompt", tag=tag(1))
    config_a = replica_config(tmp_path, "a", postgres_url, dirs.root)
    _, first = start_gateway(config_a)
    _, second = start_gateway(replica_config(tmp_path, "b", postgres_url, dirs.root))
    generation_b = status(second)["generation"]

    dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=("hooks.modify", "kv"))
    held = cli(config_a, "reload", "--url", first, "--token", TOKEN)
    assert held.exit_code == 1, held.output
    assert "awaiting approval: tagger" in held.output
    # B was asked too, and holds for the same reason.
    wait_for(lambda: status(second)["last_failure"] is not None, timeout_s=30)
    assert status(second)["last_failure"]["awaiting_approval"] == ["tagger"]

    approved = cli(config_a, "approve", "tagger")
    assert approved.exit_code == 0, approved.output
    assert "in the shared database postgresql://" in approved.output
    assert not (tmp_path / "a" / "plugins" / "approvals.json").exists()

    swapped = cli(config_a, "reload", "--url", first, "--token", TOKEN)
    assert swapped.exit_code == 0, swapped.output
    wait_for(lambda: status(second)["generation"] > generation_b, timeout_s=30)
    grants = [p["grants"] for p in status(second)["plugins"]]
    assert grants == [["hooks.modify", "kv"]]
    assert status(second)["snapshot_hash"] == status(first)["snapshot_hash"]


def test_fleet_status_on_sqlite_says_there_is_no_fleet(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"data_dir = {json.dumps(str(tmp_path / 'data'))}\n")

    shown = cli(config, "status", "--fleet")

    assert shown.exit_code == 1
    assert "no fleet: memory.backend is sqlite" in shown.output
    assert "memory.backend" in shown.output
