"""Capabilities: what a plugin asks for, what the config allows, and what it is granted.

Grammar (one string each, in `plugin.toml` `capabilities` and in the config's
`plugins.capabilities.allow` / `deny`):

    log  kv  config  memory.read  memory.write
    hooks.conversation  hooks.modify  hooks.tool_results
    http:HOST         HOST is a name (api.example.com), an IP ([::1] for IPv6),
                      *.example.com (its subdomains, not example.com itself) or * (any host)
    fs.read:/DIR      fs.write:/DIR      an absolute directory and everything below it
                      (symlinks resolved: a grant is of the real directory)
    env:NAME          secret:NAME        NAME or, in config rules only, a prefix NAME_*, or *

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
private, link-local, single-label or cloud-metadata hosts and addresses. Such a host is
reachable only when an allow rule names it exactly (`http:localhost`, `http:10.0.0.5`); a
plugin naming it in its own request is not enough. The check runs on the URL's host
(`Grants.allows_http_host`) and again on every address it resolves to, at connect time and
on every redirect (`Grants.allows_http_address`); a public name that resolves to an internal
address is refused even when named (DNS rebinding).

This module does not import wasmtime.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from zeroclaw.plugins.errors import CapabilityError, ImportNotGrantedError

if TYPE_CHECKING:
    from zeroclaw.config.models import PluginsConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

GRAMMAR_HINT = (
    "capabilities are: log, kv, config, memory.read, memory.write, hooks.conversation, "
    "hooks.modify, hooks.tool_results, http:HOST (api.example.com, *.example.com), "
    "fs.read:/DIR, fs.write:/DIR, env:NAME, secret:NAME"
)


class CapabilityKind(StrEnum):
    LOG = "log"
    KV = "kv"
    CONFIG = "config"
    MEMORY_READ = "memory.read"
    MEMORY_WRITE = "memory.write"
    HOOKS_CONVERSATION = "hooks.conversation"
    HOOKS_MODIFY = "hooks.modify"
    HOOKS_TOOL_RESULTS = "hooks.tool_results"
    HTTP = "http"
    FS_READ = "fs.read"
    FS_WRITE = "fs.write"
    ENV = "env"
    SECRET = "secret"

    @property
    def takes_argument(self) -> bool:
        return self in _WITH_ARGUMENT


_WITH_ARGUMENT = frozenset(
    {
        CapabilityKind.HTTP,
        CapabilityKind.FS_READ,
        CapabilityKind.FS_WRITE,
        CapabilityKind.ENV,
        CapabilityKind.SECRET,
    }
)
_ARGUMENT_SHAPE = {
    CapabilityKind.HTTP: "a host, e.g. http:api.example.com or http:*.example.com",
    CapabilityKind.FS_READ: "an absolute directory, e.g. fs.read:/srv/data",
    CapabilityKind.FS_WRITE: "an absolute directory, e.g. fs.write:/srv/data",
    CapabilityKind.ENV: "a variable name, e.g. env:LANG",
    CapabilityKind.SECRET: "a secret name, e.g. secret:API_TOKEN",
}


@dataclass(frozen=True, order=True)
class Capability:
    """One parsed capability; `argument` is the host pattern, directory or name."""

    kind: CapabilityKind
    argument: str | None = None

    def __str__(self) -> str:
        return self.kind.value if self.argument is None else f"{self.kind.value}:{self.argument}"

    @property
    def is_pattern(self) -> bool:
        return self.argument is not None and "*" in self.argument


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_PATTERN = re.compile(r"\*|[A-Za-z_][A-Za-z0-9_]*\*?")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def parse_capability(text: str, *, patterns: bool = False) -> Capability:
    """Parse one capability string.

    `patterns` allows the forms only config rules may use: `env:PREFIX_*`, `secret:*`, ...
    Host wildcards (`http:*.example.com`) are accepted everywhere: a plugin may ask for all
    subdomains of its API.
    """
    name, sep, argument = text.partition(":")
    try:
        kind = CapabilityKind(name)
    except ValueError:
        raise CapabilityError(
            f'unknown capability "{text}"' + _did_you_mean(name), hint=GRAMMAR_HINT
        ) from None
    if not kind.takes_argument:
        if sep:
            raise CapabilityError(
                f'capability "{text}" takes no argument: write "{kind.value}"', hint=GRAMMAR_HINT
            )
        return Capability(kind)
    if not argument:
        raise CapabilityError(
            f'capability "{text}" needs {_ARGUMENT_SHAPE[kind]}', hint=GRAMMAR_HINT
        )
    try:
        if kind is CapabilityKind.HTTP:
            return Capability(kind, _parse_host_pattern(argument))
        if kind in (CapabilityKind.FS_READ, CapabilityKind.FS_WRITE):
            return Capability(kind, _parse_directory(argument))
        return Capability(kind, _parse_name(argument, patterns=patterns))
    except ValueError as exc:
        raise CapabilityError(
            f'capability "{text}": {exc}; it needs {_ARGUMENT_SHAPE[kind]}', hint=GRAMMAR_HINT
        ) from None


def _did_you_mean(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, [k.value for k in CapabilityKind], n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _parse_host_pattern(argument: str) -> str:
    if argument == "*":
        return argument
    if argument.startswith("*."):
        return "*." + _parse_host(argument[2:], wildcard=True)
    if "*" in argument:
        raise ValueError("a wildcard may only be the whole host (*) or its first label (*.)")
    return _parse_host(argument, wildcard=False)


def _parse_host(host: str, *, wildcard: bool) -> str:
    """A host in canonical form: lower case, no trailing dot, IPs in their standard text."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if wildcard:
            raise ValueError("a wildcard cannot stand for part of an IP address")
        return str(address)
    if not host.isascii():
        raise ValueError("write internationalized names in punycode (xn--...)")
    host = host.lower().removesuffix(".")
    legacy = None if wildcard else _legacy_ipv4(host)
    if legacy is not None:
        # `127.1`, `0x7f.0.0.1`, `2130706433`: resolvers read these as IPv4 addresses, so a
        # rule about the address must hold for them too.
        return str(legacy)
    if ":" in host or "/" in host:
        raise ValueError("give a host only: no scheme, port or path (a grant covers every port)")
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f'"{host}" is not a valid host name')
    return host


