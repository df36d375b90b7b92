"""`zeroclaw:host/kv`: a small persistent key-value store private to each plugin.

The WIT interface over `KvStore` (kv_store.py, where the limits are): every call re-checks
the plugin's `kv` grant and answers a `kv-error` case instead of raising.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.host.context import HostServices, PluginHostContext, host_function
from zeroclaw.plugins.host.kv_store import KvError, KvStore

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    plugin = context.plugin

    def store() -> KvStore:
        if not context.grants.has(CapabilityKind.KV):
            raise KvError.storage(f'plugin {plugin!r} was not granted the "kv" capability')
        return services.kv_store()

    def get(key: str) -> bytes:
        return store().get(plugin, key)

    def set_(key: str, value: bytes) -> None:
        store().set(plugin, key, value)

    def delete(key: str) -> None:
        store().delete(plugin, key)

    def list_keys(prefix: str) -> list[str]:
        return store().list_keys(plugin, prefix)

    def failed() -> Any:
        return KvError.storage("the host's key-value store failed (see the host log)").wit_value()

    for name, call in (("get", get), ("set", set_), ("delete", delete), ("list-keys", list_keys)):
        instance.add_func(name, host_function(context, f"kv.{name}", call, failed))
