"""Demo seeding: the demo tenant's payment gateway account, on this server's own simulator.

The base URL is ``<public base URL>/simulators/payments`` with the simulator's sandbox credentials;
in demo mode the simulator's sandbox account sends its webhooks to the demo tenant's endpoint
(:func:`creditdesk.payments.simulator.mount_simulator`). Restarted on another port, an account that
still points at a local simulator is moved to the new address; one a user pointed elsewhere is left.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import Settings
from creditdesk.kit.ssrf import points_at_local
from creditdesk.payments.schemas import GatewaySettingsUpdate
from creditdesk.payments.service import find_settings, update_settings
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.tenancy.models import Tenant

SIMULATOR_PATH = "/simulators/payments"


def seed_payments(session: Session, settings: Settings) -> None:
    """Give the demo tenant a gateway account on the built-in simulator (idempotent)."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    base_url = settings.own_base_url + SIMULATOR_PATH
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
    elif record.base_url != base_url and points_at_local(record.base_url, SIMULATOR_PATH):
        data = GatewaySettingsUpdate(base_url=base_url)
    else:
        return
    update_settings(session, tenant=tenant, data=data, actor=audit.SYSTEM)
