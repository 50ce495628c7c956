"""Payments' job: present the mandate debits due today (scheduled hourly; the claim makes reruns harmless)."""

from __future__ import annotations

from datetime import date
from typing import Any

from creditdesk.payments import mandates, service
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.context import JobContext


def present_due(ctx: JobContext) -> dict[str, Any]:
    """``payments.mandate.present_due``: claim and present the debits due on the tenant's date."""
    assert ctx.tenant_id is not None
    tenant = ctx.session.get_one(Tenant, ctx.tenant_id)
    gateway = mandates.tenant_gateway(ctx.session, tenant_id=tenant.id, open_stored=service._gateway)
    if gateway is None:
        return {"skipped": "no payment gateway account"}
    period = str(ctx.payload.get("period") or "")[:10]
    today = date.fromisoformat(period) if period else None
    try:
        return mandates.present_due(ctx.session, tenant=tenant, gateway=gateway, today=today, checkpoint=ctx.checkpoint)
    finally:
        gateway.close()
