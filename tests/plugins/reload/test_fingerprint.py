"""The snapshot content hash replicas are compared by: the same plugins give the same
hash in any order; a change of version, component or grants gives another."""

from __future__ import annotations

from zeroclaw.gateway.plugin_bodies import EMPTY_SNAPSHOT_HASH
from zeroclaw.plugins.lifecycle.fingerprint import EMPTY, PluginFingerprint, content_hash

A = PluginFingerprint("a", "1.0.0", "11" * 32, ("kv", "log"))
B = PluginFingerprint("b", "0.3.1", "22" * 32, ())


def test_the_same_plugins_in_any_order_hash_alike() -> None:
    assert content_hash([A, B]) == content_hash([B, A])
    reordered_grants = PluginFingerprint("a", "1.0.0", "11" * 32, ("log", "kv"))
    assert content_hash([reordered_grants, B]) == content_hash([A, B])


def test_a_change_of_version_component_or_grants_changes_the_hash() -> None:
    base = content_hash([A, B])
    changed = [
        PluginFingerprint("a", "1.0.1", A.component_sha256, A.grants),
        PluginFingerprint("a", A.version, "33" * 32, A.grants),
        PluginFingerprint("a", A.version, A.component_sha256, ("kv",)),
    ]
    hashes = {content_hash([variant, B]) for variant in changed}
    assert base not in hashes
    assert len(hashes) == 3
    assert content_hash([A]) != base  # a plugin more or less


def test_no_plugins_hash_as_the_status_of_a_gateway_without_plugins_says() -> None:
    assert content_hash([]) == EMPTY == EMPTY_SNAPSHOT_HASH
    assert EMPTY.startswith("sha256:")
