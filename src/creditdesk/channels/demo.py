"""Demo seeding: the demo tenant's SMS, WhatsApp and voice accounts on this server's own simulators, and
the starter templates approved, so a message can be sent from the portal on the first start.

Accounts use the simulators' sandbox credentials at ``<public base URL>/simulators/{channel}``; restarted
on another port, an account still aimed at a local simulator moves with it (one a user pointed elsewhere
is left alone). The starter set goes in once, approved: its texts were reviewed when they were written
(``channels/starter``); a lender's own changes go through maker–checker as usual. E-mail needs a mail
server the lender names (``PUT …/channels/email``); the demo leaves it unconfigured.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.channels import accounts
from creditdesk.channels.models import MessageTemplate
from creditdesk.channels.schemas import ChannelSettingsUpdate
from creditdesk.channels.simulator import sms as sms_sim
from creditdesk.channels.simulator import voice as voice_sim
from creditdesk.channels.simulator import whatsapp as wa_sim
from creditdesk.channels.starter import load_starter
from creditdesk.config import Settings
from creditdesk.db import utcnow
from creditdesk.kit.ssrf import points_at_local
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned

#: who the starter set's versions name as their author and approver in the demo
STARTER_AUTHOR = "CreditDesk starter set"
STARTER_APPROVER = "demo seeding"


def sandbox_accounts(own: str) -> dict[str, dict[str, Any]]:
    """The SMS, WhatsApp and voice accounts on the simulators served at ``own`` (``PUT …/channels/…`` bodies)."""
    return {
        "sms": {
            "base_url": f"{own}/simulators/sms",
            "account_sid": sms_sim.SANDBOX_SID,
            "api_key": sms_sim.SANDBOX_API_KEY,
            "api_token": sms_sim.SANDBOX_API_TOKEN,
            "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
            "sender": "CRDESK",
            "entity_id": "1201159543060917386",
            "unit_cost": "0.18",
        },
        "whatsapp": {
            "base_url": f"{own}/simulators/whatsapp",
            "phone_number_id": wa_sim.SANDBOX_PHONE_NUMBER_ID,
            "access_token": wa_sim.SANDBOX_ACCESS_TOKEN,
            "app_secret": wa_sim.SANDBOX_APP_SECRET,
            "unit_cost": "0.11",
        },
        "voice": {
            "base_url": f"{own}/simulators/voice",
            "account_sid": voice_sim.SANDBOX_SID,
            "api_key": voice_sim.SANDBOX_API_KEY,
            "api_token": voice_sim.SANDBOX_API_TOKEN,
            "webhook_secret": voice_sim.SANDBOX_WEBHOOK_SECRET,
            "caller_id": voice_sim.SANDBOX_CALLER_ID,
            "unit_cost": "0.60",
        },
    }


def seed_channels(session: Session, settings: Settings) -> None:
    """Give the demo tenant its simulated channel accounts and the approved starter templates (idempotent)."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    for channel, values in sandbox_accounts(settings.own_base_url).items():
        record = accounts.find(session, tenant_id=tenant.id, channel=channel)
        path = f"/simulators/{channel}"
        if record is None:
            data = ChannelSettingsUpdate.model_validate(values)
        elif record.settings.get("base_url") != values["base_url"] and points_at_local(
            record.settings.get("base_url", ""), path
        ):
            data = ChannelSettingsUpdate(base_url=values["base_url"])
        else:
            continue
        accounts.update_account(session, tenant=tenant, channel=channel, data=data, actor=audit.SYSTEM)  # type: ignore[arg-type]
    _seed_starter(session, tenant)


def _seed_starter(session: Session, tenant: Tenant) -> None:
    if session.execute(select_owned(MessageTemplate, tenant.id).limit(1)).first() is not None:
        return
    now = utcnow()
    for starter in load_starter():
        session.add(
            MessageTemplate(
                tenant_id=tenant.id,
                name=starter.name,
                channel=starter.channel,
                purpose=starter.purpose,
                language=starter.language,
                tone=starter.tone,
                body=starter.body,
                subject=starter.subject,
                variables=starter.variables_json(),
                dlt_template_id=starter.dlt_template_id,
                whatsapp_category=starter.whatsapp_category,
                status="approved",
                version=1,
                author=STARTER_AUTHOR,
                approved_by=STARTER_APPROVER,
                approved_at=now,
                updated_at=now,
            )
        )
    session.flush()
