"""The redactor the audit log and webhook_audit share: strings shaped like credentials
are replaced, ordinary text is left alone, and secrets are caught by value."""

from __future__ import annotations

import pytest

from zeroclaw.config import Config
from zeroclaw.config.models import McpServerConfig
from zeroclaw.config.secrets import config_redactor
from zeroclaw.observability import REDACTED, Redactor


@pytest.mark.parametrize(
    "text",
    [
        "GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ",
        "aws AKIAABCDEFGHIJKLMNOP",
        "hmac 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "random Zx9QmW2rT8yLp4KvB7nH3jD6fG1sA5cE0uI",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
        "xoxb-1234567890-abcdefghij",
    ],
)
def test_strings_shaped_like_credentials_are_redacted(text: str) -> None:
    secret = text.split(maxsplit=1)[-1].rsplit("=", maxsplit=1)[-1]
    redacted = Redactor().text(text)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "/home/User1/projects/some_long_directory_name_here/notes.txt",
        "test_config_reference_is_up_to_date_with_the_models",
        "max_tokens=4096 and the total of 12 files",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().text(text) == text


def test_the_configs_secrets_are_caught_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "webhook-plain-value")
    config = Config()
    config.hooks.webhook_audit.secret_env = "WEBHOOK_SECRET"
    config.mcp.servers = [
        McpServerConfig(
            name="b",
            transport="streamable-http",
            url="http://127.0.0.1:9/mcp",
            headers={"Authorization": "Bearer plainheadertoken", "X-Team": "ops"},
        )
    ]
    redactor = config_redactor(config)

    text = redactor.text("webhook-plain-value and plainheadertoken, team ops")

    assert text == f"{REDACTED} and {REDACTED}, team ops"  # 'ops' is too short to count


@pytest.mark.parametrize(
    "text",
    [
        "API-KEY: abc123def456ghi",
        "Private_Key='-----BEGIN KEY----- abc'",
        'x_ACCESS-KEY="AKxyz0123456789"',
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "header bearer abcdefgh12345678",
        "my.credentials: hunter2hunter2",
        "Passwd=foo1234 and PASSWORD: 'bar'",
        "client_secret=s3cr3tvalue&x=1",
        "refresh_Token: tok_0123456789",
        '{"api_key": "abc123", "Token" : \'x\'}',
        "plain text with no key words at all, max_tok=5",
        "a.txt\nb.txt\nsrc/\nREADME.md",
    ],
)
def test_skipping_the_keyed_shapes_changes_nothing(text: str) -> None:
    # The redactor runs the three shapes keyed by a secret's name only on text holding one
    # of their words: the result must be what running every shape gives.
    from zeroclaw.observability import redaction

    every_shape = text
    for shape in redaction._SHAPES:
        every_shape = shape.pattern.sub(shape.replacement, every_shape)
    every_shape = redaction._BASE64_RUN.sub(redaction._base64_replacement, every_shape)
    assert Redactor().text(text) == every_shape
