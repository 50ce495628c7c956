"""Pulls for scoring with stored configs over real sockets; breakers open, fail fast, half-open and recover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.bureaus.helpers import FAST_BUREAU_SETTINGS, clear_faults, put_body
from tests.factories import bearer, make_tenant, make_user

from creditdesk.bureaus.application_pulls import pull_for_application
from creditdesk.bureaus.runtime import get_runtime
from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.bureaus.simulators import SimulatorFaults, pan_for_persona
from creditdesk.kit.resilience import RetryPolicy
from creditdesk.tenancy.models import Tenant

APPLICANT = {"name": "Asha Verma", "date_of_birth": "1998-04-12"}


@pytest.fixture(autouse=True)
def _fast(settings, live_simulators) -> Iterator[None]:
    for name, value in FAST_BUREAU_SETTINGS.items():
        setattr(settings, name, value)
    yield
    clear_faults(live_simulators[1])


@pytest.fixture
def lender(client, session, live_simulators):
    """A tenant with all three bureaus configured over the API against the live simulators."""
    tenant = make_tenant(session, "kaveri-credit")
    analyst = make_user(session, None, "risk_analyst")
    session.commit()
    for bureau in BUREAUS:
        r = client.put(
            f"/api/v1/tenants/{tenant.slug}/bureaus/{bureau}",
            json=put_body(bureau, live_simulators[0]),
            headers=bearer(analyst),
        )
        assert r.status_code == 200, r.text
    return tenant.id, tenant.slug, bearer(analyst)


def pull(session, tenant_id: str, pan: str | None, requested=BUREAUS):  # type: ignore[no-untyped-def]
    try:
        return pull_for_application(
            session, tenant_id=tenant_id, requested=list(requested), pan=pan, applicant=APPLICANT
        )
    finally:
        session.rollback()  # a request would commit; here, release SQLite's write lock for the API calls


def breakers(client, headers) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/ops/breakers", headers=headers)
    assert r.status_code == 200, r.text
    return {item["bureau"]: item for item in r.json()["items"]}


def test_three_normalised_reports_then_served_from_the_cache(session, lender, live_simulators):
    tenant_id, _, _ = lender
    sims = live_simulators[1]
    pan = pan_for_persona("near_prime", 3)
    first = pull(session, tenant_id, pan)
    assert [r["bureau"] for r in first.results] == list(BUREAUS)
    assert [r["status"] for r in first.results] == ["ok"] * 3
    assert all(300 <= r["score"] <= 900 and r["cached"] is False for r in first.results)
    assert not first.all_failed and len(first.reports) == 3
    assert first.merge_rule["strategy"] == "conservative"
    assert first.merged["score"] == min(r["score"] for r in first.results)  # type: ignore[index]
    calls = [sims[b].request_count for b in BUREAUS]
    second = pull(session, tenant_id, pan)
    assert [r["cached"] for r in second.results] == [True] * 3
    assert [r["score"] for r in second.results] == [r["score"] for r in first.results]
    assert [sims[b].request_count for b in BUREAUS] == calls  # no bureau was called again


def test_no_pan_or_nothing_configured_means_bureau_data_unavailable(session, client, live_simulators):
    tenant_id = make_tenant(session, "bare-lender").id
    session.commit()
    outcome = pull(session, tenant_id, pan_for_persona("prime"), ["cibil", "crif"])
    assert outcome.all_failed and outcome.merged is None
    assert [r["status"] for r in outcome.results] == ["not_configured", "not_configured"]
    outcome = pull(session, tenant_id, None)  # type: ignore[arg-type]
    assert outcome.all_failed and "no PAN given" in outcome.results[0]["error"]
    assert pull(session, tenant_id, "ABCPV1234K", []).all_failed is False  # nothing asked, nothing failed
    with pytest.raises(ValueError, match="equifax"):
        pull_for_application(session, tenant_id=tenant_id, requested=["equifax"], pan="ABCPV1234K")


def test_a_merge_rule_change_applies_to_the_next_pull(client, session, lender):
    tenant_id, slug, analyst = lender
    r = client.put(
        f"/api/v1/tenants/{slug}/bureau-merge-rule", json={"strategy": "primary", "priority": ["crif"]}, headers=analyst
    )
    assert r.status_code == 200
    outcome = pull(session, tenant_id, pan_for_persona("prime", 5))
    crif = next(r for r in outcome.results if r["bureau"] == "crif")
    assert outcome.merged["score"] == crif["score"]  # type: ignore[index]


def test_outage_opens_breakers_calls_fail_fast_then_half_open_and_recover(client, session, lender, live_simulators):
    tenant_id, slug, analyst = lender
    sims = live_simulators[1]
    admin = make_user(session, None, "platform_admin")
    tenant = session.get(Tenant, tenant_id)
    officer = make_user(session, tenant, "field_officer")
    tenant_admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    admin, officer, tenant_admin = bearer(admin), bearer(officer), bearer(tenant_admin)
    for bureau in BUREAUS:
        sims[bureau].set_faults(SimulatorFaults(outage=True))

    # every requested bureau fails: the outcome says so (scoring decides Review), never raises
    for n in range(FAST_BUREAU_SETTINGS["bureau_breaker_fail_max"]):
        outcome = pull(session, tenant_id, pan_for_persona("prime", 10 + n))
        assert outcome.all_failed and outcome.merged is None
        assert [r["status"] for r in outcome.results] == ["error"] * 3
        assert "HTTP 503" in outcome.results[0]["error"]
    states = breakers(client, analyst)
    assert {b: states[b]["state"] for b in BUREAUS} == dict.fromkeys(BUREAUS, "open")
    assert states["cibil"]["tenant"] == slug and states["cibil"]["retry_in_s"] > 0
    assert breakers(client, admin)["crif"]["state"] == "open"
    assert client.get("/api/v1/ops/breakers", headers=officer).status_code == 403
    assert client.get("/api/v1/ops/breakers", headers=tenant_admin).status_code == 403

    # open: no call is made at all, the answer is immediate
    calls = [sims[b].request_count for b in BUREAUS]
    started = time.perf_counter()
    outcome = pull(session, tenant_id, pan_for_persona("prime", 20))
    assert time.perf_counter() - started < 0.2
    assert outcome.all_failed and [r["status"] for r in outcome.results] == ["circuit_open"] * 3
    assert "suspended after repeated failures" in outcome.results[0]["error"]
    assert [sims[b].request_count for b in BUREAUS] == calls

    # the outage ends; after the reset timeout one trial call goes through and closes the breaker
    clear_faults(sims)
    time.sleep(FAST_BUREAU_SETTINGS["bureau_breaker_reset_seconds"] + 0.05)
    assert {b["state"] for b in breakers(client, analyst).values()} == {"half-open"}
    outcome = pull(session, tenant_id, pan_for_persona("prime", 21))
    assert [r["status"] for r in outcome.results] == ["ok"] * 3 and not outcome.all_failed
    assert {b["state"] for b in breakers(client, analyst).values()} == {"closed"}


def test_a_slow_bureau_times_out_without_holding_up_the_others(client, session, lender, live_simulators):
    tenant_id, slug, analyst = lender
    sims = live_simulators[1]
    r = client.put(f"/api/v1/tenants/{slug}/bureaus/experian", json={"timeout_ms": 300}, headers=analyst)
    assert r.status_code == 200
    sims["experian"].set_faults(SimulatorFaults(latency_ms=700))
    get_runtime().retry = RetryPolicy(attempts=1)
    started = time.perf_counter()
    outcome = pull(session, tenant_id, pan_for_persona("thin_file", 2))
    elapsed = time.perf_counter() - started
    statuses = {r["bureau"]: r["status"] for r in outcome.results}
    assert statuses == {"cibil": "ok", "experian": "error", "crif": "ok"}
    assert "did not answer within 300 ms" in outcome.results[1]["error"]
    assert not outcome.all_failed and outcome.merged is not None
    assert elapsed < 0.65  # about the slowest bureau (cut at its timeout), not the sum


@pytest.fixture
def redis_backed(settings, redis_url):  # type: ignore[no-untyped-def]
    """Point the bureau runtime at Redis (as CREDITDESK_REDIS_URL would) before anything builds it."""
    settings.redis_url = redis_url
    settings.bureau_breaker_reset_seconds = 5  # pybreaker keeps opened_at in Redis to the whole second
    return redis_url


def test_with_redis_the_cache_and_breakers_are_shared(redis_backed, session, lender, live_simulators):
    import redis

    from creditdesk.kit.cache import FallbackCache, RedisCache
    from creditdesk.kit.resilience import BreakerRegistry

    tenant_id, _, _ = lender
    runtime = get_runtime()
    assert isinstance(runtime.cache, FallbackCache) and isinstance(runtime.cache.primary, RedisCache)
    pan = pan_for_persona("subprime", 4)
    assert [r["cached"] for r in pull(session, tenant_id, pan).results] == [False] * 3
    assert [r["cached"] for r in pull(session, tenant_id, pan).results] == [True] * 3
    # another process (a fresh registry on the same Redis) sees an open breaker this one opened
    for bureau in BUREAUS:
        live_simulators[1][bureau].set_faults(SimulatorFaults(outage=True))
    for n in range(FAST_BUREAU_SETTINGS["bureau_breaker_fail_max"]):
        pull(session, tenant_id, pan_for_persona("subprime", 30 + n))
    other_process = BreakerRegistry(fail_max=2, reset_timeout_s=5, redis_url=redis_backed)
    assert other_process.state_of(tenant_id, "cibil")["state"] == "open"
    client = redis.Redis.from_url(redis_backed)
    client.delete(*client.scan_iter(match=f"creditdesk:breaker:{tenant_id}:*"))
    runtime.cache.delete_prefix(f"bureau-report:{tenant_id}:")
