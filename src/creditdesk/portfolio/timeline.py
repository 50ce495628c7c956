"""A loan's events timeline: the domain events in the outbox whose ``data`` names the loan, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditdesk.kit.pagination import paginate
from creditdesk.portfolio.models import Loan
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker.models import OutboxEvent


def loan_events(session: Session, *, tenant: Tenant, loan_id: str, limit: int, offset: int) -> dict[str, Any]:
    """One page of the loan's events as envelopes (``loan.disbursed``, ``payment.received``, ``loan.dpd_changed`` …).

    Three statements whatever the page holds: the loan (404 for another tenant's), the count, the page.
    Events are kept in the outbox after they are published, so the outbox is the loan's event history.
    """
    get_owned(session, Loan, loan_id, tenant.id, what=f"Loan {loan_id}")
    stmt = (
        select_owned(OutboxEvent, tenant.id)
        .where(OutboxEvent.payload["loan_id"].as_string() == loan_id)
        .order_by(OutboxEvent.created_at.desc(), OutboxEvent.id.desc())
    )
    page = paginate(session, stmt, limit=limit, offset=offset)
    items = [
        {"id": e.id, "type": e.kind, "tenant": tenant.slug, "occurred_at": e.created_at, "data": e.payload}
        for e in page.items
    ]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}
