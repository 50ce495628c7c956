"""Monitoring services: overview, delinquency, model performance, drift, NPA forecast, alerts, settings.

Alert invariant (see ``models.py``): one open alert per (tenant, kind, subject). An evaluation
raises what newly holds (emitting ``alert.raised`` to the outbox), refreshes what still holds and
resolves what no longer holds — only for the kinds it could evaluate (drift needs enough recent
applications; a quiet week never "resolves" a drift alert it could not measure).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import utcnow
from creditdesk.errors import ValidationFailed
from creditdesk.ml import evaluation
from creditdesk.ml.explain import label as feature_label
from creditdesk.monitoring import repository
from creditdesk.monitoring.models import MonitoringAlert, MonitoringSettings
from creditdesk.portfolio import analytics, reports
from creditdesk.portfolio.service import load_book, tenant_today
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker import service as jobs
from creditdesk.worker.models import Job

DECISIONS = ("Approve", "Review", "Reject")
SCORE_BANDS = [(300, 550), (550, 600), (600, 650), (650, 700), (700, 750), (750, 800), (800, 901)]
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


def _zone(tenant: Tenant) -> ZoneInfo:
    return clock.zone(tenant)


def _month(ts: datetime, zone: ZoneInfo) -> str:
    local = ts.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


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


def overview(session: Session, *, tenant: Tenant, months: int = repository.APPROVAL_WINDOW_MONTHS) -> dict[str, Any]:
    """Return approval rate, decisions by outcome and the credit-score distribution per month.

    The window is ``months`` calendar months ending with this one (tenant time); ``months_covered``
    counts the months of that window that hold decisions — the rows of ``months``.
    """
    zone = _zone(tenant)
    since = repository.window_start(today=tenant_today(tenant), zone=zone, months=months)
    rows = repository.applications(session, tenant_id=tenant.id, since=since)
    by_month: dict[str, list[repository.ApplicationRow]] = {}
    for r in rows:
        by_month.setdefault(_month(r.created_at, zone), []).append(r)
    series = []
    for key in sorted(by_month):
        group = by_month[key]
        counts = Counter(r.decision for r in group)
        scores = [r.credit_score for r in group if r.credit_score is not None]
        pds = [r.pd for r in group if r.pd is not None]
        series.append(
            {
                "month": key,
                "applications": len(group),
                "decisions": {d: counts.get(d, 0) for d in DECISIONS},
                "approval_rate": round(counts.get("Approve", 0) / len(group), 6),
                "mean_pd": round(float(np.mean(pds)), 6) if pds else None,
                "mean_credit_score": round(float(np.mean(scores)), 1) if scores else None,
                "credit_score_bands": [
                    {"band": f"{lo}-{min(hi, 900) - (hi <= 900)}", "count": sum(1 for s in scores if lo <= s < hi)}
                    for lo, hi in SCORE_BANDS
                ],
            }
        )
    counts = Counter(r.decision for r in rows)
    approvals = repository.approval_stats(session, tenant_id=tenant.id, since=since)
    return {
        "scoring_available": repository.scoring_available(session),
        "window_months": months,
        "window_from": since,
        "months_covered": len(series),
        "first_decision_at": rows[0].created_at if rows else None,
        "applications": len(rows),
        "approval_rate": approvals["approval_rate"],
        "decisions": {d: counts.get(d, 0) for d in DECISIONS},
        "months": series,
    }


# --------------------------------------------------------------------------------------------------
# what policy thresholds would do (the policy page's preview)


def policy_preview(
    session: Session,
    *,
    tenant: Tenant,
    approve_below: float,
    reject_at: float,
    months: int = repository.APPROVAL_WINDOW_MONTHS,
    last_n: int | None = None,
) -> dict[str, Any]:
    """Replay the window's decisions with other PD thresholds, keeping the knock-outs stored on each.

    Each decision is re-decided with the policy's own rule (knock-outs first, then thresholds) on its
    stored PD and the knock-outs that fired for it. A decision that today's thresholds do not
    reproduce (made under an earlier policy version, or sent to review because no bureau answered)
    is counted as it was decided. So with today's thresholds the preview equals the approval rate
    as decided — the figure Monitoring and Portfolio show for the same window.
    """
    from creditdesk.scoring import policy as policies  # the one decision rule (scoring's)

    current = policies.current(session, tenant_id=tenant.id).config
    proposed = current.model_copy(update={"approve_below_pd": approve_below, "reject_at_or_above_pd": reject_at})
    since = repository.window_start(today=tenant_today(tenant), zone=_zone(tenant), months=months)
    rows = repository.decisions_for_replay(session, tenant_id=tenant.id, since=since, limit=last_n)
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


# --------------------------------------------------------------------------------------------------
# portfolio-derived monitoring


def delinquency(session: Session, *, tenant: Tenant, as_of: date | None, months: int) -> dict[str, Any]:
    """Return the month-end 30+/60+/90+ delinquency trend by count and amount (cached per ledger version)."""
    return reports.delinquency(session, tenant=tenant, as_of=as_of, months=months)


def performance(session: Session, *, tenant: Tenant, as_of: date | None, horizon_months: int) -> dict[str, Any]:
    """Return model performance (AUC, KS, calibration) against realised defaults, by origination month."""
    return reports.performance(session, tenant=tenant, as_of=as_of, horizon_months=horizon_months)


def npa_forecast(session: Session, *, tenant: Tenant, as_of: date | None, horizon_days: int) -> dict[str, Any]:
    """Return loans and amount expected to become NPA within the horizon, by bucket, with the method."""
    return reports.npa_forecast(session, tenant=tenant, as_of=as_of, horizon_days=horizon_days)


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
        "scoring_available": repository.scoring_available(session),
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
    rows = repository.applications(session, tenant_id=tenant.id, since=since, with_features=True)
    result["applications"] = len(rows)
    result["sufficient_data"] = len(rows) >= cfg.drift_min_applications
    if not rows:
        result["note"] = f"No applications in the last {window} days."
        return result
    features = []
    for name, baseline in sorted(champ.baseline.get("features", {}).items()):
        values = [r.features.get(name) for r in rows]
        psi = evaluation.drift(baseline, values)
        features.append(
            {"feature": name, "label": feature_label(name), "psi": round(psi, 6), "level": _level(psi, warn, alert)}
        )
    features.sort(key=lambda f: -f["psi"])
    result["features"] = features
    score_base = champ.baseline.get("score")
    pds = [r.pd for r in rows if r.pd is not None]
    if score_base and pds:
        psi = evaluation.drift(score_base, pds)
        result["score"] = {
            "psi": round(psi, 6),
            "level": _level(psi, warn, alert),
            "mean_pd": round(float(np.mean(pds)), 6),
            "baseline_mean_pd": score_base.get("mean_pd"),
        }
    return result


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


def _conditions(
    session: Session, tenant: Tenant, cfg: MonitoringSettings, now: datetime
) -> tuple[dict[tuple[str, str], dict[str, Any]], set[str]]:
    """Return the alert conditions that hold now, and the kinds that could be evaluated."""
    holding: dict[tuple[str, str], dict[str, Any]] = {}
    evaluated: set[str] = set()
    report = drift(session, tenant=tenant, now=now)
    if report["model"] is not None and report["sufficient_data"]:
        evaluated.add("drift")
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
    book = load_book(session, tenant_id=tenant.id)
    if book.size:
        evaluated.add("npa_ratio")
        npa = analytics.npa_breakdown(book, tenant_today(tenant))
        ratio = npa["gross_npa_ratio"] or 0.0
        if ratio > cfg.npa_ratio_threshold:
            holding[("npa_ratio", "portfolio")] = {
                "level": "critical",
                "message": f"Gross NPA ratio {ratio:.2%} is above the {cfg.npa_ratio_threshold:.2%} threshold "
                f"({npa['groups']['npa']['loans']} NPA loans, ₹{npa['groups']['npa']['outstanding']} outstanding)",
                "details": {"ratio": ratio, "threshold": cfg.npa_ratio_threshold},
            }
    days = cfg.approval_swing_window_days
    recent = repository.applications(session, tenant_id=tenant.id, since=now - timedelta(days=days))
    before = repository.applications(
        session, tenant_id=tenant.id, since=now - timedelta(days=5 * days), until=now - timedelta(days=days)
    )
    if len(recent) >= MIN_SWING_APPLICATIONS and len(before) >= MIN_SWING_APPLICATIONS:
        evaluated.add("approval_rate_swing")
        rate_now = sum(r.decision == "Approve" for r in recent) / len(recent)
        rate_before = sum(r.decision == "Approve" for r in before) / len(before)
        if abs(rate_now - rate_before) >= cfg.approval_swing_threshold:
            direction = "rose" if rate_now > rate_before else "fell"
            holding[("approval_rate_swing", "approval_rate")] = {
                "level": "warning",
                "message": f"Approval rate {direction} from {rate_before:.1%} (previous {4 * days} days) to "
                f"{rate_now:.1%} (last {days} days)",
                "details": {
                    "recent": rate_now,
                    "previous": rate_before,
                    "recent_applications": len(recent),
                    "previous_applications": len(before),
                },
            }
    return holding, evaluated


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
