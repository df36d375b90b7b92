"""Capabilities: grammar, requested ∩ allow − deny, HTTP hosts and addresses, linking."""

from __future__ import annotations

from pathlib import Path

import pytest
from wasmtime import Engine
from wasmtime.component import Component

from zeroclaw.config.models import PluginCapabilityRules, PluginOverride, PluginsConfig
from zeroclaw.plugins.contract.abi import import_names
from zeroclaw.plugins.contract.addresses import is_internal_address, is_internal_host
from zeroclaw.plugins.contract.capabilities import Capability, CapabilityKind, parse_capability
from zeroclaw.plugins.contract.grants import grant_capabilities, grants_for_plugin
from zeroclaw.plugins.contract.imports import check_imports
from zeroclaw.plugins.errors import CapabilityError, ImportNotGrantedError

# -- grammar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "argument"),
    [
        ("log", CapabilityKind.LOG, None),
        ("kv", CapabilityKind.KV, None),
        ("config", CapabilityKind.CONFIG, None),
        ("memory.read", CapabilityKind.MEMORY_READ, None),
        ("memory.write", CapabilityKind.MEMORY_WRITE, None),
        ("hooks.conversation", CapabilityKind.HOOKS_CONVERSATION, None),
        ("hooks.modify", CapabilityKind.HOOKS_MODIFY, None),
        ("hooks.tool_results", CapabilityKind.HOOKS_TOOL_RESULTS, None),
        ("http:api.example.com", CapabilityKind.HTTP, "api.example.com"),
        ("http:API.Example.COM.", CapabilityKind.HTTP, "api.example.com"),
        ("http:*.example.com", CapabilityKind.HTTP, "*.example.com"),
        ("http:*", CapabilityKind.HTTP, "*"),
        ("http:[::1]", CapabilityKind.HTTP, "::1"),
        ("http:10.0.0.5", CapabilityKind.HTTP, "10.0.0.5"),
        ("fs.read:/srv/data/", CapabilityKind.FS_READ, "/srv/data"),
        ("fs.write:/tmp/out", CapabilityKind.FS_WRITE, "/tmp/out"),
        ("env:LANG", CapabilityKind.ENV, "LANG"),
        ("secret:API_TOKEN", CapabilityKind.SECRET, "API_TOKEN"),
    ],
)
def test_capabilities_parse(text: str, kind: CapabilityKind, argument: str | None) -> None:
    assert parse_capability(text) == Capability(kind, argument)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("kvv", 'unknown capability "kvv" (did you mean "kv"?)'),
        ("network", 'unknown capability "network"'),
        ("log:debug", "takes no argument"),
        ("http", "needs a host"),
        ("http:", "needs a host"),
        ("http:https://api.example.com", "no scheme, port or path"),
        ("http:api.example.com:8443", "no scheme, port or path"),
        ("http:api.*.com", "wildcard may only be the whole host"),
        ("http:*.10.0.0.1", "cannot stand for part of an IP"),
        ("http:exa mple.com", "not a valid host name"),
        ("http:bücher.de", "punycode"),
        ("fs.read:data", "not an absolute path"),
        ("env:MY-VAR", "not a valid name"),
        ("secret:*", "wildcards are for config rules"),
    ],
)
def test_bad_capabilities_say_why(text: str, why: str) -> None:
    with pytest.raises(CapabilityError) as caught:
        parse_capability(text)

    assert why in caught.value.message
    assert caught.value.hint is not None
    assert "http:HOST" in caught.value.hint


def test_config_rules_may_use_name_patterns() -> None:
    assert parse_capability("env:MYPLUGIN_*", patterns=True).argument == "MYPLUGIN_*"
    assert parse_capability("secret:*", patterns=True).argument == "*"


# -- granting -------------------------------------------------------------------------------


def granted(requested: list[str], allow: list[str], deny: list[str] | None = None) -> set[str]:
    grants = grant_capabilities(requested, allow, deny or [], plugin="p")
    return {str(c) for c in grants.granted}


def test_granted_is_requested_and_allowed() -> None:
    assert granted(["log", "kv", "config"], ["log", "config", "memory.read"]) == {"log", "config"}


def test_empty_allow_grants_nothing() -> None:
    grants = grant_capabilities(["log", "kv", "http:api.example.com"], [], plugin="p")

    assert grants.granted == frozenset()
    assert {r.reason for r in grants.refused} == {"not_allowed"}


