"""Decide applications: features → knock-outs → model (TreeSHAP) → policy → limit and expected loss.

Invariant (model versions): every stored decision names the model id and version and the policy
version that produced it, and keeps the feature values it was computed from, so it can be replayed.
The same :func:`evaluate` is used for single decisions, batches and stateless scoring.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import new_id
from creditdesk.errors import NotFound, ServiceUnavailable
from creditdesk.kit import idempotency
from creditdesk.kit.pagination import Page, paginate
from creditdesk.ml import explain, registry, scales
from creditdesk.ml.features import feature_row
from creditdesk.ml.model import LoadedModel, RowExplanation
from creditdesk.ml.registry import ModelRef
from creditdesk.scoring import policy as policies
from creditdesk.scoring.models import Application
from creditdesk.scoring.schemas import ApplicationCreate
from creditdesk.tenancy.deps import TenantContext
from creditdesk.tenancy.permissions import Permission
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker import service as jobs

BUREAU_UNAVAILABLE = "Bureau data unavailable"
DECISIONS = Counter("creditdesk_decisions_total", "Credit decisions by outcome", ["decision"])
SCORING_SECONDS = Histogram(
    "creditdesk_scoring_seconds",
    "Model scoring latency (features, predict, SHAP, policy)",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)


@dataclass
class ModelPair:
    """The champion and (optionally) a challenger of a tenant, loaded."""

    champion: ModelRef
    champion_model: LoadedModel
    challenger: ModelRef | None = None
    challenger_model: LoadedModel | None = None


@dataclass
class Evaluation:
    """Everything a decision needs to be stored, returned and replayed."""

    features: dict[str, Any]
    pd: float
    base_value: float
    contributions: list[dict[str, Any]]
    reasons: list[str]
    positive_factors: list[str]
    decision: str
    knockouts: list[dict[str, Any]]
    score: int
    credit_score: int
    expected_loss: Decimal
    credit_limit: Decimal
    model: ModelRef
    challenger: dict[str, Any] | None = None
    bureau_reports: list[dict[str, Any]] = field(default_factory=list)


def load_models(session: Session, *, tenant_id: str) -> ModelPair:
    """Return the tenant's champion (and challenger) ready to score; 503 when no model exists."""
    champ, chall = registry.active_refs(session, tenant_id=tenant_id)
    if champ is None:
        raise ServiceUnavailable("No champion model is available yet: train one and promote it to champion")
    pair = ModelPair(champ, registry.loaded_ref(session, champ))
    if chall is not None and chall.feature_set == "application":
        pair.challenger, pair.challenger_model = chall, registry.loaded_ref(session, chall)
    return pair


def scoring_date(tz: str) -> date:
    """Today in the tenant's time zone (ages are computed as of this date)."""
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _bucket(application_id: str) -> float:
    """A stable number in [0, 1) per application: challenger traffic is deterministic by application."""
    return int(hashlib.sha256(application_id.encode()).hexdigest()[:8], 16) / 2**32


def evaluate(
    *,
    body: ApplicationCreate,
    features: dict[str, Any],
    explanation: RowExplanation,
    active: policies.ActivePolicy,
    model: ModelRef,
    bureau_unavailable: bool = False,
) -> Evaluation:
    """Apply knock-outs, thresholds, limits and expected loss to one explained application."""
    config = active.config
    context = {**features, "monthly_income": body.applicant.monthly_income, "existing_emi": body.applicant.existing_emi}
    fired = policies.knockouts(active, context)
    pd = float(explanation.pd)
    decision = policies.decide(pd, fired, config)
    reasons = explain.reasons(explanation, n=3)
    if bureau_unavailable:
        decision = "Reject" if decision == "Reject" and fired else "Review"
        reasons = [BUREAU_UNAVAILABLE, *[r for r in reasons if r != BUREAU_UNAVAILABLE]][:3]
    if fired:
        reasons = list(dict.fromkeys([f["reason"] for f in fired] + reasons))[: max(3, len(fired))]
    positive = explain.positive_factors(explanation, n=3) if decision == "Approve" else []
    ead = body.loan.amount
    return Evaluation(
        features={k: _clean(v) for k, v in features.items()},
        pd=pd,
        base_value=float(explanation.base_value),
        contributions=explanation.as_list(),
        reasons=reasons,
        positive_factors=positive,
        decision=decision,
        knockouts=fired,
        score=scales.score(pd),
        credit_score=scales.credit_score(pd),
        expected_loss=policies.expected_loss(pd, ead, config.lgd),
        credit_limit=policies.credit_limit(
            decision=decision,
            monthly_income=body.applicant.monthly_income,
            existing_emi=body.applicant.existing_emi,
            annual_rate_pct=body.loan.interest_rate,
            tenure_months=body.loan.tenure_months,
            config=config,
        ),
        model=model,
    )


def _shadow(
    ref: ModelRef,
    model: LoadedModel,
    features: dict[str, Any],
    result: Evaluation,
    active: policies.ActivePolicy,
    role: str,
) -> dict[str, Any]:
    """The other model's PD and decision on the same features (knock-outs do not depend on the model)."""
    pd = model.predict_row(features)
    return {
        "model_id": ref.id,
        "version": ref.version,
        "pd": pd,
        "decision": policies.decide(pd, result.knockouts, active.config),
        "role": role,
    }


