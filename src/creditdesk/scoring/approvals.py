"""The approval rate of the tenant's decisions over the approval window, and the policy preview.

The one definition shared by the Portfolio summary, Monitoring's overview and the policy page:
approved decisions ÷ all decisions, as decided (knock-outs included), over calendar months in the
tenant's time. It reads scoring's own applications, so it lives in scoring: Portfolio and Monitoring
build on scoring and never the other way round.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from creditdesk.scoring import policy as policies
from creditdesk.scoring.models import Application
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
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


# --------------------------------------------------------------------------------------------------
# what policy thresholds would do (the policy page's preview)


@dataclass(frozen=True)
class DecisionRow:
    decision: str
    pd: float
    knockouts: tuple[dict[str, Any], ...]


def decisions_for_replay(
    session: Session, *, tenant_id: str, since: datetime | None, limit: int | None
) -> list[DecisionRow]:
    """Return the decisions made since a time (newest first, at most ``limit``) with their stored knock-outs."""
    stmt = scoped(select(Application.decision, Application.pd, Application.knockouts), Application, tenant_id)
    stmt = stmt.order_by(Application.created_at.desc())
    if since is not None:
        stmt = stmt.where(Application.created_at >= since)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        DecisionRow(decision, float(pd), tuple(knockouts or ())) for decision, pd, knockouts in session.execute(stmt)
    ]


def policy_preview(
    session: Session,
    *,
    tenant: Tenant,
    approve_below: float,
    reject_at: float,
    months: int = APPROVAL_WINDOW_MONTHS,
    last_n: int | None = None,
) -> dict[str, Any]:
    """Replay the window's decisions with other PD thresholds, keeping the knock-outs stored on each.

    Each decision is re-decided with the policy's own rule (knock-outs first, then thresholds) on its
    stored PD and the knock-outs that fired for it. A decision that today's thresholds do not
    reproduce (made under an earlier policy version, or sent to review because no bureau answered)
    is counted as it was decided. So with today's thresholds the preview equals the approval rate
    as decided — the figure Monitoring and Portfolio show for the same window.
    """
    current = policies.current(session, tenant_id=tenant.id).config
    proposed = current.model_copy(update={"approve_below_pd": approve_below, "reject_at_or_above_pd": reject_at})
    since = window_start(today=clock.today(tenant), zone=clock.zone(tenant), months=months)
    rows = decisions_for_replay(session, tenant_id=tenant.id, since=since, limit=last_n)
    outcomes: Counter[str] = Counter()
    kept = knocked_out = approved = 0
    for r in rows:
        knockouts = list(r.knockouts)
        knocked_out += bool(knockouts)
        approved += r.decision == "Approve"
        if policies.decide(r.pd, knockouts, current) == r.decision:
            outcomes[policies.decide(r.pd, knockouts, proposed)] += 1
        else:
            kept += 1
            outcomes[r.decision] += 1
    n = len(rows)
    return {
        "applications": n,
        "window_months": months,
        "window_from": since,
        "capped": last_n is not None and n >= last_n,
        "approve_rate": outcomes["Approve"] / n if n else 0.0,
        "review_rate": outcomes["Review"] / n if n else 0.0,
        "reject_rate": outcomes["Reject"] / n if n else 0.0,
        "current_approve_rate": approved / n if n else None,
        "knocked_out": knocked_out,
        "kept_as_decided": kept,
    }
