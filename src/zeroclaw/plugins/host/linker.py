"""Linking `zeroclaw:host@1.0.0` into a plugin's linker: one module per WIT interface.

Each interface module (`log`, `kv`, `config`, `http`, `memory`, `console`, see
wit/zeroclaw/host/v1/) has plain Python functions that do the work and a `link` that
defines them on a wasmtime linker instance. `link_host_interfaces` is the only entry point
the runtime needs. Every host function also re-checks the plugin's grant, although
`check_imports` has already refused a component importing an interface it was not granted.

This module imports wasmtime only inside the functions that link or build WIT values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.contract.imports import HOST_PACKAGE, check_imports
from zeroclaw.plugins.host.config import link as link_config
from zeroclaw.plugins.host.console import link as link_console
from zeroclaw.plugins.host.context import HostServices, PluginHostContext
from zeroclaw.plugins.host.http import link as link_http
from zeroclaw.plugins.host.kv import link as link_kv
from zeroclaw.plugins.host.log import link as link_log
from zeroclaw.plugins.host.memory import link as link_memory

if TYPE_CHECKING:
    import wasmtime.component

_LINKERS: dict[str, Callable[[Any, PluginHostContext, HostServices], None]] = {
    "log": link_log,
    "kv": link_kv,
    "config": link_config,
    "http": link_http,
    "memory": link_memory,
    "console": link_console,
}


def link_host_interfaces(
    linker: wasmtime.component.Linker,
    imports: Iterable[str],
    context: PluginHostContext,
    services: HostServices,
) -> None:
    """Define on `linker` every zeroclaw:host interface named in `imports`.

    `imports` are the component's real import names (`zeroclaw:host/kv@1.0.0`); other
    packages (WASI) are left to the caller. An interface the plugin was not granted is
    refused here too (`ImportNotGrantedError`), although the loader checked already.
    """
    host_imports = list(dict.fromkeys(n for n in imports if n.startswith(HOST_PACKAGE + "/")))
    check_imports(host_imports, context.grants)
    with linker.root() as root:
        for name in host_imports:
            interface = name.partition("/")[2].partition("@")[0]
            with root.add_instance(name) as instance:
                _LINKERS[interface](instance, context, services)
