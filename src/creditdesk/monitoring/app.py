"""What the application factory wires in for monitoring: the embed pages, the Power BI simulator, the scheduler."""

from __future__ import annotations

from fastapi import FastAPI

from creditdesk.config import Settings
from creditdesk.monitoring import embed, powerbi, scheduler


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve /embed/dashboards/{name} and, in demo/dev mode, the Power BI simulator under /simulators/powerbi."""
    app.include_router(embed.router)
    powerbi.mount_simulator(app, settings)


def start(settings: Settings) -> None:
    """Start the alert-evaluation scheduler (safe in every process: ticks are claimed in the database)."""
    scheduler.start_scheduler(settings)


def stop() -> None:
    """Stop the scheduler."""
    scheduler.stop_scheduler()
