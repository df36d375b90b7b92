"""Grants: what one plugin may do, from what it asks for and what the config allows.

Deny by default: granted = requested ∩ allow − deny. An allow rule covers a request when it
allows everything the request asks for (`http:*.example.com` covers `http:api.example.com`);
a wildcard request meeting a narrower allow is granted the narrower one. A deny wins over any
allow. An empty allow list grants nothing.

Global and per-plugin rules (as the config defines them): a per-plugin allow list
(`plugins.overrides.NAME.capabilities.allow`) narrows the global one: when it is not empty, a
capability must be allowed by both. Deny lists add up: a capability denied by
`plugins.capabilities.deny` or by the plugin's own deny list is never granted. So a
per-plugin table can only take away.

HTTP and internal addresses: a wildcard (`*`, `*.example.com`) never reaches loopback,
private, link-local, single-label or cloud-metadata hosts and addresses (`addresses.py`).
Such a host is reachable only when an allow rule names it exactly (`http:localhost`,
`http:10.0.0.5`); a plugin naming it in its own request is not enough. The check runs on the
URL's host (`Grants.allows_http_host`) and again on every address it resolves to, at connect
time and on every redirect (`Grants.allows_http_address`); a public name that resolves to an
internal address is refused even when named (DNS rebinding).

One address, one rule: a grant naming an IP address (`http:127.0.0.1`) is a grant of that
address. Every spelling of it (`127.1`, `0x7f.0.0.1`, `2130706433`, `[::ffff:127.0.0.1]`)
and every local name resolving to it (`localhost`, `*.localhost`, answered on this machine)
reach it, and only it: a name resolving to the granted address and to others is connected
to the granted address alone (`Grants.grants_address`). Other names are not looked up to
find out (a lookup would carry the name to a DNS server: a side channel); name them.
A deny rule naming an address likewise holds for every spelling
and every name. A grant naming a host name covers that name only.

This module does not import wasmtime.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from zeroclaw.plugins.contract.addresses import (
    IPAddress,
    embedded_ipv4,
    is_internal_address,
    is_internal_host,
    parse_ip,
)
from zeroclaw.plugins.contract.capabilities import (
    Capability,
    CapabilityKind,
    canonical_host,
    covers,
    host_pattern_matches,
    parse_capability,
)
from zeroclaw.plugins.errors import CapabilityError

if TYPE_CHECKING:
    from zeroclaw.config.models import PluginsConfig


ALLOW_KEY = "plugins.capabilities.allow"
DENY_KEY = "plugins.capabilities.deny"


def override_key(plugin: str, which: Literal["allow", "deny"]) -> str:
    return f"plugins.overrides.{plugin}.capabilities.{which}"


@dataclass(frozen=True)
class Rule:
    """An allow or deny rule and the config key it came from (for error messages)."""

    capability: Capability
    source: str


def parse_rules(entries: Iterable[str], source: str) -> list[Rule]:
    """Config rule strings as `Rule`s; a bad entry is an error naming `source[index]`."""
    return _as_rules(entries, source)


def rules_for(config: PluginsConfig, plugin: str) -> tuple[list[Rule], list[Rule], list[Rule]]:
    """The global allow rules, the plugin's own allow rules (narrowing) and all deny rules."""
    allow = parse_rules(config.capabilities.allow, ALLOW_KEY)
    deny = parse_rules(config.capabilities.deny, DENY_KEY)
    plugin_allow: list[Rule] = []
    override = config.overrides.get(plugin)
    if override is not None:
        plugin_allow = parse_rules(override.capabilities.allow, override_key(plugin, "allow"))
        deny += parse_rules(override.capabilities.deny, override_key(plugin, "deny"))
    return allow, plugin_allow, deny


RefusalReason = Literal["not_allowed", "denied"]


@dataclass(frozen=True)
class Refusal:
    """A requested capability that was not granted, and why.

    `denied`: `rule` denies it. `not_allowed`: the allow list named by `source` (a config
    key) does not allow it.
    """

    capability: Capability
    reason: RefusalReason
    rule: Rule | None = None
    source: str | None = None

    @property
    def why(self) -> str:
        """Why, for the operator: the rule that denies it or the allow list that lacks it."""
        if self.reason == "denied" and self.rule is not None:
            return f'denied by "{self.rule.capability}" in {self.rule.source}'
        return f"not allowed by {self.source or 'plugins.capabilities.allow'}"


