"""Pulling bureaus during scoring: parallel, cached, rate-limited, circuit-broken, never raising."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from creditdesk.bureaus import pull as pull_module
from creditdesk.bureaus.merge import no_hit_block
from creditdesk.bureaus.pull import (
    PullResult,
    invalidate_reports,
    merged_bureau_block,
    pull_reports,
    report_cache_key,
)
from creditdesk.bureaus.simulators import SimulatorFaults, pan_for_persona
from creditdesk.kit.cache import MemoryCache, RedisCache
from creditdesk.kit.ratelimit import RateLimiter
from creditdesk.kit.resilience import BreakerRegistry

BUREAUS = ["cibil", "experian", "crif"]
PAN = pan_for_persona("prime")


@pytest.fixture
def pull(transport, configs, fast_retry):  # type: ignore[no-untyped-def]
    """Pull with the in-process simulators and fast retries; keyword overrides pass through."""

    def run(**overrides: Any) -> list[PullResult]:
        kwargs: dict[str, Any] = {
            "tenant_id": "tenant-a",
            "requested": BUREAUS,
            "pan": PAN,
            "applicant": {"name": "Asha Verma"},
            "configs": configs,
            "transport": transport,
            "retry": fast_retry,
        }
        kwargs.update(overrides)
        return pull_reports(**kwargs)

    return run


def calls(sims) -> list[int]:  # type: ignore[no-untyped-def]
    return [sims[b].request_count for b in BUREAUS]


def test_three_bureaus_give_three_normalised_reports(pull) -> None:  # type: ignore[no-untyped-def]
    results = pull()
    assert [r.bureau for r in results] == BUREAUS
    assert [r.status for r in results] == ["ok"] * 3
    assert all(300 <= r.report.score <= 900 for r in results)  # type: ignore[union-attr, operator]
    assert not any(r.cached for r in results)
    block = merged_bureau_block(results, "conservative")
    assert block is not None and block["score"] == min(r.report.score for r in results)  # type: ignore[union-attr]
    assert results[0].summary() == {
        "bureau": "cibil",
        "status": "ok",
        "score": results[0].report.score,  # type: ignore[union-attr]
        "latency_ms": results[0].latency_ms,
        "cached": False,
        "error": None,
    }


def test_bureaus_are_pulled_in_parallel(pull, sims) -> None:  # type: ignore[no-untyped-def]
    pull(requested=["experian"])  # steady state: Experian's OAuth token is already cached
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults(latency_ms=200))
    started = time.perf_counter()
    results = pull()
    elapsed = time.perf_counter() - started
    assert [r.status for r in results] == ["ok"] * 3
    assert all(r.latency_ms >= 200 for r in results)
    assert elapsed < 0.45, f"took {elapsed:.3f} s; a sequential pull would take 0.6 s or more"


def test_a_second_pull_within_the_ttl_is_served_from_the_cache(pull, sims) -> None:  # type: ignore[no-untyped-def]
    cache = MemoryCache()
    first = pull(cache=cache)
    before = calls(sims)
    second = pull(cache=cache)
    assert [r.cached for r in second] == [True] * 3
    assert calls(sims) == before  # no bureau was called
    assert [r.report for r in second] == [r.report for r in first]
    # Another tenant does not see the first tenant's reports.
    assert not any(r.cached for r in pull(cache=cache, tenant_id="tenant-b"))


def test_explicit_invalidation_forces_a_fresh_pull(pull, sims) -> None:  # type: ignore[no-untyped-def]
    cache = MemoryCache()
    pull(cache=cache)
    assert invalidate_reports(cache, tenant_id="tenant-a", bureau="experian") == 1
    assert [r.cached for r in pull(cache=cache)] == [True, False, True]
    assert invalidate_reports(cache, tenant_id="tenant-a", pan=PAN.lower()) == 3
    assert not any(r.cached for r in pull(cache=cache))
    assert invalidate_reports(cache, tenant_id="tenant-a") == 3
    assert cache.get(report_cache_key("tenant-a", "cibil", PAN)) is None


def test_cache_keys_keep_the_pan_out() -> None:
    key = report_cache_key("tenant-a", "crif", PAN)
    assert key.startswith("bureau-report:tenant-a:crif:") and PAN not in key


def test_a_cache_entry_expires(pull) -> None:  # type: ignore[no-untyped-def]
    cache = MemoryCache()
    pull(cache=cache, cache_ttl_s=0.05)
    time.sleep(0.06)
    assert not any(r.cached for r in pull(cache=cache))


@pytest.mark.redis
def test_the_cache_works_on_redis(pull, sims, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    cache = RedisCache(redis_url, namespace=f"creditdesk-test:{uuid.uuid4().hex}:")
    try:
        pull(cache=cache, requested=["cibil"])
        result = pull(cache=cache, requested=["cibil"])[0]
        assert result.cached and result.status == "ok"
        assert sims.cibil.request_count == 1
        assert invalidate_reports(cache, tenant_id="tenant-a") == 1
    finally:
        cache.delete_prefix("")


def test_a_broken_cache_degrades_to_no_cache(pull) -> None:  # type: ignore[no-untyped-def]
    class DownCache(MemoryCache):
        def get(self, key: str) -> Any:
            raise ConnectionError("redis down")

        def set(self, key: str, value: Any, ttl_s: float) -> None:
            raise ConnectionError("redis down")

    assert [r.status for r in pull(cache=DownCache())] == ["ok"] * 3


def test_no_hit_is_a_successful_pull_and_merges_to_the_new_to_credit_block(pull) -> None:  # type: ignore[no-untyped-def]
    results = pull(pan=pan_for_persona("no_hit"))
    assert [r.status for r in results] == ["no_hit"] * 3
    assert merged_bureau_block(results) == no_hit_block()


def test_missing_and_disabled_bureaus_are_reported_not_called(pull, sims, make_config) -> None:  # type: ignore[no-untyped-def]
    configs = {"cibil": make_config("cibil"), "experian": make_config("experian", enabled=False)}
    results = pull(configs=configs)
    assert [r.status for r in results] == ["ok", "disabled", "not_configured"]
    assert calls(sims)[1:] == [0, 0]


def test_the_rate_limit_per_tenant_and_bureau(pull, sims, make_config) -> None:  # type: ignore[no-untyped-def]
    limiter = RateLimiter(default_limit="1/minute")
    assert [r.status for r in pull(limiter=limiter)] == ["ok"] * 3
    before = calls(sims)
    second = pull(limiter=limiter)
    assert [r.status for r in second] == ["rate_limited"] * 3
    assert "rate limit" in second[0].error  # type: ignore[operator]
    assert calls(sims) == before
    assert [r.status for r in pull(limiter=limiter, tenant_id="tenant-b")] == ["ok"] * 3
    # A bureau's own limit (from its config) overrides the default.
    roomy = {b: make_config(b, rate_limit="10/minute") for b in BUREAUS}
    assert [r.status for r in pull(limiter=limiter, configs=roomy)] == ["ok"] * 3


def test_when_every_bureau_is_down_every_pull_errors_and_nothing_merges(pull, sims) -> None:  # type: ignore[no-untyped-def]
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults(outage=True))
    results = pull(cache=MemoryCache())
    assert [r.status for r in results] == ["error"] * 3
    assert all("HTTP 503" in r.error for r in results)  # type: ignore[operator]
    assert all(r.report is None for r in results)
    assert merged_bureau_block(results) is None
    assert calls(sims) == [3, 3, 3]  # each retried; Experian's token call never got through


def test_the_breaker_opens_fails_fast_and_recovers(pull, sims) -> None:  # type: ignore[no-untyped-def]
    breakers = BreakerRegistry(fail_max=2, reset_timeout_s=0.3)
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults(outage=True))
    for _ in range(2):
        assert [r.status for r in pull(breakers=breakers)] == ["error"] * 3
    states = {s["bureau"]: s for s in breakers.list_states()}
    assert {s["state"] for s in states.values()} == {"open"}
    assert states["cibil"]["tenant"] == "tenant-a" and states["cibil"]["fail_counter"] == 2

    before = calls(sims)
    started = time.perf_counter()
    fast = pull(breakers=breakers)
    assert time.perf_counter() - started < 0.05
    assert [r.status for r in fast] == ["circuit_open"] * 3
    assert calls(sims) == before  # no HTTP call was made
    assert merged_bureau_block(fast) is None

    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults())
    time.sleep(0.32)
    assert {s["state"] for s in breakers.list_states()} == {"half-open"}
    assert [r.status for r in pull(breakers=breakers)] == ["ok"] * 3
    assert {s["state"] for s in breakers.list_states()} == {"closed"}


def test_bad_credentials_fail_one_bureau_without_tripping_its_breaker(pull, configs, make_config) -> None:  # type: ignore[no-untyped-def]
    breakers = BreakerRegistry(fail_max=1, reset_timeout_s=60)
    configs = {**configs, "crif": make_config("crif", credentials={"user_id": "u", "password": "wrong"})}
    for _ in range(3):
        results = pull(configs=configs, breakers=breakers)
        assert [r.status for r in results] == ["ok", "ok", "error"]
        assert "CRIF High Mark rejected the credentials" in results[2].error  # type: ignore[operator]
    assert breakers.state_of("tenant-a", "crif")["state"] == "closed"
    assert merged_bureau_block(results, "primary")["score"] == results[0].report.score  # type: ignore[index, union-attr]


def test_an_invalid_pan_errors_every_bureau_without_calling(pull, sims) -> None:  # type: ignore[no-untyped-def]
    results = pull(pan="NOT-A-PAN")
    assert [r.status for r in results] == ["error"] * 3
    assert calls(sims) == [0, 0, 0]


def test_an_unknown_bureau_name_is_a_caller_error(pull) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="equifax"):
        pull(requested=["cibil", "equifax"])


def test_duplicates_and_order_are_respected(pull) -> None:  # type: ignore[no-untyped-def]
    assert [r.bureau for r in pull(requested=["crif", "cibil", "crif"])] == ["crif", "cibil"]
    assert pull(requested=[]) == []


def test_a_crashing_connector_is_an_error_not_an_exception(pull, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(pull_module, "make_connector", explode)
    results = pull()
    assert [r.status for r in results] == ["error"] * 3
    assert "unexpectedly (RuntimeError)" in results[0].error  # type: ignore[operator]
