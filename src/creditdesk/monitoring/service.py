"""Monitoring services: overview, delinquency, model performance, drift, NPA forecast, alerts, settings.

Alert invariant (see ``models.py``): one open alert per (tenant, kind, subject). An evaluation
raises what newly holds (emitting ``alert.raised`` to the outbox), refreshes what still holds and
resolves what no longer holds — only for the kinds it could evaluate (drift needs enough recent
applications; a quiet week never "resolves" a drift alert it could not measure).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, get_args

import numpy as np
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import utcnow
from creditdesk.errors import ValidationFailed
from creditdesk.ml import evaluation
from creditdesk.ml.explain import label as feature_label
from creditdesk.ml.schemas import ScoreDistribution, TrainingBaseline
from creditdesk.monitoring import analytics, repository
from creditdesk.monitoring.models import MonitoringAlert, MonitoringSettings
from creditdesk.monitoring.repository import SCORE_BANDS, DecisionGroup
from creditdesk.portfolio import reports
from creditdesk.portfolio.analytics import npa_breakdown
from creditdesk.portfolio.ledger import load_book
from creditdesk.scoring.approvals import APPROVAL_WINDOW_MONTHS, approval_stats, month_starts
from creditdesk.scoring.schemas import Decision
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker import service as jobs
from creditdesk.worker.models import Job

DECISIONS: tuple[Decision, ...] = get_args(Decision)
SETTING_FIELDS = (
    "drift_warn_psi",
    "drift_alert_psi",
    "drift_window_days",
    "drift_min_applications",
    "npa_ratio_threshold",
    "approval_swing_threshold",
    "approval_swing_window_days",
)
MIN_SWING_APPLICATIONS = 30
EVALUATION_JOB = "monitoring.evaluate_alerts"


# --------------------------------------------------------------------------------------------------
# settings


def settings_for(session: Session, *, tenant_id: str) -> MonitoringSettings:
    """Return the tenant's thresholds (an unsaved default row when the tenant never changed them)."""
    row = session.execute(select_owned(MonitoringSettings, tenant_id)).scalar_one_or_none()
    if row is not None:
        return row
    defaults = {c.key: c.default.arg for c in MonitoringSettings.__table__.columns if c.key in SETTING_FIELDS}
    return MonitoringSettings(tenant_id=tenant_id, **defaults)


def ensure_settings(session: Session, *, tenant_id: str) -> MonitoringSettings:
    """Return the tenant's stored settings row, creating it with the defaults when missing."""
    row = settings_for(session, tenant_id=tenant_id)
    if row.id is None:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # created concurrently
            row = session.execute(select_owned(MonitoringSettings, tenant_id)).scalar_one()
    return row


def update_settings(session: Session, *, tenant: Tenant, changes: dict[str, Any], actor: Any) -> MonitoringSettings:
    """Change the tenant's monitoring thresholds (audited)."""
    row = ensure_settings(session, tenant_id=tenant.id)
    merged = {f: changes.get(f, getattr(row, f)) for f in SETTING_FIELDS}
    if merged["drift_warn_psi"] >= merged["drift_alert_psi"]:
        raise ValidationFailed("drift_warn_psi must be below drift_alert_psi")
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    row.updated_by = getattr(actor, "email", None) or getattr(actor, "name", None)
    audit.record(
        session,
        actor=actor,
        action="monitoring.settings_updated",
        tenant_id=tenant.id,
        resource_type="monitoring_settings",
        resource_id=row.id,
        details=changes,
    )
    return row


def settings_read(row: MonitoringSettings) -> dict[str, Any]:
    """Render settings for the API."""
    return {
        **{f: getattr(row, f) for f in SETTING_FIELDS},
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "last_evaluated_at": row.last_evaluated_at,
    }


# --------------------------------------------------------------------------------------------------
# overview (from the scoring domain's applications)


def overview(session: Session, *, tenant: Tenant, months: int = APPROVAL_WINDOW_MONTHS) -> dict[str, Any]:
    """Return approval rate, decisions by outcome and the credit-score distribution per month.

    The window is ``months`` calendar months ending with this one (tenant time); ``months_covered``
    counts the months of that window that hold decisions — the rows of ``months``. Counted in SQL:
    two aggregate queries whatever the number of decisions.
    """
    starts = month_starts(today=clock.today(tenant), zone=clock.zone(tenant), months=months)
    groups = repository.decision_groups(session, tenant_id=tenant.id, month_starts=starts)
    approvals = approval_stats(session, tenant_id=tenant.id, since=starts[0])
    by_month: dict[int, list[DecisionGroup]] = {}
    for group in groups:
        by_month.setdefault(group.month, []).append(group)
    series = [_overview_month(starts[m], by_month[m]) for m in sorted(by_month)]
    return {
        "scoring_available": True,
        "window_months": months,
        "window_from": starts[0],
        "months_covered": len(series),
        "first_decision_at": min((g.first_at for g in groups), default=None),
        "applications": sum(g.count for g in groups),
        "approval_rate": approvals.rate,
        "decisions": _by_decision(groups),
        "months": series,
    }


