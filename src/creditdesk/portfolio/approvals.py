"""The approval rate of the tenant's decisions over the approval window.

The one definition shared by the Portfolio summary, Monitoring's overview and the policy preview:
approved decisions ÷ all decisions, as decided (knock-outs included), over calendar months in the
tenant's time. It reads the scoring domain's applications and lives here, below Monitoring, because
Monitoring builds on the portfolio and never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from creditdesk.scoring.models import Application
from creditdesk.tenancy.scope import scoped

#: The approval window every page uses by default: this calendar month and the 11 before it (tenant time).
APPROVAL_WINDOW_MONTHS = 12


def month_starts(*, today: date, zone: tzinfo, months: int) -> list[datetime]:
    """Return the first instants of the ``months`` calendar months ending with ``today``'s month, oldest first."""
    last = today.year * 12 + today.month - 1
    return [datetime(i // 12, i % 12 + 1, 1, tzinfo=zone) for i in range(last - months + 1, last + 1)]


def window_start(*, today: date, zone: tzinfo, months: int) -> datetime:
    """Return the start of a window of ``months`` calendar months ending with ``today``'s month."""
    return month_starts(today=today, zone=zone, months=months)[0]


@dataclass(frozen=True)
class ApprovalStats:
    """Decisions and approvals in a window."""

    applications: int
    approved: int

    @property
    def rate(self) -> float | None:
        """Approved ÷ decided (six decimals), or None while nothing was decided."""
        return round(self.approved / self.applications, 6) if self.applications else None


def approval_stats(
    session: Session, *, tenant_id: str, since: datetime | None = None, until: datetime | None = None
) -> ApprovalStats:
    """Count the decisions made in ``[since, until)`` and the approvals among them (one aggregate query)."""
    stmt = scoped(
        select(func.count(), func.count(case((Application.decision == "Approve", 1)))), Application, tenant_id
    )
    if since is not None:
        stmt = stmt.where(Application.created_at >= since)
    if until is not None:
        stmt = stmt.where(Application.created_at < until)
    total, approved = session.execute(stmt).one()
    return ApprovalStats(applications=total, approved=approved)
