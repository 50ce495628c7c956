"""The decision routes under load, against a real server process over real HTTP.

No speed thresholds: these tests fail on a deadlock, a 500, a lost or duplicated row, or a broken
audit chain — not on a slow or busy machine. The /healthz probe only catches a *stalled* event loop
(:data:`STALL_S`: far above any latency a loaded 2-core runner shows, far below a deadlock's).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import make_tenant, make_user
from tests.scoring.test_applications import NO_PULL
from tests.servers import serve

from creditdesk.auth.principal import Identity
from creditdesk.auth.schemas import ApiKeyCreate
from creditdesk.auth.service import create_api_key
from creditdesk.scoring.models import Application
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import permissions_for

#: a /healthz answer slower than this means the event loop was blocked (latency is for benchmarks/)
STALL_S = 5.0


@pytest.fixture
def live_server(db_url, db, session, champion, tmp_path: Path):
    """``creditdesk serve`` (one process) on this test's database, with a tenant and an API key."""
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    actor = Identity(
        "user",
        admin.id,
        admin.email,
        admin.name,
        admin.role,
        tenant.id,
        tenant.slug,
        permissions_for("tenant_admin", platform_scoped=False),
    )
    key = create_api_key(session, tenant=tenant, data=ApiKeyCreate(name="load", role="field_officer"), actor=actor)
    session.commit()
    with serve(database_url=db_url, tmp_path=tmp_path) as base:
        yield base, tenant.slug, {"X-API-Key": key.key}


async def _load(base: str, requests: list[tuple[str, dict, dict]], connections: int, seconds: float) -> Counter:
    """``connections`` clients cycle through ``requests`` for ``seconds``; statuses by (route, status)."""
    statuses: Counter[tuple[str, int]] = Counter()
    # connections idle longer than the server's keep-alive (5 s) are not reused
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds

        async def worker(n: int) -> None:
            while time.monotonic() < stop:
                path, body, headers = requests[n % len(requests)]
                n += 1
                r = await client.post(path, json=body, headers=headers)
                statuses[(path.rsplit("/", 1)[-1], r.status_code)] += 1

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return statuses


def _load_in_child(base: str, requests: list, connections: int, seconds: float) -> Counter:
    return asyncio.run(_load(base, requests, connections, seconds))


def _hammer(base: str, requests: list[tuple[str, dict, dict]], *, connections: int, seconds: float):
    """Load from a child process (so the client's own CPU does not distort the probe); /healthz probed here."""
    health: list[float] = []
    ctx = multiprocessing.get_context("spawn")
    probe = httpx.Client(base_url=base, timeout=2 * STALL_S)
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool, probe:
        future = pool.submit(_load_in_child, base, requests, connections, seconds)
        while not future.done():
            t = time.perf_counter()
            assert probe.get("/healthz").status_code == 200
            health.append(time.perf_counter() - t)
            time.sleep(0.2)
        return future.result(), health


def _count_applications(db, tenant_slug: str) -> int:
    with db.session() as s:
        tenant_id = s.execute(select(Tenant.id).where(Tenant.slug == tenant_slug)).scalar_one()
        return s.execute(select(func.count()).where(Application.tenant_id == tenant_id)).scalar_one()


def test_concurrent_stateless_scores_do_not_deadlock(live_server):
    """The deadlock reproduction: 60 concurrent ``/score`` calls on one process (it used to stall at 45)."""
    base, slug, key = live_server
    statuses, health = _hammer(base, [(f"/api/v1/tenants/{slug}/score", NO_PULL, key)], connections=60, seconds=4)
    assert set(statuses) == {("score", 200)}, statuses
    assert statuses[("score", 200)] >= 60  # every client got answers: nothing stalled
    assert health and max(health) < STALL_S


def test_300_connections_on_both_decision_routes(live_server, db):
    """300 clients for ten seconds on ``/applications`` and ``/score``: no 5xx, no lost or doubled row."""
    base, slug, key = live_server
    apply_url, score_url = f"/api/v1/tenants/{slug}/applications", f"/api/v1/tenants/{slug}/score"
    requests = [(apply_url, NO_PULL, key), (score_url, NO_PULL, key)]
    statuses, health = _hammer(base, requests, connections=300, seconds=10)
    assert {s for _, s in statuses} <= {200, 201}, statuses
    assert statuses[("applications", 201)] >= 150 and statuses[("score", 200)] >= 150
    assert health and max(health) < STALL_S, f"/healthz stalled for {max(health):.2f} s"
    assert _count_applications(db, slug) == statuses[("applications", 201)]  # every answer stored, once
    with httpx.Client(base_url=base, headers=key, timeout=30) as client:
        assert (
            client.get(f"/api/v1/tenants/{slug}/applications?limit=1").json()["total"]
            == statuses[("applications", 201)]
        )


def test_one_idempotency_key_under_concurrency_stores_one_decision(live_server, db):
    base, slug, key = live_server
    url = f"/api/v1/tenants/{slug}/applications"

    async def race():
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            headers = {**key, "Idempotency-Key": "LOS-RACE-1"}
            return await asyncio.gather(*(client.post(url, json=NO_PULL, headers=headers) for _ in range(50)))

    answers = asyncio.run(race())
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["application_id"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 49
    assert _count_applications(db, slug) == 1
