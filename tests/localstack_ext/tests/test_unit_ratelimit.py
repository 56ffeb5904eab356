"""psh_localstack.ratelimit without LocalStack: token buckets per account, Region and operation."""

from __future__ import annotations

import pytest
from psh_localstack.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(10.0, 30, ["Import"], clock=clock)


def takes(limiter: RateLimiter, count: int, operation: str = "Import", account: str = "111") -> list[bool]:
    return [limiter.take(operation, account, "us-east-1") for _ in range(count)]


def test_off_by_default(limiter: RateLimiter) -> None:
    assert all(takes(limiter, 100))
    assert limiter.snapshot() == {
        "enabled": False,
        "rate": 10.0,
        "burst": 30,
        "operations": ["Import"],
        "limits": {},
    }


def test_a_burst_then_the_sustained_rate(limiter: RateLimiter, clock: FakeClock) -> None:
    limiter.configure(True, rate=2, burst=3)
    assert takes(limiter, 4) == [True, True, True, False]
    clock.now += 0.5  # one token at 2 per second
    assert takes(limiter, 2) == [True, False]
    assert limiter.rejected() == {"Import": 2}


def test_buckets_are_per_account_and_other_operations_are_free(limiter: RateLimiter) -> None:
    limiter.configure(True, rate=1, burst=1)
    assert takes(limiter, 2, account="111") == [True, False]
    assert takes(limiter, 1, account="222") == [True]
    assert all(takes(limiter, 5, operation="Describe"))


def test_operations_can_have_their_own_rate_and_burst(limiter: RateLimiter) -> None:
    limiter.configure(True, limits={"Get": (3, 2), "Import": (10, 4)})
    assert takes(limiter, 3, operation="Get") == [True, True, False]
    assert takes(limiter, 5, operation="Import") == [True] * 4 + [False]
    assert limiter.snapshot()["limits"] == {"Get": [3.0, 2], "Import": [10.0, 4]}
    assert limiter.snapshot()["operations"] == ["Get", "Import"]


def test_invalid_settings_are_refused(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError, match="rate must be positive and burst at least 1"):
        limiter.configure(True, rate=0, burst=1)
    with pytest.raises(ValueError, match="rate must be positive and burst at least 1"):
        limiter.configure(True, limits={"Get": (3, 0)})


def test_reset_switches_it_off(limiter: RateLimiter) -> None:
    limiter.configure(True, rate=1, burst=1)
    takes(limiter, 2)
    limiter.reset()
    assert limiter.snapshot()["enabled"] is False
    assert limiter.rejected() == {}
