"""schemathesis against the gateway's own /openapi.json, with its auth: for every operation,
generated requests (valid and invalid) never get a 500, and every response is one the
schema declares, in the shape it declares. Bounded (a few dozen examples per operation)
so it runs in the default test command; raise ZEROCLAW_FUZZ_EXAMPLES for a longer run.

Left out: schemathesis' "a schema-valid request is accepted" check. The gateway refuses,
with a 400 naming the rule, requests the JSON schema cannot express as invalid (a chat whose
last message is not the user's); that is validation, not a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from gateway_harness import TOKEN, Gateway, make_config, running_gateway
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ZEROCLAW_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = make_config(tmp_path_factory.mktemp("fuzzed-gateway"))
    # Generated chats must not wait on a model or a tool for long.
    config.agent.max_tool_iterations = 2
    config.gateway.rate_limit_per_minute = 0
    with running_gateway(config) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(gateway: Gateway) -> Any:
    document = httpx.get(f"{gateway.base_url}/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(document)


def test_no_operation_answers_500_or_off_schema(api_schema: Any, gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    failures: dict[str, str] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                base_url=gateway.base_url,
                headers=headers,
                timeout=30,
                excluded_checks=[positive_data_acceptance],
            )

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # every operation is tried
            failures[operation.label] = str(failure)[:2000]

    assert failures == {}, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def test_the_schema_has_operations_to_fuzz(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert "/v1/chat/completions" in paths
    assert len(operations) >= 5
