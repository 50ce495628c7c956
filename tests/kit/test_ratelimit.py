"""Rate limits per key, in memory or in Redis; a dead Redis falls back to in-process counting."""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from prometheus_client import REGISTRY
from tests.worker.faults import SilentServer, TcpProxy

from creditdesk.kit.ratelimit import RateLimiter

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _redis_url() -> str:
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    return url


def test_hits_are_allowed_up_to_the_limit_then_refused() -> None:
    limiter = RateLimiter(default_limit="3/minute")
    assert [limiter.hit("bureau:t1:cibil") for _ in range(4)] == [True, True, True, False]
    assert limiter.remaining("bureau:t1:cibil") == 0
    assert 0 < limiter.retry_after("bureau:t1:cibil") <= 60


def test_keys_are_limited_independently() -> None:
    limiter = RateLimiter(default_limit="1/minute")
    assert limiter.hit("bureau:t1:cibil")
    assert not limiter.hit("bureau:t1:cibil")
    assert limiter.hit("bureau:t2:cibil")
    assert limiter.hit("bureau:t1:crif")
    assert limiter.retry_after("bureau:t2:experian") == 0


def test_a_call_may_override_the_default_limit() -> None:
    limiter = RateLimiter(default_limit="100/minute")
    assert limiter.hit("k", limit="1/hour")
    assert not limiter.hit("k", limit="1/hour")
    assert limiter.test("k")  # the default (100/minute) window is separate


def test_the_window_moves_on() -> None:
    limiter = RateLimiter(default_limit="2/second")
    assert limiter.hit("k") and limiter.hit("k")
    assert not limiter.hit("k")
    time.sleep(limiter.retry_after("k") + 0.05)
    assert limiter.hit("k")


def test_clear_forgets_the_hits() -> None:
    limiter = RateLimiter(default_limit="1/minute")
    limiter.hit("k")
    limiter.clear("k")
    assert limiter.hit("k")


def test_a_malformed_limit_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        RateLimiter(default_limit="lots")
    with pytest.raises(ValueError):
        RateLimiter(strategy="leaky-bucket")


@pytest.mark.redis
def test_redis_storage_shares_counts_between_limiters() -> None:
    url = _redis_url()
    key = f"test:{uuid.uuid4().hex}"
    one = RateLimiter(default_limit="2/minute", storage_url=url)
    other = RateLimiter(default_limit="2/minute", storage_url=url)
    assert one.hit(key)
    assert other.hit(key)
    assert not one.hit(key)
    assert other.retry_after(key) > 0
    one.clear(key)


@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window"])
def test_a_dead_redis_falls_back_to_in_process_limits_and_is_not_tried_per_hit(strategy: str) -> None:
    clock = FakeClock()
    namespace = f"test-dead-{strategy}"
    limiter = RateLimiter(
        default_limit="5/minute", storage_url=DEAD_REDIS, strategy=strategy, namespace=namespace, clock=clock
    )
    started = time.perf_counter()
    results = [limiter.hit("tenant:t1") for _ in range(8)]
    assert results == [True] * 5 + [False] * 3  # the limit still holds, counted in this process
    assert limiter.remaining("tenant:t1") == 0 and 0 < limiter.retry_after("tenant:t1") <= 60
    for _ in range(500):
        limiter.hit("tenant:t2")
    assert time.perf_counter() - started < 2.0  # generous; what matters is the attempt count
    assert limiter.degraded and limiter.guard is not None and limiter.guard.redis_attempts == 1
    assert REGISTRY.get_sample_value("creditdesk_redis_fallback", {"component": f"rate_limit:{namespace}"}) == 1.0
    clock.now += 5.1
    assert not limiter.hit("tenant:t1")  # one probe, refused again, and the in-process count still holds
    assert limiter.guard.redis_attempts == 2


def test_a_hung_redis_costs_one_short_timeout_then_nothing() -> None:
    with SilentServer() as hung:
        limiter = RateLimiter(default_limit="3/minute", storage_url=f"redis://127.0.0.1:{hung.port}/0")
        started = time.perf_counter()
        assert limiter.hit("k")
        first = time.perf_counter() - started
        assert [limiter.hit("k") for _ in range(3)] == [True, True, False]
        total = time.perf_counter() - started
    assert 0.2 <= first < 2.0  # the 0.25 s socket timeout, no client-side retries
    assert total - first < 0.5
    assert limiter.guard is not None and limiter.guard.redis_attempts == 1


@pytest.mark.redis
def test_the_limiter_returns_to_redis_when_it_answers_again() -> None:
    target = urlsplit(_redis_url())
    key = f"test:{uuid.uuid4().hex}"
    clock = FakeClock()
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}"
        limiter = RateLimiter(default_limit="4/minute", storage_url=url, namespace="test-return", clock=clock)
        other = RateLimiter(default_limit="4/minute", storage_url=_redis_url(), namespace="test-return")
        try:
            assert limiter.hit(key) and limiter.hit(key)
            assert other.remaining(key) == 2  # counted in Redis, shared

            proxy.down()
            assert limiter.hit(key)  # counted in this process while Redis is away
            assert limiter.degraded and other.remaining(key) == 2

            proxy.up()
            clock.now += 5.1
            assert limiter.hit(key)  # the probe reaches Redis: back on the shared count (3 of 4)
            assert not limiter.degraded and other.remaining(key) == 1
            assert REGISTRY.get_sample_value("creditdesk_redis_fallback", {"component": "rate_limit:test-return"}) == 0
        finally:
            other.clear(key)
