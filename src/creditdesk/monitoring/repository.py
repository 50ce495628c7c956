"""Monitoring's reads of the scoring domain: decisions by month, the drift sample, the replay set, the champion.

Every read of applications is tenant-scoped and aggregated in SQL where only counts are needed (the
overview's months, the approval swing), so their cost does not grow with the number of decisions.
The approval rate itself is the portfolio's (``portfolio/approvals.py``), the one definition every
page shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from creditdesk.ml import registry
from creditdesk.ml.schemas import TrainingBaseline
from creditdesk.scoring.models import Application
from creditdesk.tenancy.scope import scoped

log = structlog.get_logger("creditdesk.monitoring")

#: credit-score bands of the overview, [low, high)
SCORE_BANDS = [(300, 550), (550, 600), (600, 650), (650, 700), (700, 750), (750, 800), (800, 901)]


@dataclass(frozen=True)
class DecisionGroup:
    """The decisions of one month, one outcome and one credit-score band (``band`` None: outside every band)."""

    month: int
    decision: str
    band: int | None
    count: int
    pd_sum: float
    credit_score_sum: int
    first_at: datetime


def decision_groups(session: Session, *, tenant_id: str, month_starts: list[datetime]) -> list[DecisionGroup]:
    """Count the decisions made since ``month_starts[0]`` by month (index into ``month_starts``), outcome and band.

    Months are bounded by the given instants (tenant time, computed by the caller), so the grouping is
    one aggregate query on every database.
    """
    created = Application.created_at
    score = Application.credit_score
    # the first branch never holds (the window starts at month_starts[0]); it keeps the CASE non-empty
    month = case(*((created < start, i - 1) for i, start in enumerate(month_starts)), else_=len(month_starts) - 1)
    band = case(*((and_(score >= lo, score < hi), i) for i, (lo, hi) in enumerate(SCORE_BANDS)), else_=None)
    rows = scoped(
        select(month.label("month"), Application.decision, band.label("band"), Application.pd, score, created),
        Application,
        tenant_id,
    ).where(created >= month_starts[0])
    # grouped outside: PostgreSQL matches GROUP BY to the select list only by name, not by bound parameters
    g = rows.subquery()
    stmt = select(
        g.c.month,
        g.c.decision,
        g.c.band,
        func.count(),
        func.sum(g.c.pd),
        func.sum(g.c.credit_score),
        func.min(g.c.created_at),
    ).group_by(g.c.month, g.c.decision, g.c.band)
    return [DecisionGroup(*row) for row in session.execute(stmt)]


@dataclass(frozen=True)
class DriftRow:
    pd: float
    features: Mapping[str, Any]


def drift_sample(session: Session, *, tenant_id: str, since: datetime) -> list[DriftRow]:
    """Return the PD and model features of the tenant's decisions since a time (what drift is measured on)."""
    stmt = scoped(select(Application.pd, Application.features), Application, tenant_id)
    return [
        DriftRow(pd, features or {}) for pd, features in session.execute(stmt.where(Application.created_at >= since))
    ]


# --------------------------------------------------------------------------------------------------
# the champion model and its training baseline


@dataclass(frozen=True)
class Champion:
    id: str
    version: int
    baseline: TrainingBaseline


def champion(session: Session, *, tenant_id: str) -> Champion | None:
    """Return the tenant's champion (else the platform default champion) with its training baseline.

    Training stores the baseline in the model report at ``baseline`` (``ml/training.py``); a champion
    without one (or with one this version cannot read) has nothing to measure drift against.
    """
    row = registry.champion(session, tenant_id=tenant_id)
    if row is None:
        return None
    stored = (row.report or {}).get("baseline")
    if stored is None:
        return None
    try:
        baseline = TrainingBaseline.model_validate(stored)
    except ValidationError as exc:
        log.warning("champion baseline unreadable", model=row.id, error=str(exc))
        return None
    return Champion(id=row.id, version=row.version, baseline=baseline)
