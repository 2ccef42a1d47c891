from __future__ import annotations

import random
import statistics

import pytest

from signalpost.errors.classify import ErrorClass
from signalpost.jobs import RetryPolicy


def test_ceiling_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=10.0, multiplier=3.0)
    assert [policy.ceiling(n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10.0, 10.0]
    assert policy.ceiling(10_000) == 10.0  # no overflow


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.5, 1.0])
def test_delay_stays_within_the_documented_bounds(jitter: float) -> None:
    rng = random.Random(7)
    policy = RetryPolicy(
        max_attempts=8, base_delay=1.0, max_delay=30.0, jitter=jitter, random=rng.random
    )
    for retry in range(1, 8):
        low, high = policy.bounds(retry)
        assert high == min(30.0, 2.0 ** (retry - 1))
        assert low == pytest.approx(high * (1 - jitter))
        for _ in range(200):
            assert low <= policy.delay(retry) <= high


def test_jitter_spreads_delays_over_the_range() -> None:
    rng = random.Random(1)
    policy = RetryPolicy(base_delay=8.0, max_delay=8.0, jitter=0.5, random=rng.random)
    delays = [policy.delay(1) for _ in range(2000)]
    assert min(delays) < 4.1 and max(delays) > 7.9  # both ends of [4, 8] reached
    assert statistics.mean(delays) == pytest.approx(6.0, abs=0.15)
    assert len({round(d, 3) for d in delays}) > 1000  # not a handful of values


def test_no_jitter_is_deterministic() -> None:
    policy = RetryPolicy(base_delay=2.0, jitter=0.0)
    assert {policy.delay(2) for _ in range(20)} == {4.0}


def test_transient_errors_retry_by_default_and_permanent_ones_do_not() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.retries(ErrorClass.TRANSIENT, 1)
    assert policy.retries(ErrorClass.TRANSIENT, 2)
    assert not policy.retries(ErrorClass.TRANSIENT, 3)  # attempts exhausted
    for permanent in (ErrorClass.CONFIGURATION, ErrorClass.DATA, ErrorClass.SYSTEM):
        assert not policy.retries(permanent, 1)


def test_retry_on_is_configurable_and_accepts_strings() -> None:
    policy = RetryPolicy(retry_on=frozenset({"transient", "system"}))  # type: ignore[arg-type]
    assert policy.retry_on == {ErrorClass.TRANSIENT, ErrorClass.SYSTEM}
    assert policy.retries(ErrorClass.SYSTEM, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base_delay": -1.0},
        {"base_delay": float("nan")},
        {"base_delay": 5.0, "max_delay": 1.0},
        {"multiplier": 0.5},
        {"jitter": 1.5},
        {"timeout": 0.0},
        {"attempt_timeout": -2.0},
        {"timeout": float("inf")},
    ],
)
def test_invalid_policies_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_ceiling_rejects_retry_zero() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().ceiling(0)
