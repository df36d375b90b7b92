"""zeroclaw:host/config: settings as JSON, secrets by grant, and the overlay and secret
resolution the runtime builds the context with."""

from __future__ import annotations

import datetime
import json
import logging

import pytest
from host_helpers import make_context

from zeroclaw.named_env import NamedEnv
from zeroclaw.plugins.contract.grants import grant_capabilities
from zeroclaw.plugins.host.config import get_all_settings, get_secret, get_setting
from zeroclaw.plugins.host.context import plugin_settings, resolve_secrets
from zeroclaw.plugins.host.wit_values import HostCallError

SETTINGS = {
    "greeting": "hello",
    "retry": {"max": 3, "backoff": {"base_ms": 100}},
    "tags": ["a", "b"],
    "enabled": True,
    "since": datetime.date(2024, 5, 1),
}


def test_get_reads_dotted_paths_as_json() -> None:
    assert get_setting(SETTINGS, "greeting") == '"hello"'
    assert get_setting(SETTINGS, "retry.max") == "3"
    assert json.loads(get_setting(SETTINGS, "retry.backoff") or "") == {"base_ms": 100}
    assert get_setting(SETTINGS, "tags") == '["a", "b"]'
    assert get_setting(SETTINGS, "enabled") == "true"
    assert get_setting(SETTINGS, "since") == '"2024-05-01"'


@pytest.mark.parametrize("key", ["missing", "retry.min", "greeting.length", "tags.0", ""])
def test_get_of_a_missing_setting_is_none(key: str) -> None:
    assert get_setting(SETTINGS, key) is None


def test_get_all_is_one_json_object() -> None:
    assert json.loads(get_all_settings(SETTINGS))["retry"]["max"] == 3
    assert get_all_settings({}) == "{}"


def test_a_granted_secret_with_a_value_is_returned() -> None:
    context = make_context("p", ["config", "secret:API_TOKEN"], secrets={"API_TOKEN": "t0k"})

    assert get_secret(context, "API_TOKEN") == "t0k"


def test_a_secret_not_granted_is_not_granted_even_if_the_context_had_it() -> None:
    context = make_context(
        "p", ["config", "secret:API_TOKEN"], allow=["config"], secrets={"API_TOKEN": "t0k"}
    )

    with pytest.raises(HostCallError) as refused:
        get_secret(context, "API_TOKEN")
    assert (refused.value.case, refused.value.payload) == ("not-granted", "API_TOKEN")


def test_a_granted_secret_without_a_value_is_not_set() -> None:
    context = make_context("p", ["config", "secret:API_TOKEN"])

    with pytest.raises(HostCallError) as missing:
        get_secret(context, "API_TOKEN")
    assert (missing.value.case, missing.value.payload) == ("not-set", "API_TOKEN")


# -- building the context -------------------------------------------------------------------


def test_plugin_settings_overlay_tables_deeply_without_changing_the_inputs() -> None:
    manifest = {"retry": {"max": 3, "base_ms": 100}, "greeting": "hi", "tags": ["a"]}
    override = {"retry": {"max": 5}, "tags": ["b", "c"], "extra": {"x": 1}}

    merged = plugin_settings(manifest, override)

    assert merged == {
        "retry": {"max": 5, "base_ms": 100},
        "greeting": "hi",
        "tags": ["b", "c"],
        "extra": {"x": 1},
    }
    merged["retry"]["max"] = 99
    merged["tags"].append("d")
    assert manifest["retry"] == {"max": 3, "base_ms": 100}
    assert override["tags"] == ["b", "c"]


def test_plugin_settings_a_value_replaces_a_table_and_back() -> None:
    assert plugin_settings({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
    assert plugin_settings({"a": 2}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_resolve_secrets_only_for_granted_and_declared_names(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MY_TOKEN", "value-of-token")
    monkeypatch.setenv("MY_OTHER", "value-of-other")
    monkeypatch.setenv("MY_EMPTY", "")
    monkeypatch.delenv("MY_UNSET", raising=False)
    grants = grant_capabilities(
        ["secret:TOKEN", "secret:OTHER", "secret:EMPTY", "secret:UNSET", "secret:UNMAPPED"],
        ["secret:TOKEN", "secret:EMPTY", "secret:UNSET", "secret:UNMAPPED"],
        plugin="p",
    )
    mapping = {
        "TOKEN": "MY_TOKEN",
        "OTHER": "MY_OTHER",
        "EMPTY": "MY_EMPTY",
        "UNSET": "MY_UNSET",
        "UNDECLARED": "MY_TOKEN",
    }
    declared = ["TOKEN", "OTHER", "EMPTY", "UNSET", "UNMAPPED"]

    assert resolve_secrets("p", declared, grants, mapping, NamedEnv()) == {
        "TOKEN": "value-of-token"
    }
    assert "value-of" not in caplog.text
