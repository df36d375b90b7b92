"""`zeroclaw:host/config`: the plugin's settings and its secrets.

Settings are the manifest's [config] overlaid by plugins.overrides.NAME.config, handed to
the guest as JSON text (TOML dates and times as ISO 8601 strings). Secrets are read only
from the context's `secrets` (`resolve_secrets`: granted and declared names whose
environment variable is set); a value is never logged.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from zeroclaw.plugins.contract.capabilities import CapabilityKind
from zeroclaw.plugins.host.context import HostServices, PluginHostContext, host_function
from zeroclaw.plugins.host.wit_values import HostCallError

if TYPE_CHECKING:
    from wasmtime.component import LinkerInstance


def _json_default(value: object) -> str:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"a setting of type {type(value).__name__} has no JSON form")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def get_setting(settings: Mapping[str, Any], key: str) -> str | None:
    """The setting at the dotted path `key` as JSON text, or None if there is none."""
    value: Any = settings
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return to_json(value)


def get_all_settings(settings: Mapping[str, Any]) -> str:
    return to_json(dict(settings))


def get_secret(context: PluginHostContext, name: str) -> str:
    """The value of secret `name`; `HostCallError` not-granted / not-set otherwise."""
    if name not in context.grants.secrets:
        raise HostCallError("not-granted", name)
    value = context.secrets.get(name)
    if value is None:
        raise HostCallError("not-set", name)
    return value


def link(instance: LinkerInstance, context: PluginHostContext, services: HostServices) -> None:
    def granted() -> bool:
        return context.grants.has(CapabilityKind.CONFIG)

    def get(key: str) -> str | None:
        return get_setting(context.settings, key) if granted() else None

    def get_all() -> str:
        return get_all_settings(context.settings) if granted() else "{}"

    def secret(name: str) -> str:
        if not granted():
            raise HostCallError("not-granted", name)
        return get_secret(context, name)

    def secret_failed() -> Any:
        return HostCallError("not-set", "").wit_value()

    instance.add_func("get", host_function(context, "config.get", get, lambda: None))
    instance.add_func("get-all", host_function(context, "config.get-all", get_all, lambda: "{}"))
    instance.add_func(
        "get-secret", host_function(context, "config.get-secret", secret, secret_failed)
    )
