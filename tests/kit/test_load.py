"""Load protection: per-tenant rate limits and admission (a cap, a bounded queue, fast 503 beyond it)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.config import get_settings
from creditdesk.kit.load import AdmissionMiddleware, api_rate_limiter


@pytest.fixture
def tight_limits(monkeypatch):
    monkeypatch.setenv("CREDITDESK_RATE_LIMIT_PER_TENANT", "5/minute")
    get_settings.cache_clear()
    api_rate_limiter.cache_clear()
    yield
    api_rate_limiter.cache_clear()


def test_tenant_over_its_limit_gets_429_others_unaffected(settings, tight_limits, client, session):
    noisy = make_tenant(session)
    quiet = make_tenant(session)
    noisy_user = make_user(session, noisy, "tenant_admin")
    quiet_user = make_user(session, quiet, "tenant_admin")
    session.commit()
    statuses = [client.get("/api/v1/auth/me", headers=bearer(noisy_user)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    r = client.get("/api/v1/auth/me", headers=bearer(noisy_user))
    assert r.status_code == 429 and r.json()["error"] == "RateLimited"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert client.get("/api/v1/auth/me", headers=bearer(quiet_user)).status_code == 200


def _gated_app(release: asyncio.Event):
    async def app(scope, receive, send):
        if scope["path"] != "/healthz":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    return app


def test_requests_beyond_the_cap_queue_and_are_all_answered_in_order():
    release = asyncio.Event()
    app = AdmissionMiddleware(_gated_app(release), max_in_flight=2, max_queue=10)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            tasks = [asyncio.create_task(c.get(f"/api/{i}")) for i in range(8)]
            await asyncio.sleep(0.05)
            queued, in_flight = len(app._waiters), app.in_flight
            health = await c.get("/healthz")  # never queued behind the others
            release.set()
            return queued, in_flight, health, await asyncio.gather(*tasks)

    queued, in_flight, health, done = asyncio.run(scenario())
    assert (in_flight, queued) == (2, 6)
    assert health.status_code == 200
    assert [r.status_code for r in done] == [200] * 8
    assert app.in_flight == 0 and not app._waiters


def test_a_full_queue_sheds_fast_with_503():
    release = asyncio.Event()
    app = AdmissionMiddleware(_gated_app(release), max_in_flight=2, max_queue=3)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            admitted = [asyncio.create_task(c.get("/api/x")) for _ in range(5)]
            await asyncio.sleep(0.05)
            shed = await c.get("/api/x")
            release.set()
            return shed, await asyncio.gather(*admitted)

    shed, done = asyncio.run(scenario())
    assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
    assert shed.json()["error"] == "ServiceUnavailable"
    assert [r.status_code for r in done] == [200] * 5
    assert app.in_flight == 0


def test_a_queued_request_gives_up_after_the_queue_timeout():
    release = asyncio.Event()
    app = AdmissionMiddleware(_gated_app(release), max_in_flight=1, max_queue=5, queue_timeout=0.05)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            first = asyncio.create_task(c.get("/api/a"))
            await asyncio.sleep(0.01)
            late = await c.get("/api/b")  # waits 50 ms in the queue, then 503
            release.set()
            return late, await first

    late, first = asyncio.run(scenario())
    assert late.status_code == 503 and first.status_code == 200
    assert app.in_flight == 0 and not app._waiters