@dataclass(frozen=True)
class HttpGrant:
    """A granted host pattern. `named` when an allow rule named this exact host, which is
    the only way an internal host or address becomes reachable."""

    pattern: str
    named: bool


@dataclass(frozen=True)
class Grants:
    """What one plugin may do. Built by `grant_capabilities`; immutable."""

    plugin: str
    requested: frozenset[Capability]
    granted: frozenset[Capability]
    refused: tuple[Refusal, ...] = ()
    http: tuple[HttpGrant, ...] = ()
    http_denied: tuple[str, ...] = ()

    def has(self, kind: CapabilityKind) -> bool:
        return any(capability.kind is kind for capability in self.granted)

    def arguments(self, kind: CapabilityKind) -> frozenset[str]:
        return frozenset(c.argument for c in self.granted if c.kind is kind and c.argument)

    @property
    def sees_conversation(self) -> bool:
        return self.has(CapabilityKind.HOOKS_CONVERSATION)

    @property
    def may_modify(self) -> bool:
        return self.has(CapabilityKind.HOOKS_MODIFY)

    @property
    def may_change_tool_results(self) -> bool:
        return self.has(CapabilityKind.HOOKS_TOOL_RESULTS)

    @property
    def secrets(self) -> frozenset[str]:
        return self.arguments(CapabilityKind.SECRET)

    @property
    def env_names(self) -> frozenset[str]:
        return self.arguments(CapabilityKind.ENV)

    @property
    def fs_read_dirs(self) -> frozenset[str]:
        return self.arguments(CapabilityKind.FS_READ)

    @property
    def fs_write_dirs(self) -> frozenset[str]:
        return self.arguments(CapabilityKind.FS_WRITE)

    @property
    def needs_wasi(self) -> bool:
        """Whether WASI must be linked: only a filesystem or environment grant needs it."""
        return any(
            self.has(kind)
            for kind in (CapabilityKind.FS_READ, CapabilityKind.FS_WRITE, CapabilityKind.ENV)
        )

    def refusal(self, kind: CapabilityKind) -> Refusal | None:
        return next((r for r in self.refused if r.capability.kind is kind), None)

    def allows_http_host(self, host: str) -> bool:
        """Whether the plugin may send a request to `host` (as written in the URL).

        Call it for the first URL and for every redirect's URL; then check each address the
        host resolves to with `allows_http_address`.
        """
        try:
            host = canonical_host(host)
        except ValueError:
            return False
        if any(host_pattern_matches(pattern, host) for pattern in self.http_denied):
            return False
        internal = is_internal_host(host)
        for grant in self.http:
            if grant.pattern == host:
                if grant.named or not internal:
                    return True
            elif host_pattern_matches(grant.pattern, host) and not internal:
                return True
        return False

    @property
    def has_address_grants(self) -> bool:
        """Whether some http grant names an IP address (not a name or a pattern)."""
        return any(parse_ip(grant.pattern) is not None for grant in self.http)

    def grants_address(self, address: str | IPAddress) -> bool:
        """Whether an http grant names `address` itself, in any spelling, and no deny rule
        names it. An address grant is a grant of the address: every name resolving to it
        reaches it, as every spelling of it does (`127.1`, `2130706433`, `::ffff:7f00:1`)."""
        if self._denies_address(address):
            return False
        try:
            canonical = canonical_host(str(address))
        except ValueError:
            return False
        return any(grant.pattern == canonical for grant in self.http)

    def allows_http_address(self, host: str, address: str | IPAddress) -> bool:
        """Whether the plugin may connect to `address`, which `host` resolved to.

        An internal address (loopback, private, link-local, cloud metadata, ...) is allowed
        only for an internal host an allow rule named exactly (`localhost`, `db.internal`,
        `10.0.0.5`). A public name resolving to an internal address is always refused, even
        when named: that is DNS rebinding, and the operator who allowed `api.example.com`
        meant a host on the Internet. Call it after DNS, at connect time and per redirect.
        """
        if self.grants_address(address):
            return True
        if not self.allows_http_host(host):
            return False
        if self._denies_address(address):
            return False
        if not is_internal_address(address):
            return True
        canonical = canonical_host(host)
        return is_internal_host(canonical) and any(
            grant.named and grant.pattern == canonical for grant in self.http
        )

    def _denies_address(self, address: str | IPAddress) -> bool:
        """Whether a deny rule names `address` (or the IPv4 address embedded in it): a
        denied address stays denied whatever name resolves to it."""
        denied = {ip for pattern in self.http_denied if (ip := parse_ip(pattern))}
        if not denied:
            return False
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        return ip in denied or embedded_ipv4(ip) in denied


