"""Demo seeding: the demo tenant's three bureaus, pointing at this server's own simulators.

The endpoint is ``<public base URL>/simulators/<bureau>``, with the simulators' sandbox credentials.
``creditdesk serve`` sets the base URL from ``--host``/``--port`` before seeding, so when the demo is
restarted on another port, configurations that still point at a local simulator are moved to the
new address (a configuration a user pointed elsewhere is left alone).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.bureaus.config import find_config, update_config
from creditdesk.bureaus.schemas import BUREAUS
from creditdesk.bureaus.schemas_api import BureauConfigUpdate
from creditdesk.bureaus.simulators import SANDBOX_DEFAULTS
from creditdesk.config import Settings
from creditdesk.kit.ssrf import points_at_local
from creditdesk.tenancy.models import Tenant


def simulator_endpoint(settings: Settings, bureau: str) -> str:
    """Return the URL of this server's simulator of ``bureau``."""
    return f"{settings.own_base_url}/simulators/{bureau}"


def seed_bureaus(session: Session, settings: Settings) -> None:
    """Configure CIBIL, Experian and CRIF for the demo tenant against the built-in simulators."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    for bureau in BUREAUS:
        endpoint = simulator_endpoint(settings, bureau)
        record = find_config(session, tenant_id=tenant.id, bureau=bureau)
        if record is None:
            sandbox = SANDBOX_DEFAULTS[bureau]
            data = BureauConfigUpdate.model_validate(
                {
                    "enabled": True,
                    "endpoint_url": endpoint,
                    "member_id": sandbox["member_id"],
                    "credentials": sandbox["credentials"],
                }
            )
        elif record.endpoint_url != endpoint and points_at_local(record.endpoint_url, f"/simulators/{bureau}"):
            data = BureauConfigUpdate(endpoint_url=endpoint)
        else:
            continue
        update_config(session, tenant=tenant, bureau=bureau, data=data, actor=audit.SYSTEM)