def _parse_directory(argument: str) -> str:
    if not os.path.isabs(argument):
        raise ValueError(f'"{argument}" is not an absolute path')
    # The directory on disk: a symlink must not lead a grant out of an allowed directory or
    # around a deny rule (a preopen follows it).
    return os.path.realpath(argument)


def _parse_name(argument: str, *, patterns: bool) -> str:
    shape = _NAME_PATTERN if patterns else _NAME
    if not shape.fullmatch(argument):
        if not patterns and _NAME_PATTERN.fullmatch(argument):
            raise ValueError("a plugin must name it exactly (wildcards are for config rules)")
        raise ValueError(f'"{argument}" is not a valid name (letters, digits and _)')
    return argument


# -- matching -------------------------------------------------------------------------------


def host_pattern_matches(pattern: str, host: str) -> bool:
    """Whether `host` (canonical form) is one of the hosts `pattern` names.

    Only the pattern's shape is considered here; the internal-address rule is applied by
    `Grants.allows_http_host`.
    """
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and not _is_ip_literal(host)
    return pattern == host


def _host_pattern_covers(outer: str, inner: str) -> bool:
    """Whether every host `inner` names is also named by `outer`."""
    if outer == "*":
        return True
    if inner == "*":
        return False
    if inner.startswith("*."):
        return outer.startswith("*.") and (inner == outer or inner.endswith(outer[1:]))
    return host_pattern_matches(outer, inner)


def _path_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _name_pattern_covers(outer: str, inner: str) -> bool:
    if outer.endswith("*"):
        prefix = outer[:-1]
        return inner.startswith(prefix) and (not inner.endswith("*") or len(inner) > len(outer))
    return outer == inner


def covers(rule: Capability, request: Capability) -> bool:
    """Whether `rule` allows everything `request` asks for."""
    if rule.kind is not request.kind:
        return False
    if rule.argument is None or request.argument is None:
        return rule.argument == request.argument
    if rule.kind is CapabilityKind.HTTP:
        return _host_pattern_covers(rule.argument, request.argument)
    if rule.kind in (CapabilityKind.FS_READ, CapabilityKind.FS_WRITE):
        return _path_within(request.argument, rule.argument)
    return _name_pattern_covers(rule.argument, request.argument)


