"""Monitoring jobs: alert evaluation (on demand and on the scheduler's tick)."""

from __future__ import annotations

from typing import Any

from creditdesk.monitoring import service
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import PermanentJobError


def evaluate_alerts(ctx: JobContext) -> dict[str, Any]:
    """Evaluate drift, NPA-ratio and approval-swing alerts for the job's tenant."""
    tenant = ctx.session.get(Tenant, ctx.tenant_id) if ctx.tenant_id else None
    if tenant is None:
        raise PermanentJobError("alert evaluation needs an existing tenant")
    return service.evaluate_alerts(ctx.session, tenant=tenant)