def test_nothing_is_granted_unless_requested() -> None:
    assert granted([], ["log", "kv", "http:*"]) == set()


def test_deny_wins_over_allow() -> None:
    grants = grant_capabilities(["kv", "log"], ["kv", "log"], ["kv"], plugin="p")

    assert {str(c) for c in grants.granted} == {"log"}
    (refusal,) = grants.refused
    assert refusal.reason == "denied"
    assert refusal.rule is not None
    assert refusal.rule.source == "plugins.capabilities.deny"


def test_a_wildcard_allow_covers_a_narrower_request() -> None:
    assert granted(["http:api.example.com"], ["http:*.example.com"]) == {"http:api.example.com"}
    assert granted(["http:*.api.example.com"], ["http:*.example.com"]) == {"http:*.api.example.com"}
    assert granted(["http:example.com"], ["http:*.example.com"]) == set()
    assert granted(["env:MYPLUGIN_HOME"], ["env:MYPLUGIN_*"]) == {"env:MYPLUGIN_HOME"}
    assert granted(["fs.read:/srv/data/sub"], ["fs.read:/srv/data"]) == {"fs.read:/srv/data/sub"}
    assert granted(["fs.read:/srv/database"], ["fs.read:/srv/data"]) == set()
    assert granted(["fs.write:/srv/data"], ["fs.read:/srv/data"]) == set()


def test_a_wildcard_request_gets_the_narrower_allow() -> None:
    assert granted(["http:*.example.com"], ["http:api.example.com"]) == {"http:api.example.com"}


def test_a_deny_inside_a_wildcard_grant_applies_per_host() -> None:
    grants = grant_capabilities(
        ["http:*.example.com"], ["http:*"], ["http:evil.example.com"], plugin="p"
    )

    assert grants.allows_http_host("api.example.com")
    assert not grants.allows_http_host("evil.example.com")


def test_a_deny_covering_the_request_refuses_it() -> None:
    assert granted(["http:api.example.com"], ["http:*"], ["http:*.example.com"]) == set()
    # A directory cannot be preopened minus a part of it: refuse the whole grant.
    assert granted(["fs.read:/srv"], ["fs.read:/"], ["fs.read:/srv/secrets"]) == set()


def test_per_plugin_allow_narrows_and_denies_add_up() -> None:
    config = PluginsConfig(
        capabilities={"allow": ["log", "kv", "http:*.example.com"], "deny": ["memory.write"]},
        overrides={
            "p": PluginOverride(
                capabilities=PluginCapabilityRules(
                    allow=["log", "http:api.example.com"], deny=["log"]
                )
            )
        },
    )

    grants = grants_for_plugin("p", ["log", "kv", "http:*.example.com"], config)
    other = grants_for_plugin("q", ["log", "kv"], config)

    assert {str(c) for c in grants.granted} == {"http:api.example.com"}
    reasons = {str(r.capability): (r.reason, r.source or r.rule.source) for r in grants.refused}
    assert reasons["kv"] == ("not_allowed", "plugins.overrides.p.capabilities.allow")
    assert reasons["log"][0] == "denied"
    assert {str(c) for c in other.granted} == {"log", "kv"}


def test_a_bad_config_rule_names_its_key() -> None:
    config = PluginsConfig(capabilities={"allow": ["log", "htp:x"]})

    with pytest.raises(CapabilityError, match=r"plugins\.capabilities\.allow\[1\]"):
        grants_for_plugin("p", ["log"], config)


def test_hook_grants() -> None:
    grants = grant_capabilities(
        ["hooks.conversation", "hooks.tool_results"],
        ["hooks.conversation", "hooks.modify", "hooks.tool_results"],
    )

    assert grants.sees_conversation
    assert grants.may_change_tool_results
    assert not grants.may_modify


# -- HTTP hosts and addresses ---------------------------------------------------------------

INTERNAL_HOSTS = [
    "localhost",
    "LOCALHOST.",
    "app.localhost",
    "127.0.0.1",
    "127.8.9.10",
    "[::1]",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "192.0.0.192",
    "fd00::1",
    "fd00:ec2::254",
    "fe80::1",
    "::ffff:127.0.0.1",
    "0.0.0.0",
    "2130706433",
    "0x7f.1",
    "127.1",
    "metadata.google.internal",
    "metadata",
    "printer.local",
    "intranet",
]


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_a_wildcard_never_reaches_internal_hosts(host: str) -> None:
    grants = grant_capabilities(["http:*"], ["http:*"], plugin="p")

    assert is_internal_host(host.strip("[]"))
    assert not grants.allows_http_host(host)


