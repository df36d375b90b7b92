"""API keys are reported as set or not, and never shown whole."""

from __future__ import annotations

from zeroclaw.config import Config
from zeroclaw.config.api_keys import ApiKeyStatus, api_key_statuses, mask_secret
from zeroclaw.config.models import ProviderConfig

KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789wxyz"


def test_a_long_key_shows_only_its_last_four_characters() -> None:
    masked = mask_secret(KEY)
    assert masked == f"…wxyz ({len(KEY)} chars)"
    assert KEY[:-4] not in masked
    assert "sk-" not in masked


def test_a_short_key_shows_none_of_its_characters() -> None:
    assert mask_secret("abc12345") == "(set, 8 chars)"


def test_unset_and_empty_keys_are_told_apart() -> None:
    assert mask_secret(None) == "(not set)"
    assert mask_secret("") == "(set, but empty)"


def test_statuses_cover_every_provider_with_an_env_var_sorted_by_name() -> None:
    config = Config()
    config.llm.providers["mine"] = ProviderConfig(kind="openai", api_key_env="MINE_KEY")
    statuses = api_key_statuses(config, {"OPENAI_API_KEY": KEY, "MINE_KEY": "short"})
    assert statuses == [
        ApiKeyStatus("anthropic", "ANTHROPIC_API_KEY", "(not set)", present=False),
        ApiKeyStatus("mine", "MINE_KEY", "(set, 5 chars)", True, "the environment"),
        ApiKeyStatus(
            "openai", "OPENAI_API_KEY", f"…wxyz ({len(KEY)} chars)", True, "the environment"
        ),
        ApiKeyStatus("openrouter", "OPENROUTER_API_KEY", "(not set)", present=False),
    ]