# -- grants ---------------------------------------------------------------------------------

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
            host = _parse_host(host, wildcard=False)
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

    def allows_http_address(self, host: str, address: str | IPAddress) -> bool:
        """Whether the plugin may connect to `address`, which `host` resolved to.

        An internal address (loopback, private, link-local, cloud metadata, ...) is allowed
        only for an internal host an allow rule named exactly (`localhost`, `db.internal`,
        `10.0.0.5`). A public name resolving to an internal address is always refused, even
        when named: that is DNS rebinding, and the operator who allowed `api.example.com`
        meant a host on the Internet. Call it after DNS, at connect time and per redirect.
        """
        if not self.allows_http_host(host):
            return False
        if self._denies_address(address):
            return False
        if not is_internal_address(address):
            return True
        canonical = _parse_host(host, wildcard=False)
        return is_internal_host(canonical) and any(
            grant.named and grant.pattern == canonical for grant in self.http
        )

    def _denies_address(self, address: str | IPAddress) -> bool:
        """Whether a deny rule names `address` (or the IPv4 address embedded in it): a
        denied address stays denied whatever name resolves to it."""
        denied = {ip for pattern in self.http_denied if (ip := _try_address(pattern))}
        if not denied:
            return False
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        return ip in denied or _embedded_ipv4(ip) in denied


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


# -- internal hosts and addresses -----------------------------------------------------------

_INTERNAL_NAMES = frozenset(
    {"localhost", "metadata", "metadata.goog", "instance-data", "metadata.google.internal"}
)
_INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".home.arpa",
    ".lan",
)
# Cloud metadata endpoints that `is_global` does not already exclude.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("192.0.0.192", "168.63.129.16", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _is_ip_literal(host: str) -> bool:
    return _legacy_ipv4(host) is not None or _try_address(host) is not None


def _try_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`127.1`, `0x7f.0.0.1`, `2130706433`...: forms resolvers accept as IPv4 addresses."""
    if not host or not re.fullmatch(r"[0-9a-fx.]+", host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_internal_host(host: str) -> bool:
    """Whether a host name or IP literal is loopback, private, link-local, cloud metadata or
    otherwise not a public Internet host (single-label names resolve via search domains)."""
    host = host.lower().removesuffix(".")
    address = _try_address(host) or _legacy_ipv4(host)
    if address is not None:
        return is_internal_address(address)
    if host in _INTERNAL_NAMES or host.endswith(_INTERNAL_SUFFIXES):
        return True
    return "." not in host


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    embedded = ip.ipv4_mapped or ip.sixtofour
    if embedded is None and ip in _NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if embedded is None and ip.teredo is not None:
        embedded = ip.teredo[1]
    return embedded


def is_internal_address(address: str | IPAddress) -> bool:
    """Whether a resolved address must not be reached through a wildcard grant."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    embedded = _embedded_ipv4(ip)
    if embedded is not None and is_internal_address(embedded):
        return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _METADATA_ADDRESSES
    )


# -- linking --------------------------------------------------------------------------------

HOST_PACKAGE = "zeroclaw:host"
HOST_PACKAGE_VERSION = (1, 0, 0)

# Which grants let each host interface be linked. Memory links with either grant; the host
# checks the specific one per call (`recall` needs memory.read, `store` memory.write).
HOST_INTERFACES: dict[str, tuple[CapabilityKind, ...]] = {
    "log": (CapabilityKind.LOG,),
    "kv": (CapabilityKind.KV,),
    "config": (CapabilityKind.CONFIG,),
    "http": (CapabilityKind.HTTP,),
    "memory": (CapabilityKind.MEMORY_READ, CapabilityKind.MEMORY_WRITE),
}

_WASI_FS = (CapabilityKind.FS_READ, CapabilityKind.FS_WRITE)
_NO_WASI_HINT = (
    "build the plugin without WASI: componentize-py `--stub-wasi`; componentize-js "
    "`-d stdio random clocks http fetch-event`"
)


def check_imports(imports: Iterable[str], grants: Grants) -> None:
    """Refuse a component that imports anything its grants do not cover.

    `imports` are the component's import names (`zeroclaw:host/kv@1.0.0`, `wasi:...`). Every
    problem is listed, each with the key or flag that would fix it.
    """
    problems = [p for name in imports if (p := _import_problem(name, grants)) is not None]
    if problems:
        plugin = grants.plugin or "the plugin"
        raise ImportNotGrantedError(
            f"plugin {plugin!r} cannot be linked:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="a plugin may import only the host interfaces it was granted; "
            "see docs/plugins-runtime.md (capabilities)",
        )