def test_a_wildcard_reaches_public_hosts() -> None:
    grants = grant_capabilities(["http:*"], ["http:*"], plugin="p")

    assert grants.allows_http_host("api.example.com")
    assert grants.allows_http_host("93.184.216.34")
    assert grants.allows_http_host("[2606:4700::1111]")


def test_subdomain_wildcard_matches_subdomains_only() -> None:
    grants = grant_capabilities(["http:*.example.com"], ["http:*.example.com"], plugin="p")

    assert grants.allows_http_host("a.b.example.com")
    assert not grants.allows_http_host("example.com")
    assert not grants.allows_http_host("badexample.com")
    assert not grants.allows_http_host("example.com.evil.net")


def test_an_internal_host_named_by_the_config_is_reachable() -> None:
    grants = grant_capabilities(
        ["http:localhost", "http:10.0.0.5"], ["http:localhost", "http:10.0.0.5"]
    )

    assert grants.allows_http_host("localhost")
    assert grants.allows_http_host("10.0.0.5")
    assert grants.allows_http_address("localhost", "127.0.0.1")
    assert not grants.allows_http_host("127.0.0.1")


def test_a_plugin_naming_an_internal_host_is_not_enough() -> None:
    grants = grant_capabilities(["http:169.254.169.254", "http:localhost"], ["http:*"])

    assert not grants.allows_http_host("169.254.169.254")
    assert not grants.allows_http_host("localhost")


def test_resolved_addresses_are_checked() -> None:
    wildcard = grant_capabilities(["http:*.example.com"], ["http:*.example.com"])
    named = grant_capabilities(
        ["http:evil.example.net", "http:db.internal"], ["http:evil.example.net", "http:db.internal"]
    )

    assert wildcard.allows_http_address("api.example.com", "93.184.216.34")
    # DNS rebinding: a public name reached through a wildcard resolving to an internal address.
    assert not wildcard.allows_http_address("api.example.com", "127.0.0.1")
    assert not wildcard.allows_http_address("api.example.com", "169.254.169.254")
    assert not wildcard.allows_http_address("api.example.com", "::ffff:10.0.0.1")
    assert not wildcard.allows_http_address("api.example.com", "64:ff9b::a9fe:a9fe")
    assert not wildcard.allows_http_address("other.net", "93.184.216.34")
    # An internal host the operator named exactly may resolve to an internal address...
    assert named.allows_http_address("db.internal", "10.0.0.7")
    # ...but a public name never does, even when named: DNS rebinding.
    assert named.allows_http_address("evil.example.net", "93.184.216.34")
    assert not named.allows_http_address("evil.example.net", "169.254.169.254")


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("ff02::1", True),
        ("2002:7f00:1::", True),
        ("2001:db8::1", True),
        ("::", True),
    ],
)
def test_internal_addresses(address: str, internal: bool) -> None:
    assert is_internal_address(address) is internal


# -- linking --------------------------------------------------------------------------------


def test_an_import_that_was_not_requested_names_the_manifest_and_config_keys() -> None:
    grants = grant_capabilities(["log"], ["log", "kv"], plugin="cache")

    with pytest.raises(ImportNotGrantedError) as caught:
        check_imports(["zeroclaw:host/log@1.0.0", "zeroclaw:host/kv@1.0.0"], grants)

    message = caught.value.message
    assert "zeroclaw:host/kv@1.0.0" in message
    assert "zeroclaw:host/log@1.0.0" not in message
    assert 'add "kv" to its capabilities' in message
    assert "plugins.capabilities.allow" in message


def test_an_import_requested_but_not_allowed_names_the_allow_key() -> None:
    grants = grant_capabilities(["kv"], ["log"], plugin="cache")

    with pytest.raises(ImportNotGrantedError) as caught:
        check_imports(["zeroclaw:host/kv@1.0.0"], grants)

    message = caught.value.message
    assert "plugin 'cache' cannot be linked" in message
    assert 'needs the "kv" capability' in message
    assert 'add "kv" to plugins.capabilities.allow' in message
    assert "plugins.overrides.cache.capabilities.allow" in message


