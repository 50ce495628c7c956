"""Load protection: per-tenant rate limits and the concurrency cap."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.kit.load import ConcurrencyLimitMiddleware, api_rate_limiter


@pytest.fixture
def tight_limits(monkeypatch):
    from creditdesk.config import get_settings

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


def test_concurrency_cap_sheds_fast_with_503():
    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = ConcurrencyLimitMiddleware(slow_app, max_in_flight=2)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            admitted = [asyncio.create_task(c.get("/api/x")) for _ in range(2)]
            await asyncio.sleep(0.05)
            shed = await c.get("/api/x")
            health = asyncio.create_task(c.get("/healthz"))  # exempt: waits like the others
            release.set()
            done = await asyncio.gather(*admitted, health)
            return shed, done

    shed, done = asyncio.run(scenario())
    assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
    assert shed.json()["error"] == "ServiceUnavailable"
    assert [r.status_code for r in done] == [200, 200, 200]
