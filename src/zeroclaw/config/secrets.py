"""Which values of the config are secrets, as a `Redactor` for what gets written down.

The audit log and the webhook_audit hook redact with the same nets (see
observability/redaction.py); the config is what knows the secrets worth catching by
value: the environment variables named as API keys and webhook secrets (read when a
line is redacted, so a key exported after start-up still counts), and the secrets the
file holds itself, an MCP server's env values and request headers. A header such as
`Authorization: Bearer X` counts whole and by its credential `X`, since a log line may
carry either.
"""

from __future__ import annotations

from collections.abc import Iterator

from zeroclaw.config.models import Config
from zeroclaw.observability.redaction import Redactor


def config_redactor(config: Config) -> Redactor:
    return Redactor(secret_env_names(config), secret_values(config))


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
