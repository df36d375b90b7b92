"""The circuit breaker on its own, on a clock the test moves."""

from __future__ import annotations

import pytest

from zeroclaw.plugins.wasm.breaker import BreakerSettings, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    settings = BreakerSettings(failure_threshold=3, cooldown_s=10, max_cooldown_s=25)
    return CircuitBreaker(settings, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> list[bool]:
    tripped = []
    for _ in range(times):
        assert breaker.admit()
        tripped.append(breaker.failure("trap"))
    return tripped


def test_it_opens_after_the_threshold_of_failures_in_a_row(breaker: CircuitBreaker) -> None:
    assert fail(breaker, 3) == [False, False, True]
    assert not breaker.admit()
    status = breaker.status()
    assert status.state is BreakerState.OPEN
    assert status.quarantined
    assert status.retry_in_s == 10


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert breaker.admit()
    breaker.success()
    assert fail(breaker, 2) == [False, False]
    assert breaker.status().state is BreakerState.CLOSED


def test_after_the_cool_down_one_probe_runs_and_its_success_closes_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker, 3)
    clock.now += 10

    assert breaker.admit()  # the probe
    assert not breaker.admit()  # only one at a time
    breaker.success()

    assert breaker.status().state is BreakerState.CLOSED
    assert breaker.admit()


def test_a_failed_probe_reopens_it_with_a_doubled_cool_down_up_to_the_maximum(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    fail(breaker, 3)
    cooldowns = []
    for _ in range(3):
        clock.now += breaker.status().cooldown_s
        assert breaker.admit()
        assert breaker.failure("still broken")
        cooldowns.append(breaker.status().cooldown_s)

    assert cooldowns == [20, 25, 25]
    assert breaker.status().trips == 4
    assert breaker.status().last_failure == "still broken"


def test_an_abandoned_probe_frees_the_probe_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 10
    assert breaker.admit()
    breaker.abandon()  # e.g. it waited for a call slot in vain

    assert breaker.admit()
    assert breaker.status().state is BreakerState.HALF_OPEN


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        BreakerSettings(failure_threshold=0)
    with pytest.raises(ValueError, match="cooldown"):
        BreakerSettings(cooldown_s=60, max_cooldown_s=30)
