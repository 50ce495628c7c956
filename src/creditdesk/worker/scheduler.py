"""Periodic jobs: each registered kind fired once per tenant and period, however many processes tick.

Plumbing only: the composition root (:mod:`creditdesk.tasks`) lists the :class:`Schedule` entries
(job kind + period); this module knows no domain. Every worker process runs a :class:`SchedulerThread`
that calls :func:`fire_due` every ``tick`` seconds. A firing is claimed with an insert-or-nothing on
``schedule_firing`` (unique per tenant, kind and period) in the same transaction that enqueues its
job, so N processes ticking at once — or one ticking twice — enqueue the job once per period.

Periods are read on the tenant's clock (:mod:`creditdesk.tenancy.clock`): a daily schedule fires once
per *local* day, at the first tick after the tenant's midnight; its job gets ``{"period": "<local
date or hour>"}`` in its payload.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog
from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from creditdesk.db import (
    Base,
    CreatedMixin,
    Database,
    IdMixin,
    get_database,
    insert_into,
    new_id,
    set_tenant_scope,
    utcnow,
)
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.worker import service as jobs

log = structlog.get_logger("creditdesk.worker.scheduler")

Period = Literal["day", "hour"]
#: how often each process looks for periods that have not fired (a daily job fires within this of midnight)
TICK_SECONDS = 300.0


@dataclass(frozen=True)
class Schedule:
    """Fire job ``kind`` once per ``period`` (on each tenant's clock) for every active tenant."""

    kind: str
    period: Period = "day"
    max_attempts: int = 3


class ScheduleFiring(IdMixin, CreatedMixin, Base):
    """One firing of a schedule: the unique (tenant, kind, period) row is the claim."""

    __tablename__ = "schedule_firing"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "period"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(20))
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)


def period_key(period: Period, local: datetime) -> str:
    """The period a local instant falls in: ``2026-03-31`` for a day, ``2026-03-31T14`` for an hour."""
    return local.date().isoformat() if period == "day" else local.strftime("%Y-%m-%dT%H")


def _claim(session: Session, *, tenant_id: str, kind: str, period: str) -> str | None:
    """Insert the firing unless it exists; its id when this call inserted it."""
    stmt = (
        insert_into(session, ScheduleFiring)
        .values(id=new_id(), created_at=utcnow(), tenant_id=tenant_id, kind=kind, period=period)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "period"])
        .returning(ScheduleFiring.id)
    )
    inserted: str | None = session.execute(stmt).scalar_one_or_none()
    return inserted


def fire_due(db: Database, schedules: Sequence[Schedule], *, now: datetime | None = None) -> int:
    """Enqueue every schedule's job for each active tenant whose current period has not fired; return how many."""
    if not schedules:
        return 0
    instant = now or utcnow()
    with db.session(read_only=True) as session:
        tenants = list(session.execute(select(Tenant.id, Tenant.timezone).where(Tenant.status == "active")).all())
    fired = 0
    for tenant_id, timezone in tenants:
        local = clock.local(instant, timezone)
        with db.session() as session, session.begin():
            set_tenant_scope(session, tenant_id)  # the tenant's rows, in its region's database
            for schedule in schedules:
                period = period_key(schedule.period, local)
                firing_id = _claim(session, tenant_id=tenant_id, kind=schedule.kind, period=period)
                if firing_id is None:
                    continue
                job = jobs.enqueue(
                    session,
                    kind=schedule.kind,
                    tenant_id=tenant_id,
                    payload={"period": period},
                    max_attempts=schedule.max_attempts,
                )
                session.get_one(ScheduleFiring, firing_id).job_id = job.id
                fired += 1
    if fired:
        log.info("scheduled jobs enqueued", jobs=fired)
    return fired


class SchedulerThread(threading.Thread):
    """A daemon thread calling :func:`fire_due` every ``tick`` seconds (first tick one tick after start)."""

    def __init__(self, schedules: Sequence[Schedule], tick: float) -> None:
        super().__init__(name="job-scheduler", daemon=True)
        self.schedules = tuple(schedules)
        self.tick = tick
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.tick):
            try:
                fire_due(get_database(), self.schedules)
            except Exception as exc:  # noqa: BLE001 - e.g. the database is restarting: fire at the next tick
                log.warning("scheduler tick failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