def test_an_import_denied_names_the_deny_rule() -> None:
    grants = grant_capabilities(["http:api.example.com"], ["http:*"], ["http:*.example.com"])

    with pytest.raises(ImportNotGrantedError) as caught:
        check_imports(["zeroclaw:host/http@1.0.0"], grants)

    assert '"http:api.example.com" is denied by "http:*.example.com"' in caught.value.message
    assert "plugins.capabilities.deny" in caught.value.message


def test_granted_imports_link() -> None:
    grants = grant_capabilities(
        ["log", "kv", "config", "memory.read", "http:api.example.com"],
        ["log", "kv", "config", "memory.read", "http:*.example.com"],
    )

    check_imports(
        [f"zeroclaw:host/{name}@1.0.0" for name in ("log", "kv", "config", "memory", "http")],
        grants,
    )


def test_wasi_imports_are_refused_unless_granted() -> None:
    nothing = grant_capabilities([], [])
    env = grant_capabilities(["env:LANG"], ["env:*"])

    with pytest.raises(ImportNotGrantedError) as caught:
        check_imports(
            [
                "wasi:cli/environment@0.2.0",
                "wasi:filesystem/types@0.2.0",
                "wasi:random/random@0.2.0",
            ],
            nothing,
        )
    message = caught.value.message
    assert "wasi:cli/environment@0.2.0" in message
    assert '"env:NAME" capability' in message
    assert "wasi:filesystem/types@0.2.0" in message
    assert "wasi:random/random@0.2.0" in message
    assert "--stub-wasi" in message
    check_imports(["wasi:cli/environment@0.2.0", "wasi:random/random@0.2.0"], env)


@pytest.mark.parametrize(
    "granted", [["env:LANG"], ["fs.read:/srv"], ["fs.write:/srv"]], ids=lambda g: g[0]
)
def test_any_fs_or_env_grant_links_the_whole_of_wasi_but_the_network(granted: list[str]) -> None:
    # What a Python guest built with WASI imports: the filesystem and the environment
    # together, whichever it was granted (the WasiConfig decides what they reach).
    python_guest = [
        "wasi:filesystem/types@0.2.9",
        "wasi:filesystem/preopens@0.2.9",
        "wasi:cli/environment@0.2.9",
        "wasi:cli/stdout@0.2.9",
        "wasi:clocks/wall-clock@0.2.9",
        "wasi:random/random@0.2.9",
        "wasi:io/streams@0.2.9",
    ]
    grants = grant_capabilities(granted, granted)

    check_imports(python_guest, grants)
    with pytest.raises(ImportNotGrantedError, match="plugins get no sockets"):
        check_imports([*python_guest, "wasi:sockets/tcp@0.2.9"], grants)


@pytest.mark.parametrize("name", ["wasi:sockets/tcp@0.2.0", "wasi:http/outgoing-handler@0.2.0"])
def test_sockets_and_wasi_http_are_never_linked(name: str) -> None:
    everything = grant_capabilities(
        ["env:A", "fs.read:/srv", "http:*"], ["env:*", "fs.read:/", "http:*"]
    )

    with pytest.raises(ImportNotGrantedError, match="zeroclaw:host/http"):
        check_imports([name], everything)


def test_unknown_and_newer_host_imports_are_refused() -> None:
    grants = grant_capabilities(["kv"], ["kv"])

    with pytest.raises(ImportNotGrantedError) as caught:
        check_imports(
            ["zeroclaw:host/kv@1.1.0", "zeroclaw:host/shell@1.0.0", "acme:tools/db@1.0.0"], grants
        )

    message = caught.value.message
    assert "zeroclaw:host/kv@1.1.0, but the host has zeroclaw:host@1.0.0" in message
    assert "zeroclaw:host/shell@1.0.0, which the host does not have" in message
    assert "acme:tools/db@1.0.0, which the host does not provide" in message


def test_real_components_are_checked_by_their_imports(components: dict[str, Path]) -> None:
    engine = Engine()
    kv = Component.from_file(engine, components["hook_kv"])
    wasi = Component.from_file(engine, components["hook_wasi"])
    none = grant_capabilities([], ["kv", "env:*"], plugin="fixture")

    with pytest.raises(ImportNotGrantedError, match=r"zeroclaw:host/kv@1\.0\.0"):
        check_imports(import_names(kv.type, engine), none)
    with pytest.raises(ImportNotGrantedError, match=r"wasi:cli/environment@0\.2\.0"):
        check_imports(import_names(wasi.type, engine), none)
    check_imports(import_names(kv.type, engine), grant_capabilities(["kv"], ["kv"]))