def _bureau_block(session: Session, ctx: TenantContext, body: ApplicationCreate) -> tuple[dict[str, Any], bool, list]:
    """Return (application dict with the bureau block to score on, bureau unavailable?, pull summaries)."""
    data = body.model_dump(mode="json", exclude_none=True)
    if not body.pull_bureaus:
        return data, False, []
    from creditdesk.bureaus.service import pull_for_application

    outcome = pull_for_application(
        session,
        tenant_id=ctx.tenant_id,
        requested=body.pull_bureaus,
        pan=body.applicant.pan,
        applicant=data["applicant"],
    )
    if outcome.merged is not None:
        data["bureau"] = {**data.get("bureau", {}), **{k: v for k, v in outcome.merged.items() if v is not None}}
        if outcome.merged.get("score") is None:  # every bureau answered "no record": new to credit
            data["bureau"].pop("score", None)
    return data, outcome.all_failed, outcome.results


def decide_application(
    session: Session, *, ctx: TenantContext, body: ApplicationCreate, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Decide and store one application; return (response body, replayed?)."""
    payload = body.model_dump(mode="json")
    if idempotency_key:
        replay = idempotency.claim(
            session, tenant_id=ctx.tenant_id, key=idempotency_key, body_hash=idempotency.request_hash(payload)
        )
        if replay is not None:
            return replay, True
    started = time.perf_counter()
    active = policies.current(session, tenant_id=ctx.tenant_id)
    pair = load_models(session, tenant_id=ctx.tenant_id)
    app_dict, bureau_unavailable, pulls = _bureau_block(session, ctx, body)
    features = feature_row(app_dict, as_of=scoring_date(ctx.tenant.timezone))
    application = Application(id=new_id(), tenant_id=ctx.tenant_id)
    live, role = pair.champion, "shadow"
    live_model = pair.champion_model
    if (
        pair.challenger is not None
        and pair.challenger.traffic > 0
        and _bucket(application.id) < pair.challenger.traffic
    ):
        live, live_model, role = pair.challenger, pair.challenger_model, "champion_shadow"
    result = evaluate(
        body=body,
        features=features,
        explanation=live_model.explain_row(features),
        active=active,
        model=live,
        bureau_unavailable=bureau_unavailable,
    )
    if role == "champion_shadow":
        result.challenger = _shadow(pair.champion, pair.champion_model, features, result, active, role)
    elif pair.challenger is not None and pair.challenger_model is not None:
        result.challenger = _shadow(pair.challenger, pair.challenger_model, features, result, active, "shadow")
    result.bureau_reports = pulls
    SCORING_SECONDS.observe(time.perf_counter() - started)
    _store(session, application, ctx=ctx, body=body, payload=payload, result=result, active=active)
    response = decision_response(application)
    if idempotency_key:
        idempotency.store(session, tenant_id=ctx.tenant_id, key=idempotency_key, response=response)
    return response, False


def _store(
    session: Session,
    application: Application,
    *,
    ctx: TenantContext,
    body: ApplicationCreate,
    payload: dict[str, Any],
    result: Evaluation,
    active: policies.ActivePolicy,
    batch_id: str | None = None,
) -> None:
    application.external_ref = body.external_ref
    application.applicant_name = body.applicant.name
    application.created_by = ctx.caller.id
    application.batch_id = batch_id
    application.request = payload
    application.features = result.features
    application.loan_amount = body.loan.amount
    application.pd = result.pd
    application.score = result.score
    application.credit_score = result.credit_score
    application.decision = result.decision
    application.reasons = result.reasons
    application.positive_factors = result.positive_factors
    application.contributions = result.contributions
    application.base_value = result.base_value
    application.expected_loss = result.expected_loss
    application.credit_limit = result.credit_limit
    application.model_id = result.model.id
    application.model_version = result.model.version
    application.policy_version = active.version
    application.knockouts = result.knockouts
    application.bureau_reports = result.bureau_reports
    application.challenger = result.challenger
    session.add(application)  # flushed with the audit event (one unit of work)
    DECISIONS.labels(result.decision).inc()
    jobs.emit(
        session,
        kind="application.decided",
        tenant_id=ctx.tenant_id,
        payload={
            "application_id": application.id,
            "external_ref": body.external_ref,
            "decision": result.decision,
            "pd": result.pd,
            "score": result.score,
        },
    )
    # last: the audit append takes the chain lock, held until commit
    if batch_id is None:
        audit.record(
            session,
            actor=ctx.caller,
            shard_key=application.id,  # decisions spread over the tenant's audit sub-chains
            action="application.decided",
            tenant_id=ctx.tenant_id,
            resource_type="application",
            resource_id=application.id,
            details={
                "decision": result.decision,
                "pd": round(result.pd, 6),
                "model_version": result.model.version,
                "policy_version": active.version,
                "external_ref": body.external_ref,
            },
        )


def decision_response(app: Application) -> dict[str, Any]:
    """The §5 decision body of a stored application."""
    return {
        "application_id": app.id,
        "external_ref": app.external_ref,
        "score": app.score,
        "credit_score": app.credit_score,
        "pd": app.pd,
        "decision": app.decision,
        "shap_explanation": app.reasons,
        "positive_factors": app.positive_factors or [],
        "contributions": app.contributions,
        "base_value": app.base_value,
        "expected_loss": str(app.expected_loss),
        "credit_limit": str(app.credit_limit),
        "model": {"id": app.model_id, "version": app.model_version},
        "policy_version": app.policy_version,
        "knockouts": app.knockouts or [],
        "bureau_reports": app.bureau_reports or [],
        "created_at": app.created_at.isoformat(),
    }


def _visible(ctx: TenantContext) -> Any:
    stmt = select_owned(Application, ctx.tenant_id)
    if not ctx.caller.can(Permission.APPLICATIONS_READ):  # field officers see the decisions they created
        stmt = stmt.where(Application.created_by == ctx.caller.id)
    return stmt


def get_application(session: Session, *, ctx: TenantContext, application_id: str) -> dict[str, Any]:
    """Return a stored decision (404 outside the tenant, or for another officer's application)."""
    app = get_owned(session, Application, application_id, ctx.tenant_id, what="Application")
    if not ctx.caller.can(Permission.APPLICATIONS_READ) and app.created_by != ctx.caller.id:
        raise NotFound("Application not found")
    return decision_response(app)


def list_applications(
    session: Session,
    *,
    ctx: TenantContext,
    external_ref: str | None,
    decision: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    limit: int,
    offset: int,
) -> Page[dict[str, Any]]:
    """List decisions, newest first, with filters."""
    stmt = _visible(ctx)
    if external_ref:
        stmt = stmt.where(Application.external_ref == external_ref)
    if decision:
        stmt = stmt.where(Application.decision == decision)
    if created_from:
        stmt = stmt.where(Application.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Application.created_at < created_to)
    page = paginate(session, stmt.order_by(Application.created_at.desc()), limit=limit, offset=offset)
    items = [
        {
            "application_id": a.id,
            "external_ref": a.external_ref,
            "applicant_name": a.applicant_name,
            "decision": a.decision,
            "score": a.score,
            "credit_score": a.credit_score,
            "pd": a.pd,
            "loan_amount": a.loan_amount,
            "model": {"id": a.model_id, "version": a.model_version},
            "policy_version": a.policy_version,
            "created_at": a.created_at,
            "created_by": a.created_by,
        }
        for a in page.items
    ]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


def score_stateless(session: Session, *, ctx: TenantContext, bodies: list[ApplicationCreate]) -> list[dict[str, Any]]:
    """Score without storing anything but one audit record (PD, decision, expected loss, reasons)."""
    active = policies.current(session, tenant_id=ctx.tenant_id)
    pair = load_models(session, tenant_id=ctx.tenant_id)
    as_of = scoring_date(ctx.tenant.timezone)
    out = []
    for body in bodies:
        app_dict, unavailable, _ = _bureau_block(session, ctx, body)
        features = feature_row(app_dict, as_of=as_of)
        r = evaluate(
            body=body,
            features=features,
            explanation=pair.champion_model.explain_row(features),
            active=active,
            model=pair.champion,
            bureau_unavailable=unavailable,
        )
        out.append(
            {
                "pd": r.pd,
                "score": r.score,
                "credit_score": r.credit_score,
                "decision": r.decision,
                "expected_loss": r.expected_loss,
                "reasons": r.reasons,
                "model": {"id": pair.champion.id, "version": pair.champion.version},
                "policy_version": active.version,
            }
        )
    audit.record(
        session,
        actor=ctx.caller,
        action="score.stateless",
        tenant_id=ctx.tenant_id,
        details={
            "count": len(out),
            "decisions": {d: sum(1 for o in out if o["decision"] == d) for d in ("Approve", "Review", "Reject")},
        },
    )
    return out


def recent_pds(session: Session, *, tenant_id: str, last_n: int) -> list[float]:
    """PDs of the tenant's most recent decisions (for policy previews)."""
    stmt = select_owned(Application, tenant_id).order_by(Application.created_at.desc()).limit(last_n)
    return list(session.execute(stmt.with_only_columns(Application.pd)).scalars())


def policy_preview(
    session: Session, *, tenant_id: str, approve_below: float, reject_at: float, last_n: int
) -> dict[str, Any]:
    """What approval rate the thresholds would give on recent applications (knock-outs not re-run)."""
    pds = recent_pds(session, tenant_id=tenant_id, last_n=last_n)
    current_cfg = policies.current(session, tenant_id=tenant_id).config
    n = len(pds) or 1
    approve = sum(1 for p in pds if p < approve_below)
    reject = sum(1 for p in pds if p >= reject_at)
    return {
        "applications": len(pds),
        "approve_rate": approve / n,
        "reject_rate": reject / n,
        "review_rate": (len(pds) - approve - reject) / n,
        "current_approve_rate": sum(1 for p in pds if p < current_cfg.approve_below_pd) / n,
    }
