"""Demo seeding: the demo tenant's payment gateway account, on this server's own simulator.

The base URL is ``<public base URL>/simulators/payments`` with the simulator's sandbox credentials;
in demo mode the simulator's sandbox account sends its webhooks to the demo tenant's endpoint
(:func:`creditdesk.payments.simulator.mount_simulator`). Restarted on another port, an account that
still points at a local simulator is moved to the new address; one a user pointed elsewhere is left.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import Settings
from creditdesk.payments.schemas import GatewaySettingsUpdate
from creditdesk.payments.service import find_settings, update_settings
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.tenancy.models import Tenant

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::1", "::"})  # noqa: S104 - host names compared, not bound
SIMULATOR_PATH = "/simulators/payments"


def public_base(settings: Settings) -> str:
    """This server's base URL as the outside (and the simulator) reaches it."""
    return (settings.public_base_url or DEFAULT_BASE_URL).rstrip("/")


def points_at_local_simulator(url: str) -> bool:
    """Tell whether ``url`` is the payment simulator on this machine (any port)."""
    parts = urlsplit(url)
    return (parts.hostname or "") in LOCAL_HOSTS and parts.path.rstrip("/").endswith(SIMULATOR_PATH)


def seed_payments(session: Session, settings: Settings) -> None:
    """Give the demo tenant a gateway account on the built-in simulator (idempotent)."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    base_url = public_base(settings) + SIMULATOR_PATH
    record = find_settings(session, tenant_id=tenant.id)
    if record is None:
        data = GatewaySettingsUpdate.model_validate(
            {
                "base_url": base_url,
                "key_id": SANDBOX_KEY_ID,
                "key_secret": SANDBOX_KEY_SECRET,
                "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            }
        )
    elif record.base_url != base_url and points_at_local_simulator(record.base_url):
        data = GatewaySettingsUpdate(base_url=base_url)
    else:
        return
    update_settings(session, tenant=tenant, data=data, actor=audit.SYSTEM)
