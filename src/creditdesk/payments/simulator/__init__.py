"""The simulated payment gateway (orders, payment links, UPI collect, payouts, refunds, signed webhooks).

Mounted beside the bureau simulators in dev/demo mode by :func:`mount_simulator`; standalone with
:func:`build_payment_simulator_app`. See docs/payments.md.
"""

from fastapi import FastAPI

from creditdesk.config import Settings
from creditdesk.payments.simulator.app import build_payment_simulator_app, build_router
from creditdesk.payments.simulator.state import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    AccountSetup,
    GatewayFaults,
    GatewaySimulator,
)

__all__ = [
    "SANDBOX_KEY_ID",
    "SANDBOX_KEY_SECRET",
    "SANDBOX_WEBHOOK_SECRET",
    "AccountSetup",
    "GatewayFaults",
    "GatewaySimulator",
    "build_payment_simulator_app",
    "build_router",
    "mount_simulator",
]


def mount_simulator(app: FastAPI, settings: Settings) -> None:
    """Serve the simulated gateway under ``/simulators/payments/…`` in demo/dev mode only.

    In demo mode the sandbox account sends its webhooks to the demo tenant's inbound endpoint on this
    server (the demo tenant's gateway account is seeded by :mod:`creditdesk.payments.demo`).
    """
    if not settings.is_dev_like:
        return
    simulator = GatewaySimulator()
    if settings.mode == "demo":
        base = settings.own_base_url
        setup = AccountSetup(
            key_secret=SANDBOX_KEY_SECRET,
            webhook_secret=SANDBOX_WEBHOOK_SECRET,
            webhook_url=f"{base}/api/v1/webhooks/payments/{settings.demo_tenant_slug}",
        )
        simulator.configure(SANDBOX_KEY_ID, setup)
    app.include_router(build_router(simulator))
