"""A refused grant change is remembered where approvals are kept: while the plugin asks for
the same set, reloads keep its live version (or none of a new plugin) and ask nobody; a
changed request asks again; `plugins approve` overrides. Real plugins on disk, a real
AgentRuntime, the real approvals file; the CLI against a running gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from reload_support import TOKEN, PluginDirs, running_gateway, tag
from test_reload_gateway import cli, config_file_for
from test_reload_rollback import prompt_of, reloader_of

from zeroclaw.agent import AgentRuntime
from zeroclaw.config import Config
from zeroclaw.memory import MemoryStore, postgres_location
from zeroclaw.plugins.contract.permissions import ApprovalStore
from zeroclaw.plugins.contract.shared_approvals import SharedApprovalStore

OpenRuntime = Callable[[], AgentRuntime]
WANTS_KV = ("hooks.conversation", "kv")


async def test_a_refused_change_is_not_loaded_and_not_asked_again_until_it_changes(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    config.plugins.capabilities.allow += ["kv", "log"]
    store = ApprovalStore.for_data_dir(config.data_dir)
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    reloader = reloader_of(runtime)
    live = runtime.plugins.current()  # type: ignore[union-attr]

    dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=WANTS_KV)
    assert reloader.reload("test").awaiting_approval == ("tagger",)
    refusal = store.refuse("tagger", ["hooks.conversation", "kv"], "cli:ops")
    reloader.refused(refusal)
    assert reloader.status().awaiting == ()

    for _ in range(2):  # the same request, reload after reload: refused, nobody asked
        report = reloader.reload("test")
        assert not report.swapped
        assert report.awaiting_approval == ()
        assert report.refused == (refusal,)
        assert "refused capabilities: tagger: grants +kv" in (report.reason or "")
        assert "refused by cli:ops" in (report.reason or "")
        assert runtime.plugins.current() is live  # type: ignore[union-attr]
        assert await prompt_of(runtime) == tag(1)
    status = reloader.status()
    assert (status.awaiting, status.refused) == ((), (refusal,))

    # another request (one more grant) is asked about again
    dirs.write("tagger", kind="prompt", tag=tag(3), capabilities=(*WANTS_KV, "log"))
    asked = reloader.reload("test")
    assert (asked.awaiting_approval, asked.refused) == (("tagger",), ())

    # back to the refused set, then approved: approval overrides the refusal
    dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=WANTS_KV)
    assert reloader.reload("test").refused == (refusal,)
    store.approve("tagger", ["hooks.conversation", "kv"])
    assert store.refusal("tagger", ["kv", "hooks.conversation"]) is None
    swapped = reloader.reload("test")
    assert swapped.swapped, swapped.reason
    assert reloader.status().refused == ()


async def test_a_refused_new_plugin_stays_unloaded_and_the_others_serve(
    dirs: PluginDirs, open_runtime: OpenRuntime, config: Config
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    dirs.write("tagger", kind="prompt", tag=tag(1))
    runtime = open_runtime()
    ApprovalStore.for_data_dir(config.data_dir).refuse(
        "newcomer", ["hooks.conversation", "hooks.modify"], "console:abc"
    )

    dirs.write("newcomer", kind="context", tag=tag(1))
    report = reloader_of(runtime).reload("test")

    assert not report.swapped
    assert [r.plugin for r in report.refused] == ["newcomer"]
    assert report.awaiting_approval == ()
    assert "newcomer" not in runtime.plugins.current().plugins  # type: ignore[union-attr]
    assert await prompt_of(runtime) == tag(1)


def test_the_approvals_file_keeps_refusals_apart_from_approvals(tmp_path: Path) -> None:
    """One decision per set; refusals under their own key, so a ZeroClaw from before
    refusals, reading the same file, never takes a refused set for an approved one."""
    store = ApprovalStore(tmp_path / "approvals.json")
    store.approve("p", ["kv"])
    refusal = store.refuse("p", ["kv"], "cli:ops")

    assert not store.is_approved("p", ["kv"])
    assert store.refusal("p", ["kv"]) == refusal
    assert store.refusal("p", ["kv", "log"]) is None
    data = json.loads(store.path.read_text())
    assert data["approvals"] == {}
    assert data["refusals"]["p"][refusal.grant_hash]["refused_by"] == "cli:ops"

    store.approve("p", ["kv"])
    assert store.is_approved("p", ["kv"])
    assert store.refusal("p", ["kv"]) is None
    # a file written before refusals existed still reads
    store.path.write_text(json.dumps({"version": 1, "approvals": {}}))
    assert store.refusal("p", ["kv"]) is None


def test_plugins_refuse_against_a_running_gateway_and_status_shows_it(
    dirs: PluginDirs, config: Config, tmp_path: Path
) -> None:
    config.plugins.require_approval_for_new_capabilities = True
    config.plugins.capabilities.allow.append("kv")
    config_file = config_file_for(config, tmp_path / "config.toml")
    dirs.write("tagger", kind="prompt", tag=tag(1))
    with running_gateway(config) as (server, base):
        target = ("--url", base, "--token", TOKEN)
        dirs.write("tagger", kind="prompt", tag=tag(2), capabilities=("hooks.modify", "kv"))
        assert "awaiting approval: tagger" in cli(config_file, "reload", *target).output

        refused = cli(config_file, "refuse", "tagger")  # offline: the approvals file
        assert refused.exit_code == 0, refused.output
        assert "refused tagger 1.0.0: grants hooks.modify, kv" in refused.output

        held = cli(config_file, "reload", *target)
        assert held.exit_code == 1, held.output
        assert "awaiting approval" not in held.output
        assert "refused: tagger (grants hooks.modify, kv) by cli:" in held.output
        status = cli(config_file, "status", *target, "--json")
        assert status.exit_code == 0, status.output
        (shown,) = json.loads(status.stdout)["refused"]
        assert (shown["plugin"], shown["grants"]) == ("tagger", ["hooks.modify", "kv"])
        assert shown["refused_by"].startswith("cli:")
        assert shown["refused_at"]
        text = cli(config_file, "status", *target).output
        assert "refused: tagger (grants hooks.modify, kv) by cli:" in text

        assert cli(config_file, "approve", "tagger").exit_code == 0  # overrides
        swapped = cli(config_file, "reload", *target)
        assert swapped.exit_code == 0, swapped.output
        plugin = server.state.runtime.plugins.current().plugins["tagger"]
        assert sorted(map(str, plugin.grants.granted)) == ["hooks.modify", "kv"]


def test_the_shared_store_keeps_refusals_for_every_replica(postgres_url: str) -> None:
    """memory.backend = "postgres": a refusal is a row of plugin_approvals that every
    replica reads; one decision per set, as in the file."""
    with MemoryStore.open(postgres_location(postgres_url)) as memory:
        one, other = SharedApprovalStore(memory), SharedApprovalStore(memory)
        one.approve("p", ["kv"])
        refusal = one.refuse("p", ["kv"], "console:abc")

        assert other.refusal("p", ["kv"]) == refusal
        assert not other.is_approved("p", ["kv"])
        assert other.approvals("p") == ()

        other.approve("p", ["kv"])
        assert one.is_approved("p", ["kv"])
        assert one.refusal("p", ["kv"]) is None
