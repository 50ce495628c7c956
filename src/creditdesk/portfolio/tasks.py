"""Portfolio's job: the day-end (scheduled daily on the tenant's clock; safe to run again)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from creditdesk.portfolio.dayend import run_day_end
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.context import JobContext


def day_end(ctx: JobContext) -> dict[str, Any]:
    """``portfolio.day_end``: record each loan's DPD and class at the end of the day that just ended.

    Fired at the first tick of a tenant's local day ``period``, it closes the day before; ``as_of`` in
    the payload closes that day instead.
    """
    assert ctx.tenant_id is not None
    tenant = ctx.session.get_one(Tenant, ctx.tenant_id)
    if ctx.payload.get("as_of"):
        as_of = date.fromisoformat(str(ctx.payload["as_of"]))
    else:
        as_of = date.fromisoformat(str(ctx.payload.get("period") or clock.today(tenant))[:10]) - timedelta(days=1)
    result = run_day_end(ctx.session, tenant=tenant, as_of=as_of)
    return {"as_of": result.as_of.isoformat(), "loans": result.loans, "changed": len(result.changed)}