def _import_problem(name: str, grants: Grants) -> str | None:
    package, _, rest = name.partition("/")
    interface, _, version = rest.partition("@")
    if package == HOST_PACKAGE:
        return _host_import_problem(name, interface, version, grants)
    if package.startswith("wasi:"):
        return _wasi_import_problem(name, package, interface, grants)
    return f"imports {name}, which the host does not provide"


def _host_import_problem(name: str, interface: str, version: str, grants: Grants) -> str | None:
    needs = HOST_INTERFACES.get(interface)
    if needs is None:
        known = ", ".join(f"{HOST_PACKAGE}/{i}" for i in HOST_INTERFACES)
        return f"imports {name}, which the host does not have (it has {known})"
    supported = ".".join(map(str, HOST_PACKAGE_VERSION))
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return f"imports {name} without a version; the host has {HOST_PACKAGE}@{supported}"
    major, minor = int(parts[0]), int(parts[1])
    if major != HOST_PACKAGE_VERSION[0] or minor > HOST_PACKAGE_VERSION[1]:
        return (
            f"imports {name}, but the host has {HOST_PACKAGE}@{supported}: rebuild the plugin "
            f"against zeroclaw:host@{supported}"
        )
    if any(grants.has(kind) for kind in needs):
        return None
    return f"imports {name}, which needs {_needs_text(needs)}: {_grant_fix(needs[0], grants)}"


def _wasi_import_problem(name: str, package: str, interface: str, grants: Grants) -> str | None:
    if package in ("wasi:sockets", "wasi:http"):
        return (
            f"imports {name}: plugins get no sockets or WASI HTTP; call "
            f"{HOST_PACKAGE}/http with an http:HOST capability instead ({_NO_WASI_HINT})"
        )
    if package == "wasi:filesystem":
        if any(grants.has(kind) for kind in _WASI_FS):
            return None
        return (
            f'imports {name}, which needs an "fs.read:/DIR" or "fs.write:/DIR" capability: '
            f"{_grant_fix(CapabilityKind.FS_READ, grants)} (or {_NO_WASI_HINT})"
        )
    if package == "wasi:cli" and interface == "environment":
        if grants.has(CapabilityKind.ENV):
            return None
        return (
            f'imports {name}, which needs an "env:NAME" capability: '
            f"{_grant_fix(CapabilityKind.ENV, grants)} (or {_NO_WASI_HINT})"
        )
    if grants.needs_wasi:
        return None  # clocks, random, io, stdio: linked along with a filesystem/env grant
    return (
        f"imports {name}, but WASI is linked only for plugins granted fs.read, fs.write or "
        f"env capabilities: {_NO_WASI_HINT}"
    )


def _needs_text(kinds: Sequence[CapabilityKind]) -> str:
    shown = [f'"{k.value}:HOST"' if k.takes_argument else f'"{k.value}"' for k in kinds]
    return "the " + " or ".join(shown) + " capability"


def _grant_fix(kind: CapabilityKind, grants: Grants) -> str:
    """What to change so that a capability of `kind` is granted."""
    name = grants.plugin or "NAME"
    shown = f"{kind.value}:..." if kind.takes_argument else kind.value
    refusal = grants.refusal(kind)
    if refusal is None:
        return (
            f'plugin.toml does not ask for it: add "{shown}" to its capabilities, and allow it '
            f"in {ALLOW_KEY} (and in {override_key(name, 'allow')} if that list is set)"
        )
    if refusal.reason == "denied" and refusal.rule is not None:
        return (
            f'"{refusal.capability}" is denied by "{refusal.rule.capability}" in '
            f"{refusal.rule.source}; remove that rule to grant it"
        )
    if refusal.source is not None and refusal.source != ALLOW_KEY:
        return (
            f'add "{refusal.capability}" to {refusal.source} (it narrows {ALLOW_KEY} for this '
            f"plugin), or empty that list"
        )
    return (
        f'add "{refusal.capability}" to {ALLOW_KEY} (a list in '
        f"{override_key(name, 'allow')} can then narrow it for this plugin)"
    )
