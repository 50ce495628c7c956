"""The monitoring scheduler: every interval, queue an alert evaluation for each active tenant.

Safe to run in every process (each API process and each ``creditdesk worker``): a tenant's tick is
claimed with one conditional UPDATE of its ``monitoring_settings.last_evaluated_at``, so however many
schedulers run, each tenant is evaluated once per interval. The first tick comes one interval after
start-up, never at start-up (a restart loop does not flood the queue).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog
from sqlalchemy import or_, select, update

from creditdesk.db import Database, get_database, utcnow
from creditdesk.monitoring.models import MonitoringSettings
from creditdesk.monitoring.service import ensure_settings
from creditdesk.tenancy.models import Tenant
from creditdesk.worker import service as jobs

log = structlog.get_logger("creditdesk.monitoring")
DEFAULT_INTERVAL_SECONDS = 3600.0


def schedule_due(db: Database, *, interval_seconds: float) -> int:
    """Queue an evaluation for every active tenant not evaluated within the interval; return how many."""
    cutoff = utcnow() - timedelta(seconds=interval_seconds)
    queued = 0
    with db.session() as session:
        tenant_ids = list(session.execute(select(Tenant.id).where(Tenant.status == "active")).scalars())
    for tenant_id in tenant_ids:
        with db.session() as session, session.begin():
            row = ensure_settings(session, tenant_id=tenant_id)
            claimed = session.execute(
                update(MonitoringSettings)
                .where(
                    MonitoringSettings.id == row.id,
                    or_(MonitoringSettings.last_evaluated_at.is_(None), MonitoringSettings.last_evaluated_at < cutoff),
                )
                .values(last_evaluated_at=utcnow())
                .returning(MonitoringSettings.id)
            ).first()
            if claimed is not None:
                jobs.enqueue(session, kind="monitoring.evaluate_alerts", tenant_id=tenant_id, max_attempts=3)
                queued += 1
    return queued


class MonitoringScheduler(threading.Thread):
    """A daemon thread that calls :func:`schedule_due` every ``interval`` seconds until stopped."""

    def __init__(self, interval: float):
        super().__init__(name="monitoring-scheduler", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                queued = schedule_due(get_database(), interval_seconds=self.interval * 0.9)
                if queued:
                    log.info("monitoring evaluations queued", tenants=queued)
            except Exception as exc:  # noqa: BLE001 - keep ticking; the error is logged
                log.warning("monitoring scheduler tick failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


_scheduler: MonitoringScheduler | None = None


def start_scheduler(settings: object) -> None:
    """Start the process's scheduler (interval ``monitoring_interval_seconds``, default one hour; 0 disables)."""
    global _scheduler
    interval = float(getattr(settings, "monitoring_interval_seconds", DEFAULT_INTERVAL_SECONDS))
    if interval <= 0 or (_scheduler is not None and _scheduler.is_alive()):
        return
    _scheduler = MonitoringScheduler(interval)
    _scheduler.start()


def stop_scheduler() -> None:
    """Stop the process's scheduler, if running."""
    global _scheduler
    if _scheduler is not None:
        _scheduler.stop()
        _scheduler = None