def _by_decision(groups: list[DecisionGroup]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for group in groups:
        counts[group.decision] += group.count
    return {d: counts[d] for d in DECISIONS}


def _overview_month(start: datetime, groups: list[DecisionGroup]) -> dict[str, Any]:
    """One month's row of the overview from its decision groups."""
    n = sum(g.count for g in groups)
    decisions = _by_decision(groups)
    bands: Counter[int] = Counter()
    for group in groups:
        if group.band is not None:
            bands[group.band] += group.count
    return {
        "month": f"{start.year:04d}-{start.month:02d}",
        "applications": n,
        "decisions": decisions,
        "approval_rate": round(decisions["Approve"] / n, 6),
        "mean_pd": round(sum(g.pd_sum for g in groups) / n, 6),
        "mean_credit_score": round(sum(g.credit_score_sum for g in groups) / n, 1),
        "credit_score_bands": [
            {"band": f"{lo}-{min(hi, 900) - (hi <= 900)}", "count": bands[i]} for i, (lo, hi) in enumerate(SCORE_BANDS)
        ],
    }


# --------------------------------------------------------------------------------------------------
# the book's trends (computed in analytics.py, cached with the portfolio's reports per ledger version)


def delinquency(session: Session, *, tenant: Tenant, as_of: date | None, months: int = 24) -> dict[str, Any]:
    """Return the month-end 30+/60+/90+ delinquency trend by count and amount."""
    return reports.cached_report(
        session, tenant=tenant, name="delinquency", as_of=as_of, compute=analytics.delinquency, months=months
    )


def performance(session: Session, *, tenant: Tenant, as_of: date | None, horizon_months: int = 12) -> dict[str, Any]:
    """Return model performance (AUC, KS, calibration) against realised defaults, by origination month."""
    return reports.cached_report(
        session,
        tenant=tenant,
        name="performance",
        as_of=as_of,
        compute=analytics.performance,
        horizon_months=horizon_months,
    )


def npa_forecast(session: Session, *, tenant: Tenant, as_of: date | None, horizon_days: int = 90) -> dict[str, Any]:
    """Return loans and amount expected to become NPA within the horizon, by bucket, with the method."""
    return reports.cached_report(
        session, tenant=tenant, name="npa-forecast", as_of=as_of, compute=analytics.npa_forecast, horizon=horizon_days
    )


def warm_reports(session: Session, *, tenant: Tenant) -> None:
    """Compute the trends a first visit to Monitoring asks for (``reports.warm`` calls it, see ``app.py``)."""
    for report in (delinquency, npa_forecast):
        report(session, tenant=tenant, as_of=None)


# --------------------------------------------------------------------------------------------------
# drift


def _level(psi: float, warn: float, alert: float) -> str:
    return "ok" if psi < warn else ("warn" if psi < alert else "alert")


def drift(
    session: Session,
    *,
    tenant: Tenant,
    window_days: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return PSI per feature and for the PD against the champion's training baseline over a recent window."""
    cfg = settings_for(session, tenant_id=tenant.id)
    window = window_days or cfg.drift_window_days
    now = now or utcnow()
    since = now - timedelta(days=window)
    warn, alert = cfg.drift_warn_psi, cfg.drift_alert_psi
    result: dict[str, Any] = {
        "window_days": window,
        "from": since,
        "to": now,
        "thresholds": {"warn": warn, "alert": alert},
        "min_applications": cfg.drift_min_applications,
        "scoring_available": True,
        "model": None,
        "applications": 0,
        "sufficient_data": False,
        "features": [],
        "score": None,
    }
    champ = repository.champion(session, tenant_id=tenant.id)
    if champ is None:
        result["note"] = "No champion model with a training baseline yet: drift starts once one is promoted."
        return result
    result["model"] = {"id": champ.id, "version": champ.version}
    rows = repository.drift_sample(session, tenant_id=tenant.id, since=since)
    result["applications"] = len(rows)
    result["sufficient_data"] = len(rows) >= cfg.drift_min_applications
    if not rows:
        result["note"] = f"No applications in the last {window} days."
        return result
    result["features"] = _feature_drift(champ.baseline, rows, warn, alert)
    result["score"] = _score_drift(champ.baseline.score, rows, warn, alert)
    return result


def _feature_drift(
    baseline: TrainingBaseline, rows: list[repository.DriftRow], warn: float, alert: float
) -> list[dict[str, Any]]:
    """PSI of each model feature against its training distribution, largest first."""
    features: list[dict[str, Any]] = []
    for name, distribution in sorted(baseline.features.items()):
        psi = evaluation.drift(distribution.model_dump(), [r.features.get(name) for r in rows])
        features.append(
            {"feature": name, "label": feature_label(name), "psi": round(psi, 6), "level": _level(psi, warn, alert)}
        )
    features.sort(key=lambda f: -f["psi"])
    return features


def _score_drift(
    baseline: ScoreDistribution | None, rows: list[repository.DriftRow], warn: float, alert: float
) -> dict[str, Any] | None:
    """PSI of the PD against its training distribution (None when the baseline has no PD distribution)."""
    if baseline is None:
        return None
    pds = [r.pd for r in rows]
    psi = evaluation.drift(baseline.model_dump(), pds)
    return {
        "psi": round(psi, 6),
        "level": _level(psi, warn, alert),
        "mean_pd": round(float(np.mean(pds)), 6),
        "baseline_mean_pd": baseline.mean_pd,
    }


# --------------------------------------------------------------------------------------------------
# alerts


def list_alerts(session: Session, *, tenant: Tenant, status: str, limit: int) -> dict[str, Any]:
    """Return the tenant's alerts, newest first (``open`` = not resolved; ``all`` includes resolved)."""
    stmt = select_owned(MonitoringAlert, tenant.id).order_by(MonitoringAlert.created_at.desc())
    if status == "open":
        stmt = stmt.where(MonitoringAlert.resolved_at.is_(None))
    elif status == "unacknowledged":
        stmt = stmt.where(MonitoringAlert.resolved_at.is_(None), MonitoringAlert.acknowledged_at.is_(None))
    elif status == "resolved":
        stmt = stmt.where(MonitoringAlert.resolved_at.is_not(None))
    return {"items": list(session.execute(stmt.limit(limit)).scalars())}


def acknowledge_alert(session: Session, *, tenant: Tenant, alert_id: str, actor: Any) -> MonitoringAlert:
    """Acknowledge an alert (idempotent); it stays open until its condition clears."""
    alert = get_owned(session, MonitoringAlert, alert_id, tenant.id, what="Alert")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = getattr(actor, "id", None)
        audit.record(
            session,
            actor=actor,
            action="monitoring.alert_acknowledged",
            tenant_id=tenant.id,
            resource_type="monitoring_alert",
            resource_id=alert.id,
            details={"kind": alert.kind, "subject": alert.subject},
        )
    return alert


def request_evaluation(session: Session, *, tenant: Tenant, actor: Any) -> Job:
    """Queue an alert evaluation for the tenant (runs on the worker); audited.

    Idempotent while one is waiting: requests made before a queued evaluation starts share it (it
    reads the data as it is when it runs), so a burst of clicks or clients queues one job. Requests
    are serialised per tenant on its settings row (PostgreSQL row lock; SQLite writers are serial).
    """
    cfg = ensure_settings(session, tenant_id=tenant.id)
    session.execute(
        select_owned(MonitoringSettings, tenant.id).where(MonitoringSettings.id == cfg.id).with_for_update()
    )
    job = session.execute(
        select_owned(Job, tenant.id)
        .where(Job.kind == EVALUATION_JOB, Job.status == "queued")
        .order_by(Job.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    shared = job is not None
    if job is None:
        job = jobs.enqueue(session, kind=EVALUATION_JOB, tenant_id=tenant.id, created_by=actor.id, max_attempts=3)
    audit.record(
        session,
        actor=actor,
        action="monitoring.alerts_evaluation_requested",
        tenant_id=tenant.id,
        resource_type="job",
        resource_id=job.id,
        details={"shared_with_queued_job": shared},
    )
    return job


#: an alert condition that holds, by (kind, subject): level, message and details of the alert
Holding = dict[tuple[str, str], dict[str, Any]]


def _conditions(session: Session, tenant: Tenant, cfg: MonitoringSettings, now: datetime) -> tuple[Holding, set[str]]:
    """Return the alert conditions that hold now, and the kinds that could be evaluated."""
    holding: Holding = {}
    evaluated: set[str] = set()
    for kind, found in (
        ("drift", _drift_conditions(session, tenant, cfg, now)),
        ("npa_ratio", _npa_condition(session, tenant, cfg)),
        ("approval_rate_swing", _swing_condition(session, tenant, cfg, now)),
    ):
        if found is not None:  # None: not enough data to tell
            evaluated.add(kind)
            holding.update(found)
    return holding, evaluated


def _drift_conditions(session: Session, tenant: Tenant, cfg: MonitoringSettings, now: datetime) -> Holding | None:
    report = drift(session, tenant=tenant, now=now)
    if report["model"] is None or not report["sufficient_data"]:
        return None
    holding: Holding = {}
    measured = [*report["features"], *([{"feature": "score", **report["score"]}] if report["score"] else [])]
    for f in measured:
        if f["level"] == "ok":
            continue
        subject = f["feature"]
        what = "the model's PD distribution" if subject == "score" else f"{feature_label(subject)} ({subject})"
        holding[("drift", subject)] = {
            "level": "critical" if f["level"] == "alert" else "warning",
            "message": f"Population drift on {what}: PSI {f['psi']:.2f} over the last {report['window_days']} "
            f"days ({report['applications']} applications) against the champion's training baseline "
            f"(warn {cfg.drift_warn_psi:.2f}, alert {cfg.drift_alert_psi:.2f})",
            "details": {
                "psi": f["psi"],
                "window_days": report["window_days"],
                "applications": report["applications"],
                "model": report["model"],
            },
        }
    return holding


def _npa_condition(session: Session, tenant: Tenant, cfg: MonitoringSettings) -> Holding | None:
    book = load_book(session, tenant_id=tenant.id)
    if not book.size:
        return None
    npa = npa_breakdown(book, clock.today(tenant))
    ratio = npa["gross_npa_ratio"] or 0.0
    if ratio <= cfg.npa_ratio_threshold:
        return {}
    return {
        ("npa_ratio", "portfolio"): {
            "level": "critical",
            "message": f"Gross NPA ratio {ratio:.2%} is above the {cfg.npa_ratio_threshold:.2%} threshold "
            f"({npa['groups']['npa']['loans']} NPA loans, ₹{npa['groups']['npa']['outstanding']} outstanding)",
            "details": {"ratio": ratio, "threshold": cfg.npa_ratio_threshold},
        }
    }


def _swing_condition(session: Session, tenant: Tenant, cfg: MonitoringSettings, now: datetime) -> Holding | None:
    days = cfg.approval_swing_window_days
    recent = approval_stats(session, tenant_id=tenant.id, since=now - timedelta(days=days))
    before = approval_stats(
        session, tenant_id=tenant.id, since=now - timedelta(days=5 * days), until=now - timedelta(days=days)
    )
    if recent.applications < MIN_SWING_APPLICATIONS or before.applications < MIN_SWING_APPLICATIONS:
        return None
    rate_now = recent.approved / recent.applications
    rate_before = before.approved / before.applications
    if abs(rate_now - rate_before) < cfg.approval_swing_threshold:
        return {}
    direction = "rose" if rate_now > rate_before else "fell"
    return {
        ("approval_rate_swing", "approval_rate"): {
            "level": "warning",
            "message": f"Approval rate {direction} from {rate_before:.1%} (previous {4 * days} days) to "
            f"{rate_now:.1%} (last {days} days)",
            "details": {
                "recent": rate_now,
                "previous": rate_before,
                "recent_applications": recent.applications,
                "previous_applications": before.applications,
            },
        }
    }


def evaluate_alerts(session: Session, *, tenant: Tenant, now: datetime | None = None) -> dict[str, Any]:
    """Raise, refresh and resolve the tenant's alerts; return what changed."""
    now = now or utcnow()
    cfg = ensure_settings(session, tenant_id=tenant.id)
    holding, evaluated = _conditions(session, tenant, cfg, now)
    open_alerts = {
        (a.kind, a.subject): a
        for a in session.execute(
            select_owned(MonitoringAlert, tenant.id).where(MonitoringAlert.resolved_at.is_(None))
        ).scalars()
    }
    raised, refreshed, resolved = [], [], []
    for (kind, subject), cond in holding.items():
        alert = open_alerts.get((kind, subject))
        if alert is None:
            alert = MonitoringAlert(
                tenant_id=tenant.id, kind=kind, subject=subject, created_at=now, updated_at=now, **cond
            )
            try:
                with session.begin_nested():
                    session.add(alert)
                    session.flush()
            except IntegrityError:  # another evaluation raised it a moment ago
                continue
            raised.append(alert.id)
            jobs.emit(
                session,
                kind="alert.raised",
                tenant_id=tenant.id,
                payload={
                    "alert_id": alert.id,
                    "kind": kind,
                    "subject": subject,
                    "level": alert.level,
                    "message": alert.message,
                },
            )
        else:
            alert.level, alert.message, alert.details, alert.updated_at = (
                cond["level"],
                cond["message"],
                cond["details"],
                now,
            )
            refreshed.append(alert.id)
    for (kind, subject), alert in open_alerts.items():
        if kind in evaluated and (kind, subject) not in holding:
            alert.resolved_at = now
            alert.updated_at = now
            resolved.append(alert.id)
    if cfg.id is not None:
        session.execute(update(MonitoringSettings).where(MonitoringSettings.id == cfg.id).values(last_evaluated_at=now))
    session.flush()
    return {
        "raised": raised,
        "refreshed": refreshed,
        "resolved": resolved,
        "evaluated": sorted(evaluated),
        "open": len(open_alerts) + len(raised) - len(resolved),
    }