def grant_capabilities(
    requested: Iterable[str | Capability],
    allow: Iterable[str | Rule],
    deny: Iterable[str | Rule] = (),
    *,
    plugin: str = "",
    plugin_allow: Iterable[str | Rule] = (),
) -> Grants:
    """requested ∩ allow ∩ plugin_allow (when not empty) − deny.

    Bare strings count as rules of `plugins.capabilities.allow` / `deny` and, for
    `plugin_allow`, of `plugins.overrides.PLUGIN.capabilities.allow`.
    """
    wanted = [c if isinstance(c, Capability) else parse_capability(c) for c in requested]
    layers = [_as_rules(allow, ALLOW_KEY)]
    narrowing = _as_rules(plugin_allow, override_key(plugin or "NAME", "allow"))
    if narrowing:
        layers.append(narrowing)
    deny_rules = _as_rules(deny, DENY_KEY)
    granted: set[Capability] = set()
    refused: list[Refusal] = []
    named_hosts: dict[str, bool] = {}
    http_denied: set[str] = set()
    for request in wanted:
        pieces, missing_from = _allowed_pieces(request, layers)
        if missing_from is not None:
            refused.append(Refusal(request, "not_allowed", source=missing_from))
            continue
        kept = []
        for capability, named in pieces:
            full = next((r for r in deny_rules if covers(r.capability, capability)), None)
            partial = [r for r in deny_rules if covers(capability, r.capability)]
            if full is None and partial and capability.kind is not CapabilityKind.HTTP:
                full = partial[0]  # a WASI preopen or an env var cannot be granted in part
            if full is not None:
                refused.append(Refusal(request, "denied", rule=full))
                continue
            http_denied.update(str(r.capability.argument) for r in partial)
            kept.append(capability)
            if capability.kind is CapabilityKind.HTTP and capability.argument is not None:
                host = capability.argument
                named_hosts[host] = named_hosts.get(host, False) or named
        granted.update(kept)
    return Grants(
        plugin=plugin,
        requested=frozenset(wanted),
        granted=frozenset(granted),
        refused=tuple(refused),
        http=tuple(HttpGrant(host, named) for host, named in sorted(named_hosts.items())),
        http_denied=tuple(sorted(http_denied)),
    )


def _allowed_pieces(
    request: Capability, layers: list[list[Rule]]
) -> tuple[list[tuple[Capability, bool]], str | None]:
    """The parts of `request` every allow layer allows, each with whether every layer named
    it exactly; or the config key of the first layer that allows none of it."""
    pieces = [(request, True)]
    for layer in layers:
        narrowed = {
            (capability, named and exact)
            for piece, named in pieces
            for rule in layer
            if (found := _intersect(rule, piece)) is not None
            for capability, exact in [found]
        }
        if not narrowed:
            return [], layer[0].source if layer else ALLOW_KEY
        pieces = sorted(narrowed)
    return pieces, None


def grants_for_plugin(
    plugin: str, requested: Iterable[str | Capability], config: PluginsConfig
) -> Grants:
    """The grants of `plugin` under the config's global and per-plugin rules."""
    allow, plugin_allow, deny = rules_for(config, plugin)
    return grant_capabilities(requested, allow, deny, plugin=plugin, plugin_allow=plugin_allow)


def _as_rules(entries: Iterable[str | Rule], source: str) -> list[Rule]:
    rules: list[Rule] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, Rule):
            rules.append(entry)
            continue
        try:
            rules.append(Rule(parse_capability(entry, patterns=True), source))
        except CapabilityError as exc:
            raise CapabilityError(f"{source}[{index}]: {exc.message}", hint=exc.hint) from None
    return rules


def _intersect(rule: Rule, request: Capability) -> tuple[Capability, bool] | None:
    """The part of `request` that `rule` allows, and whether the rule named it exactly."""
    allowed = rule.capability
    named = allowed.kind is CapabilityKind.HTTP and not allowed.is_pattern
    if covers(allowed, request):
        return request, named and request == allowed
    if request.kind is CapabilityKind.HTTP and covers(request, allowed):
        return allowed, named
    return None
