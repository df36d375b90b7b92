"""Which values of the config are secrets: as a `Redactor` for what gets written down,
and masked in what `config show`, `get`, `set` and `unset` print.

The audit log and the webhook_audit hook redact with the same nets (see
observability/redaction.py); the config is what knows the secrets worth catching by
value: the environment variables named as API keys and webhook secrets (read when a
line is redacted, so a key exported after start-up still counts), and the secrets the
file holds itself, an MCP server's env values and request headers. A header such as
`Authorization: Bearer X` counts whole and by its credential `X`, since a log line may
carry either.

The keys whose values are secrets say so in models.py (`json_schema_extra={SECRET: True}`),
so `masked` finds them wherever they sit: in a whole config, in one table, or in the one
value `config set` wrote. (Token hashes in gateway.tokens are not secrets: a digest grants
nothing; API keys live in the environment, named by api_key_env, and are masked there.)
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from zeroclaw.config.api_keys import mask_secret
from zeroclaw.config.models import SECRET, Config
from zeroclaw.observability.redaction import Redactor


def config_redactor(config: Config) -> Redactor:
    return Redactor(secret_env_names(config), secret_values(config), env=config.env)


def secret_env_names(config: Config) -> list[str]:
    """Variables whose values are secrets: the providers' API keys, the webhook secret."""
    names = [provider.api_key_env for provider in config.llm.providers.values()]
    names.append(config.hooks.webhook_audit.secret_env)
    return [name for name in names if name]


def secret_values(config: Config) -> list[str]:
    """Secrets written in the file itself: MCP servers' env values and headers."""
    return list(_mcp_secrets(config))


def _mcp_secrets(config: Config) -> Iterator[str]:
    for server in config.mcp.servers:
        yield from server.env.values()
        for value in server.headers.values():
            yield value
            _, _, credential = value.strip().rpartition(" ")
            if credential and credential != value.strip():
                yield credential


def masked(data: Mapping[str, Any], model: type[BaseModel] = Config) -> dict[str, Any]:
    """`data`, shaped like `model` (a config's dump, or any part of one nested from the
    top), with every secret value masked; keys it does not know are kept as they are."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            out[key] = value
        elif _is_secret(field):
            out[key] = _mask_values(value)
        else:
            out[key] = _masked_inside(value, *_tables_in(field.annotation))
    return out


def masked_at(key: tuple[str, ...], value: Any) -> Any:
    """The value of dotted `key` (as `config set` writes it), masked where it is secret."""
    nested: Any = value
    for part in reversed(key):
        nested = {part: nested}
    shown: Any = masked(nested)
    for part in key:
        shown = shown[part]
    return shown


# How a key holds tables: one table, a table per user-chosen name, or an array of tables.
_Holding = Literal["table", "named", "array"]


def _masked_inside(value: Any, holding: _Holding | None, model: type[BaseModel] | None) -> Any:
    if model is None:
        return value
    if holding == "table" and isinstance(value, Mapping):
        return masked(value, model)
    if holding == "named" and isinstance(value, Mapping):
        return {
            name: masked(item, model) if isinstance(item, Mapping) else item
            for name, item in value.items()
        }
    if holding == "array" and isinstance(value, list):
        return [masked(item, model) if isinstance(item, Mapping) else item for item in value]
    return value


def _is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get(SECRET) is True


def _mask_values(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {name: _mask_values(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_mask_values(item) for item in value]
    return mask_secret(value if isinstance(value, str) else str(value))


def _tables_in(annotation: Any) -> tuple[_Holding | None, type[BaseModel] | None]:
    """How a key typed `annotation` holds config tables (Model, Model | None,
    dict[str, Model], list[Model]), and their model; (None, None) for a plain value."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _tables_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _tables_in(options[0]) if len(options) == 1 else (None, None)
    if origin in (list, dict):
        inner = _tables_in(get_args(annotation)[-1])
        if inner[0] == "table":
            return ("array" if origin is list else "named"), inner[1]
        return None, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table", annotation
    return None, None
