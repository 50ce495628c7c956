"""Reads of the scoring domain's tables (``application``, ``credit_model``) for monitoring and the portfolio.

Monitoring is built before — and independently of — the scoring tables: every function here finds
the mapped classes by table name and answers "nothing yet" (empty, ``None``) while they do not
exist, so overview, drift and approval rates light up as soon as the scoring domain lands, with no
change here. Field names follow the scoring contract: ``application`` has ``tenant_id``,
``created_at``, ``decision``, ``pd``, ``score``, ``credit_score``, ``features`` (JSON of model
features), ``model_id``, ``model_version``, ``request``; ``credit_model`` rows have ``status``
(``champion`` …) and carry the training baseline distributions in their JSON metadata.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, inspect, select
from sqlalchemy.orm import Session

from creditdesk.db import Base
from creditdesk.tenancy.scope import scoped, select_owned

APPLICATION_TABLE = "application"
MODEL_TABLE = "credit_model"
_SCORING_MODULES = ("creditdesk.scoring.models", "creditdesk.ml.models")


def _mapped(table: str) -> Any | None:
    """Return the mapped class for a table name, importing the scoring models if they exist."""
    for module in _SCORING_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    return None


_READY: set[tuple[str, str]] = set()


def _table_ready(session: Session, table: str) -> bool:
    """Tell whether the table exists in this database (the scoring migration may not have run yet)."""
    key = (str(session.get_bind().url), table)
    if key in _READY:
        return True
    if inspect(session.connection()).has_table(table):
        _READY.add(key)
        return True
    return False


def application_model() -> Any | None:
    """Return the ``Application`` class, or None until the scoring domain exists."""
    return _mapped(APPLICATION_TABLE)


def _application_table(session: Session) -> Any | None:
    model = application_model()
    return model if model is not None and _table_ready(session, APPLICATION_TABLE) else None


def scoring_available(session: Session) -> bool:
    """Tell whether the scoring tables exist in this build."""
    return _application_table(session) is not None


def get_application(session: Session, *, tenant_id: str, application_id: str) -> Any | None:
    """Return one of the tenant's applications, or None (also when scoring does not exist yet)."""
    model = _application_table(session)
    if model is None:
        return None
    return session.execute(select_owned(model, tenant_id).where(model.id == application_id)).scalar_one_or_none()


@dataclass(frozen=True)
class ApplicationRow:
    created_at: datetime
    decision: str | None
    pd: float | None
    score: int | None
    credit_score: int | None
    features: Mapping[str, Any]


def applications(
    session: Session,
    *,
    tenant_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    with_features: bool = False,
) -> list[ApplicationRow]:
    """Return the tenant's decided applications in a time window (oldest first)."""
    model = _application_table(session)
    if model is None:
        return []
    cols = [model.created_at, model.decision, model.pd, model.score, model.credit_score]
    if with_features:
        cols.append(model.features)
    stmt = scoped(select(*cols), model, tenant_id).order_by(model.created_at)
    if since is not None:
        stmt = stmt.where(model.created_at >= since)
    if until is not None:
        stmt = stmt.where(model.created_at < until)
    rows = []
    for r in session.execute(stmt):
        rows.append(
            ApplicationRow(
                created_at=r[0],
                decision=r[1],
                pd=r[2],
                score=r[3],
                credit_score=r[4],
                features=(r[5] or {}) if with_features else {},
            )
        )
    return rows


#: The approval window every page uses by default: this calendar month and the 11 before it (tenant time).
APPROVAL_WINDOW_MONTHS = 12


def window_start(*, today: date, zone: tzinfo, months: int) -> datetime:
    """Return the start of a window of ``months`` calendar months ending with ``today``'s month."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def approval_stats(session: Session, *, tenant_id: str, since: datetime | None = None) -> dict[str, Any]:
    """Return ``{"applications", "approved", "approval_rate"}`` of the decisions made since a time.

    The one definition of the approval rate shared by Monitoring, Portfolio and the policy preview:
    approved decisions ÷ all decisions, as decided (knock-outs included). Both are None while
    there is no decision in the window.
    """
    model = _application_table(session)
    if model is None:
        return {"applications": None, "approved": None, "approval_rate": None}
    stmt = scoped(select(func.count(), func.count(case((model.decision == "Approve", 1)))), model, tenant_id)
    if since is not None:
        stmt = stmt.where(model.created_at >= since)
    total, approved = session.execute(stmt).one()
    if not total:
        return {"applications": None, "approved": None, "approval_rate": None}
    return {"applications": total, "approved": approved, "approval_rate": round(approved / total, 6)}


@dataclass(frozen=True)
class DecisionRow:
    decision: str
    pd: float
    knockouts: tuple[dict[str, Any], ...]


def decisions_for_replay(
    session: Session, *, tenant_id: str, since: datetime | None, limit: int | None
) -> list[DecisionRow]:
    """Return the decisions made since a time (newest first, at most ``limit``) with their stored knock-outs."""
    model = _application_table(session)
    if model is None:
        return []
    stmt = scoped(select(model.decision, model.pd, model.knockouts), model, tenant_id).order_by(model.created_at.desc())
    if since is not None:
        stmt = stmt.where(model.created_at >= since)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [DecisionRow(r[0], float(r[1]), tuple(r[2] or ())) for r in session.execute(stmt)]


# --------------------------------------------------------------------------------------------------
# the champion model and its training baseline


@dataclass(frozen=True)
class Champion:
    id: str
    version: int | None
    baseline: Mapping[str, Any]


def _is_baseline(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    features = value.get("features")
    return (
        isinstance(features, Mapping)
        and bool(features)
        and all(isinstance(v, Mapping) and "proportions" in v for v in features.values())
    )


def find_baseline(value: Any, depth: int = 0) -> Mapping[str, Any] | None:
    """Find ``{"features": {name: distribution}, "score": …}`` anywhere in a model's JSON metadata."""
    if _is_baseline(value):
        return value
    if depth >= 4:
        return None
    if isinstance(value, Mapping):
        preferred = [value[k] for k in ("baseline", "drift_baseline", "baselines") if k in value]
        for child in [*preferred, *value.values()]:
            found = find_baseline(child, depth + 1)
            if found is not None:
                return found
    return None


def _baseline_of(row: Any) -> Mapping[str, Any] | None:
    for attr in inspect(type(row)).column_attrs:
        found = find_baseline(getattr(row, attr.key, None))
        if found is not None:
            return found
    return None


def champion(session: Session, *, tenant_id: str) -> Champion | None:
    """Return the tenant's champion (else the platform default champion) with its training baseline."""
    if _mapped(MODEL_TABLE) is None or not _table_ready(session, MODEL_TABLE):
        return None
    from creditdesk.ml import registry  # the registry's own rule for "the champion"

    row = registry.champion(session, tenant_id=tenant_id)
    if row is None:
        return None
    baseline = _baseline_of(row)
    if baseline is None:
        return None
    return Champion(id=str(row.id), version=getattr(row, "version", None), baseline=baseline)
