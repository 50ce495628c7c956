"""The periodic scheduler: however many processes tick at once, each (tenant, kind, period) is enqueued once;
periods are read on each tenant's clock; a suspended tenant is not fired; the worker runs the scheduled kinds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.factories import make_tenant

from creditdesk.db import get_database
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.worker.models import Job
from creditdesk.worker.scheduler import Schedule, ScheduleFiring, fire_due, period_key

SCHEDULES = (Schedule("ops.selftest", period="day"), Schedule("ops.selftest", period="hour"))
# 19:00 UTC on 31 March is 00:30 on 1 April in Kolkata
NOW = datetime(2026, 3, 31, 19, 0, tzinfo=UTC)


def _fire_at_once(processes: int, now: datetime) -> list[int]:
    barrier = threading.Barrier(processes)
    fired: list[int] = []

    def tick() -> None:
        barrier.wait()
        fired.append(fire_due(get_database(), SCHEDULES, now=now))

    threads = [threading.Thread(target=tick) for _ in range(processes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return fired


def test_four_processes_ticking_at_once_enqueue_each_tenants_period_once(session):
    kolkata = make_tenant(session)
    utc = make_tenant(session)
    utc.timezone = "UTC"
    make_tenant(session, status="suspended")
    session.commit()
    kolkata_id, utc_id = kolkata.id, utc.id
    assert sum(_fire_at_once(4, NOW)) == 4  # two tenants × (a daily and an hourly schedule), once each
    assert sum(_fire_at_once(4, NOW + timedelta(minutes=20))) == 0  # still the same day and hour
    session.expire_all()
    firings = {(f.tenant_id, f.period) for f in session.execute(select(ScheduleFiring)).scalars()}
    assert firings == {
        (kolkata_id, "2026-04-01"),
        (kolkata_id, "2026-04-01T00"),
        (utc_id, "2026-03-31"),
        (utc_id, "2026-03-31T19"),
    }
    jobs = list(session.execute(select(Job).where(Job.kind == "ops.selftest")).scalars())
    assert sorted((j.tenant_id, j.payload["period"]) for j in jobs) == sorted(firings)
    session.rollback()
    assert sum(_fire_at_once(2, NOW + timedelta(hours=1))) == 2  # the next hour: the hourly ones again
    assert sum(_fire_at_once(2, NOW + timedelta(days=1))) == 4


def test_period_keys_and_the_registered_schedules():
    local = datetime(2026, 4, 1, 0, 30)
    assert period_key("day", local) == "2026-04-01" and period_key("hour", local) == "2026-04-01T00"
    scheduled = {s.kind: s.period for s in TASK_REGISTRY.schedules}
    assert scheduled == {
        "payments.mandate.present_due": "hour",
        "portfolio.day_end": "day",
        "lending.saga.sweep_timeouts": "hour",
    }
    assert all(TASK_REGISTRY.handler_for(kind) is not None for kind in scheduled)
