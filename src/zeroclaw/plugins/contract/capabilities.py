"""The capability grammar: what one capability string means and when one covers another.

Grammar (one string each, in `plugin.toml` `capabilities` and in the config's
`plugins.capabilities.allow` / `deny`):

    log  kv  config  memory.read  memory.write
    hooks.conversation  hooks.modify  hooks.tool_results
    http:HOST         HOST is a name (api.example.com), an IP ([::1] for IPv6),
                      *.example.com (its subdomains, not example.com itself) or * (any host)
    fs.read:/DIR      fs.write:/DIR      an absolute directory and everything below it
                      (symlinks resolved: a grant is of the real directory)
    env:NAME          secret:NAME        NAME or, in config rules only, a prefix NAME_*, or *

Hosts are kept in one canonical form (lower case, no trailing dot, every spelling of an IPv4
address as its dotted quad), so that a rule about a host holds however it is written. What
is granted from these is decided in `grants.py`.

This module does not import wasmtime.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from enum import StrEnum

from zeroclaw.plugins.contract.addresses import is_ip_literal, legacy_ipv4
from zeroclaw.plugins.errors import CapabilityError

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
        # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address on a
        # dual-stack socket: one address, one form.
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)
    if not host.isascii():
        raise ValueError("write internationalized names in punycode (xn--...)")
    host = host.lower().removesuffix(".")
    legacy = None if wildcard else legacy_ipv4(host)
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


def canonical_host(host: str) -> str:
    """`host` (a name or an IP literal, as written in a URL) in the canonical form rules are
    kept in; a ValueError if it is not a valid host."""
    return _parse_host(host, wildcard=False)


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
        return host.endswith(pattern[1:]) and not is_ip_literal(host)
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
