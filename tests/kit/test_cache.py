"""TTL cache: the in-process and Redis backends keep the same contract; a dead Redis falls back to memory."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import redis
from prometheus_client import REGISTRY
from tests.worker.faults import SilentServer, TcpProxy

from creditdesk.kit import cache as cache_module
from creditdesk.kit.cache import Cache, FallbackCache, MemoryCache, RedisCache, make_cache

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _redis_url() -> str:
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable at {url}: {exc} (CREDITDESK_REQUIRE_SERVICES=1)")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("fallback", marks=pytest.mark.redis),
        "fallback-dead",
    ]
)
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    if request.param == "fallback-dead":  # Redis configured but down: the in-process fallback serves
        yield FallbackCache(RedisCache(DEAD_REDIS), component=f"test-{uuid.uuid4().hex[:8]}")
        return
    namespace = f"creditdesk-test:{uuid.uuid4().hex}:"
    backend = RedisCache(_redis_url(), namespace=namespace)
    yield backend if request.param == "redis" else FallbackCache(backend, component="test-cache")
    backend.delete_prefix("")


def test_a_value_round_trips_as_json_and_is_a_fresh_copy(cache: Cache) -> None:
    value = {"score": 742, "utilization": 0.42, "accounts": [{"balance": "120000.50"}], "hit": True}
    cache.set("report:1", value, ttl_s=60)
    got = cache.get("report:1")
    assert got == value
    got["score"] = 1  # type: ignore[index]
    assert cache.get("report:1")["score"] == 742  # type: ignore[index]


def test_missing_keys_read_as_none(cache: Cache) -> None:
    assert cache.get("nothing-here") is None
    assert cache.delete("nothing-here") is False


def test_delete_removes_one_key(cache: Cache) -> None:
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    assert cache.delete("a") is True
    assert cache.get("a") is None
    assert cache.get("b") == 2


def test_delete_prefix_removes_only_matching_keys(cache: Cache) -> None:
    cache.set("bureau-report:t1:cibil:x", 1, 60)
    cache.set("bureau-report:t1:crif:y", 2, 60)
    cache.set("bureau-report:t10:cibil:x", 3, 60)
    cache.set("other", 4, 60)
    assert cache.delete_prefix("bureau-report:t1:") == 2
    assert cache.get("bureau-report:t1:cibil:x") is None
    assert cache.get("bureau-report:t10:cibil:x") == 3
    assert cache.get("other") == 4


def test_glob_characters_in_a_prefix_are_literal(cache: Cache) -> None:
    cache.set("t[1]*:a", 1, 60)
    cache.set("t1x:a", 2, 60)
    assert cache.delete_prefix("t[1]*:") == 1
    assert cache.get("t1x:a") == 2


def test_values_must_be_json(cache: Cache) -> None:
    with pytest.raises(TypeError):
        cache.set("k", {"amount": Decimal("1.5")}, 60)
    with pytest.raises(ValueError):
        cache.set("k", float("nan"), 60)


@pytest.mark.redis
def test_redis_entries_expire() -> None:
    backend = RedisCache(_redis_url(), namespace=f"creditdesk-test:{uuid.uuid4().hex}:")
    backend.set("short", "v", ttl_s=0.05)
    assert backend.get("short") == "v"
    time.sleep(0.12)
    assert backend.get("short") is None


def test_memory_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.set("k", "v", ttl_s=10)
    clock.now += 9.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert len(cache) == 0


def test_memory_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=3)
    for key in ("a", "b", "c"):
        cache.set(key, key, 60)
    assert cache.get("a") == "a"  # a is now the most recently used
    cache.set("d", "d", 60)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == ["a", "c", "d"]


def test_memory_cache_evicts_expired_entries_before_live_ones() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.set("old", 1, ttl_s=1)
    cache.set("live", 2, ttl_s=100)
    clock.now += 5
    cache.set("new", 3, ttl_s=100)
    assert cache.get("live") == 2
    assert cache.get("new") == 3


def test_memory_cache_survives_concurrent_use() -> None:
    cache = MemoryCache(max_entries=50)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(300):
                cache.set(f"{worker}:{i}", i, 60)
                cache.get(f"{worker}:{i - 1}")
                if i % 50 == 0:
                    cache.delete_prefix(f"{worker}:")
        except BaseException as exc:  # pragma: no cover - the assertion reports it
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 50


def test_make_cache_picks_the_backend() -> None:
    assert isinstance(make_cache(None), MemoryCache)
    cache = make_cache("redis://127.0.0.1:6379/0")
    assert isinstance(cache, FallbackCache) and isinstance(cache.primary, RedisCache)


class FakeLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def warning(self, event: str, **_: object) -> None:
        self.events.append(("warning", event))

    def info(self, event: str, **_: object) -> None:
        self.events.append(("info", event))


def _fallback_gauge(component: str) -> float | None:
    return REGISTRY.get_sample_value("creditdesk_redis_fallback", {"component": component})


def test_a_dead_redis_is_tried_once_per_back_off_period(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_log = FakeLog()
    monkeypatch.setattr(cache_module, "log", fake_log)
    clock = FakeClock()
    cache = FallbackCache(RedisCache(DEAD_REDIS), component="test-dead", retry_after_s=5, clock=clock)
    started = time.perf_counter()
    for i in range(200):
        cache.set(f"k{i}", i, 60)
        assert cache.get(f"k{i}") == i  # served by the in-process fallback
    assert time.perf_counter() - started < 2.0  # generous: 400 calls against a refused port
    assert cache.guard.redis_attempts == 1 and cache.degraded
    assert _fallback_gauge("test-dead") == 1.0
    assert fake_log.events == [("warning", "redis unavailable; using the in-process fallback")]  # once

    clock.now += 4.9
    cache.get("k1")
    assert cache.guard.redis_attempts == 1  # still backing off
    clock.now += 0.2
    assert cache.get("k1") == 1  # one probe (fails again), then the fallback answers
    assert cache.guard.redis_attempts == 2
    for _ in range(50):
        cache.get("k1")
    assert cache.guard.redis_attempts == 2
    assert len(fake_log.events) == 1


def test_a_hung_redis_costs_one_short_timeout_per_period() -> None:
    with SilentServer() as hung:
        cache = FallbackCache(RedisCache(f"redis://127.0.0.1:{hung.port}/0"), component="test-hung")
        started = time.perf_counter()
        cache.set("k", "v", 60)
        first = time.perf_counter() - started
        for _ in range(100):
            assert cache.get("k") == "v"
        total = time.perf_counter() - started
    assert cache.degraded and cache.guard.redis_attempts == 1
    assert 0.2 <= first < 2.0  # the 0.25 s socket timeout, no client-side retries
    assert total - first < 1.0


@pytest.mark.redis
def test_the_cache_returns_to_redis_and_replays_deletes_made_while_it_was_away(monkeypatch) -> None:
    fake_log = FakeLog()
    monkeypatch.setattr(cache_module, "log", fake_log)
    target = urlsplit(_redis_url())
    namespace = f"creditdesk-test:{uuid.uuid4().hex}:"
    direct = RedisCache(_redis_url(), namespace=namespace)
    clock = FakeClock()
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        cache = FallbackCache(
            RedisCache(f"redis://127.0.0.1:{proxy.port}{target.path or '/0'}", namespace=namespace),
            component="test-return",
            retry_after_s=5,
            clock=clock,
        )
        try:
            cache.set("report:a", "A", 60)
            cache.set("report:b", "B", 60)
            cache.set("other", "O", 60)
            assert direct.get("report:a") == "A" and not cache.degraded  # really in Redis

            proxy.down()
            assert cache.get("report:a") is None  # Redis is away: a miss from the empty fallback
            assert cache.degraded and _fallback_gauge("test-return") == 1.0
            cache.set("during", "D", 60)
            assert cache.get("during") == "D"
            cache.delete("other")
            cache.delete_prefix("report:")  # invalidations while Redis is away …
            assert direct.get("report:a") == "A"  # … cannot reach it yet

            proxy.up()
            assert cache.get("during") == "D"  # still backing off: the fallback answers
            clock.now += 5.1
            assert cache.get("report:a") is None  # the probe replays the deletes first
            assert not cache.degraded and _fallback_gauge("test-return") == 0.0
            assert direct.get("report:b") is None and direct.get("other") is None
            assert cache.get("during") is None  # values written during the outage are dropped
            assert len(cache.fallback) == 0
            cache.set("after", "X", 60)
            assert direct.get("after") == "X"
            assert fake_log.events == [
                ("warning", "redis unavailable; using the in-process fallback"),
                ("info", "redis is back; leaving the in-process fallback"),
            ]
        finally:
            direct.delete_prefix("")


def test_too_many_deletes_during_an_outage_drop_the_whole_namespace_on_return() -> None:
    class Recorder(RedisCache):
        def __init__(self) -> None:
            self.calls: list[tuple[str, str]] = []
            self.up = False

        def get(self, key: str):  # type: ignore[no-untyped-def]
            self.ping()
            return None

        def ping(self) -> bool:
            if not self.up:
                raise redis.ConnectionError("down")
            return True

        def delete(self, key: str) -> bool:
            self.calls.append(("key", key))
            return True

        def delete_prefix(self, prefix: str) -> int:
            self.calls.append(("prefix", prefix))
            return 0

    primary = Recorder()
    clock = FakeClock()
    cache = FallbackCache(primary, component="test-overflow", max_pending_deletes=3, clock=clock)
    cache.get("x")
    for i in range(5):
        cache.delete(f"k{i}")
    primary.calls.clear()
    primary.up = True
    clock.now += 10
    cache.get("x")
    assert primary.calls[0] == ("prefix", "") and not cache.degraded
