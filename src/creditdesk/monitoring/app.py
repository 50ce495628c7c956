"""What the application factory wires in for monitoring: the embed pages, the Power BI simulator, the scheduler."""

from __future__ import annotations

import threading

import structlog
from fastapi import FastAPI

from creditdesk.config import Settings
from creditdesk.db import get_database
from creditdesk.monitoring import embed, powerbi, scheduler, service
from creditdesk.portfolio import reports

log = structlog.get_logger("creditdesk.monitoring")
#: On start in demo mode, tenants evaluated less than this long ago are not evaluated again (restart loops).
DEMO_START_EVALUATION_S = 60.0


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve /embed/dashboards/{name} and, in demo/dev mode, the Power BI simulator under /simulators/powerbi.

    Monitoring's trends on the book are warmed with the portfolio's reports (after a ledger write, at start).
    """
    reports.warm_also(service.warm_reports)
    app.include_router(embed.router)
    powerbi.mount_simulator(app, settings)


def prepare_demo() -> None:
    """Warm every tenant's portfolio reports, then queue an alert evaluation for each (demo start-up).

    So the first visit to Monitoring answers from the cache and its Alerts card already agrees with
    the drift table, instead of waiting for the first hourly tick.
    """
    db = get_database()
    try:
        reports.warm_all(db)
        queued = scheduler.schedule_due(db, interval_seconds=DEMO_START_EVALUATION_S)
        log.info("monitoring evaluations queued at start", tenants=queued)
    except Exception as exc:  # noqa: BLE001 - the pages still work, just colder
        log.warning("demo monitoring warm-up failed", error=f"{type(exc).__name__}: {exc}")


def start(settings: Settings) -> None:
    """Start the alert-evaluation scheduler (safe in every process: ticks are claimed in the database)."""
    scheduler.start_scheduler(settings)
    if settings.mode == "demo":
        threading.Thread(target=prepare_demo, name="monitoring-demo-warmup", daemon=True).start()


def stop() -> None:
    """Stop the scheduler."""
    scheduler.stop_scheduler()
