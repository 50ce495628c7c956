"""Rate limits per key, in memory or in Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis

from creditdesk.kit.ratelimit import RateLimiter


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
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    key = f"test:{uuid.uuid4().hex}"
    one = RateLimiter(default_limit="2/minute", storage_url=url)
    other = RateLimiter(default_limit="2/minute", storage_url=url)
    assert one.hit(key)
    assert other.hit(key)
    assert not one.hit(key)
    assert other.retry_after(key) > 0
    one.clear(key)
