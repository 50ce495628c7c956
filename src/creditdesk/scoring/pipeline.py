"""The one decision pipeline: prepare → explain → evaluate → store.

Single applications (``POST …/applications``), batches (the ``batch.score`` job), stateless what-if
scoring (``POST …/score``) and demo seeding all run these same steps:

- :func:`runtime` — the tenant's policy and champion/challenger, cached per process (no query while
  nothing changed);
- :func:`prepare` — bureau pulls (the only step that does I/O) and the application block scored on;
- :func:`explain_one` / :func:`explain_many` — features and exact TreeSHAP, one row or vectorised;
- :func:`decide` — knock-outs, thresholds, limit, expected loss and the challenger's shadow decision;
- :func:`record` and :func:`store` — the application row, its audit event, its outbox event and the
  idempotency record, written with bulk Core statements in the caller's transaction (the request path
  hands records to the group-commit writer in ``scoring/writer.py`` instead of writing itself).

Invariant (personal data): the applicant's identifying fields are sealed once per decision (one
AES-GCM encryption in :func:`record`) into ``application.identity``; the row's ``request`` and
``inputs`` and the stored idempotency response keep everything else in clear, so readers of scores,
features and inputs need no key. :func:`decision_response` and :func:`open_response` put them back.

Invariant (model versions): every stored decision names the model id and version and the policy
version that produced it, and keeps the feature values it was computed from, so it can be replayed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from prometheus_client import Counter, Histogram
from sqlalchemy import insert
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.bureaus.application_pulls import pull_for_application
from creditdesk.bureaus.config import cached_enabled_bureaus, enabled_bureaus
from creditdesk.db import utcnow
from creditdesk.errors import AppError, Conflict, Forbidden, ServiceUnavailable
from creditdesk.events import service as events
from creditdesk.events.schemas import ApplicationDecided, EventType
from creditdesk.idempotency import service as idempotency
from creditdesk.kit.crypto import pan_hash, personal_data_box
from creditdesk.ml import explain, registry, scales
from creditdesk.ml.features import BUREAU_FEATURES, build_frame, feature_row
from creditdesk.ml.model import LoadedModel, RowExplanation
from creditdesk.ml.registry import ModelRef
from creditdesk.scoring import policy as policies
from creditdesk.scoring.models import Application, identity_aad, join_identity, open_identity, split_identity
from creditdesk.scoring.schemas import ApplicationCreate, BureauPullRule, BureauStatus, Decision, PolicyIn
from creditdesk.tenancy import clock
from creditdesk.worker.models import OutboxEvent

DECIDED: EventType = "application.decided"
BUREAU_UNAVAILABLE = "Bureau data unavailable"
DECISIONS = Counter("creditdesk_decisions_total", "Credit decisions by outcome", ["decision"])
SCORING_SECONDS = Histogram(
    "creditdesk_scoring_seconds",
    "Model scoring latency (features, predict, SHAP, policy)",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)


# ---- runtime: what a tenant's decisions need, cached ------------------------------------------------


@dataclass(frozen=True)
class ModelPair:
    """The champion and (optionally) a challenger of a tenant, loaded."""

    champion: ModelRef
    champion_model: LoadedModel
    challenger: ModelRef | None = None
    challenger_model: LoadedModel | None = None


@dataclass(frozen=True)
class Runtime:
    """The policy in force and the models of one tenant, ready to decide."""

    policy: policies.ActivePolicy
    models: ModelPair


def runtime(session: Session | None, *, tenant_id: str) -> Runtime | None:
    """The tenant's decision runtime; from the process caches only when ``session`` is None (None if stale).

    With a session, whatever is stale is re-read; 503 when the tenant has no champion model.
    """
    if session is None:
        active, refs = policies.cached(tenant_id), registry.cached_refs(tenant_id)
    else:
        active, refs = (
            policies.current(session, tenant_id=tenant_id),
            registry.active_refs(session, tenant_id=tenant_id),
        )
    if active is None or refs is None:
        return None
    champ, chall = refs
    if champ is None:
        raise ServiceUnavailable("No champion model is available yet: train one and promote it to champion")
    if chall is not None and chall.feature_set != "application":
        chall = None  # a model trained on a custom dataset cannot score applications, not even in shadow
    loaded = [registry.cached_model(r) if session is None else registry.loaded_ref(session, r) for r in (champ, chall)]
    if loaded[0] is None or (chall is not None and loaded[1] is None):
        return None
    return Runtime(active, ModelPair(champ, loaded[0], chall, loaded[1]))


def scoring_date(tz: str) -> date:
    """Today in the tenant's time zone (ages are computed as of this date)."""
    return clock.today(tz)


# ---- prepare ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """One application ready to explain: the block scored on and what the bureaus said.

    ``bureau_status``: see ``DecisionOut.bureau_status``.
    """

    body: ApplicationCreate
    data: dict[str, Any]
    bureau_status: BureauStatus = "none"
    pulls: tuple[dict[str, Any], ...] = ()

    @property
    def bureau_unavailable(self) -> bool:
        return self.bureau_status == "unavailable"


def known_policy_bureaus(tenant_id: str, rule: BureauPullRule | None) -> list[str] | None:
    """The policy's bureaus without a query (None: the tenant's enabled set must be re-read)."""
    if rule is None:
        return []
    if rule.bureaus is not None:
        return list(rule.bureaus)
    return cached_enabled_bureaus(tenant_id)


def policy_bureaus(session: Session, *, tenant_id: str, rule: BureauPullRule) -> list[str]:
    """The bureaus the policy pulls: its list, or every bureau the tenant has enabled."""
    if rule.bureaus is not None:
        return list(rule.bureaus)
    return enabled_bureaus(session, tenant_id=tenant_id)


def needs_session(
    bodies: list[ApplicationCreate], *, policy_set: list[str] | None, by_policy: bool = True, may_narrow: bool = True
) -> bool:
    """Whether preparing these bodies needs a session and I/O (run :func:`prepare` off the event loop).

    True when a body with a PAN is to be pulled — as it asks, or as the policy says when it does not
    ask (``by_policy``) — or when the policy's bureaus (``policy_set``, None if not cached) must be read.
    """
    for b in bodies:
        if b.applicant.pan is None:
            continue
        if b.pull_bureaus:
            return True
        if not by_policy or (b.pull_bureaus is not None and may_narrow):
            continue
        if policy_set is None or (b.pull_bureaus is None and policy_set):
            return True
    return False


def narrows(requested: Sequence[str] | None, policy_set: list[str]) -> list[str]:
    """The policy's bureaus a request's ``pull_bureaus`` leaves out (nothing when it is not given)."""
    if requested is None:
        return []
    return [b for b in policy_set if b not in requested]


def narrowing_refused(missing: list[str]) -> Forbidden:
    return Forbidden(
        f"pull_bureaus leaves out {', '.join(missing)}, which the credit policy pulls for every applicant with a "
        "PAN; only users with the applications:choose_bureaus permission may narrow it. Leave pull_bureaus out "
        "to pull what the policy says."
    )


def prepare(
    session: Session | None,
    *,
    tenant_id: str,
    bodies: list[ApplicationCreate],
    rule: BureauPullRule | None,
    may_narrow: bool = True,
    policy_set: list[str] | None = None,
) -> list[Prepared]:
    """Pull each application's bureaus (needs a session) and merge their data into it.

    Which bureaus: the request's ``pull_bureaus`` when given (403 without the permission when it
    leaves out one the policy pulls, unless ``may_narrow``), else the policy's ``rule`` (None: pull
    nothing unasked, as the what-if ``/score`` does). Pulled values replace typed ones. An applicant
    with a PAN whose bureaus could not be reached — or who should have been pulled while the tenant has
    no bureau enabled and sent no bureau data — is ``unavailable``, never silently new to credit.
    """
    out = []
    for body in bodies:
        data = body.model_dump(mode="json", exclude_none=True, exclude={"pull_bureaus"})
        typed = bool(data.get("bureau"))
        if body.applicant.pan is None:  # nothing can be pulled without a PAN (a requested pull is a 422)
            out.append(Prepared(body, data, "supplied" if typed else "none"))
            continue
        targets: list[str] = []
        if rule is not None and (body.pull_bureaus is None or not may_narrow):
            if policy_set is None:
                assert session is not None, "the policy's bureau set reads the tenant's configuration"
                policy_set = policy_bureaus(session, tenant_id=tenant_id, rule=rule)
            missing = narrows(body.pull_bureaus, policy_set)
            if missing and not may_narrow:
                raise narrowing_refused(missing)
            targets = policy_set
        if body.pull_bureaus is not None:
            targets = list(body.pull_bureaus)
        if not targets:
            by_policy = body.pull_bureaus is None and rule is not None
            status: BureauStatus = "supplied" if typed else ("unavailable" if by_policy else "none")
            out.append(Prepared(body, data, status))
            continue
        assert session is not None, "bureau pulls read the tenant's configuration"
        outcome = pull_for_application(
            session, tenant_id=tenant_id, requested=targets, pan=body.applicant.pan, applicant=data["applicant"]
        )
        status = "unavailable" if outcome.all_failed else "pulled"
        if outcome.merged is not None:
            merged = {k: v for k, v in outcome.merged.items() if v is not None}
            data["bureau"] = {**data.get("bureau", {}), **merged}
            if outcome.merged.get("score") is None:  # every bureau answered "no record": new to credit
                data["bureau"].pop("score", None)
                status = "no_record"
        out.append(Prepared(body, data, status, tuple(outcome.results)))
    return out


# ---- explain and decide -----------------------------------------------------------------------------


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
    adverse_reasons: list[dict[str, Any]] = field(default_factory=list)
    bureau_status: BureauStatus = "none"
    inputs: dict[str, Any] | None = None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def evaluate(
    *,
    body: ApplicationCreate,
    features: dict[str, Any],
    explanation: RowExplanation,
    active: policies.ActivePolicy,
    model: ModelRef,
    bureau_status: BureauStatus = "none",
    reference: dict[str, float] | None = None,
) -> Evaluation:
    """Apply knock-outs, thresholds, limits and expected loss to one explained application.

    The texts (``reasons``, the §5 ``shap_explanation``): for Review/Reject the knock-outs' reasons,
    "Bureau data unavailable" when it applies, then the adverse-action reasons — or "No significant
    adverse factor"; for Approve the key factors in the applicant's favour. ``adverse_reasons`` (Review
    and Reject only) are costs against ``reference`` above the policy's minimum size, largest first.
    """
    config = active.config
    unavailable = bureau_status == "unavailable"
    context = {**features, "monthly_income": body.applicant.monthly_income, "existing_emi": body.applicant.existing_emi}
    fired = policies.knockouts(active, context)
    pd = float(explanation.pd)
    decision = policies.decide(pd, fired, config)
    if unavailable:  # never decided as new to credit: a person looks at it (a knock-out's Reject stands)
        decision = "Reject" if decision == "Reject" and fired else "Review"
    reasons, positive, adverse = _reasons(
        explanation, decision=decision, fired=fired, unavailable=unavailable, reference=reference, config=config
    )
    ead = body.loan.amount
    return Evaluation(
        features={k: _clean(v) for k, v in features.items()},
        pd=pd,
        base_value=float(explanation.base_value),
        contributions=[{**c, "label": explain.label(c["feature"])} for c in explanation.as_list()],
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
        adverse_reasons=adverse,
        bureau_status=bureau_status,
    )


def _reasons(
    explanation: RowExplanation,
    *,
    decision: str,
    fired: list[dict[str, Any]],
    unavailable: bool,
    reference: dict[str, float] | None,
    config: PolicyIn,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The decision's texts, the factors in the applicant's favour and the adverse reasons (see :func:`evaluate`)."""
    if decision == "Approve":
        positive = explain.positive_factors(explanation, n=3)
        return positive or [explain.NO_SIGNIFICANT_ADVERSE], positive, []
    adverse = explain.adverse_reasons(
        explanation,
        reference=reference,
        min_impact=config.adverse_reason_min_impact,
        exclude=BUREAU_FEATURES if unavailable else (),
    )
    lead = [f["reason"] for f in fired] + ([BUREAU_UNAVAILABLE] if unavailable else [])
    texts = list(dict.fromkeys(lead + [a["reason"] for a in adverse]))
    return texts[: max(3, len(lead))] or [explain.NO_SIGNIFICANT_ADVERSE], [], adverse


@dataclass(frozen=True)
class Explained:
    """One prepared application with its features and the live model's explanation."""

    prepared: Prepared
    features: dict[str, Any]
    explanation: RowExplanation


def explain_one(model: LoadedModel, item: Prepared, *, as_of: date) -> Explained:
    """Features and exact TreeSHAP for one application (the real-time path)."""
    features = feature_row(item.data, as_of=as_of)
    return Explained(item, features, model.explain_row(features))


def explain_many(model: LoadedModel, items: list[Prepared], *, as_of: date) -> list[Explained]:
    """Features and TreeSHAP for many applications at once (vectorised)."""
    if not items:
        return []
    frame = build_frame([p.data for p in items], as_of=as_of)
    explained = model.explain(frame)
    records = frame.to_dict(orient="records")
    return [Explained(p, records[i], explained.row(i)) for i, p in enumerate(items)]


def _bucket(application_id: str) -> float:
    """A stable number in [0, 1) per application: challenger traffic is deterministic by application."""
    return int(hashlib.sha256(application_id.encode()).hexdigest()[:8], 16) / 2**32


def live_model(rt: Runtime, application_id: str) -> tuple[ModelRef, LoadedModel, bool]:
    """Which model decides this application: the challenger for its traffic share, else the champion."""
    pair = rt.models
    if (
        pair.challenger is not None
        and pair.challenger.traffic > 0
        and _bucket(application_id) < pair.challenger.traffic
    ):
        assert pair.challenger_model is not None
        return pair.challenger, pair.challenger_model, True
    return pair.champion, pair.champion_model, False


def decide(
    rt: Runtime, item: Explained, *, model: ModelRef, challenger_live: bool = False, shadow: bool = True
) -> Evaluation:
    """Knock-outs, thresholds, limit and expected loss; the other model's PD and decision in ``shadow``."""
    p = item.prepared
    pair = rt.models
    loaded = pair.challenger_model if challenger_live else pair.champion_model
    result = evaluate(
        body=p.body,
        features=item.features,
        explanation=item.explanation,
        active=rt.policy,
        model=model,
        bureau_status=p.bureau_status,
        reference=loaded.reason_reference if loaded is not None else None,
    )
    other_model = None
    if shadow and challenger_live:
        other_model = (pair.champion, pair.champion_model, "champion_shadow")
    elif shadow and pair.challenger is not None and pair.challenger_model is not None:
        other_model = (pair.challenger, pair.challenger_model, "shadow")
    if other_model is not None:
        ref, other, role = other_model
        pd = other.predict_row(item.features)
        result.challenger = {
            "model_id": ref.id,
            "version": ref.version,
            "pd": pd,
            "decision": policies.decide(pd, result.knockouts, rt.policy.config),
            "role": role,
        }
    result.bureau_reports = list(p.pulls)
    result.inputs = p.data
    return result


def what_if(result: Evaluation, rt: Runtime) -> dict[str, Any]:
    """The stateless ``/score`` answer of an evaluation."""
    return {
        "pd": result.pd,
        "score": result.score,
        "credit_score": result.credit_score,
        "decision": result.decision,
        "expected_loss": result.expected_loss,
        "reasons": result.reasons,
        "model": {"id": result.model.id, "version": result.model.version},
        "policy_version": rt.policy.version,
    }


# ---- records and storage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who asked for the decision (an Identity or a system actor): recorded on the row and the audit event."""

    actor: Any
    tenant_id: str


@dataclass
class DecisionRecord:
    """Everything one stored decision writes: its row, audit event, outbox event and idempotency record."""

    application: dict[str, Any]
    audit: audit.PendingEvent
    outbox: dict[str, Any]
    response: dict[str, Any]
    idempotency: tuple[str, str] | None = None  # (key, request hash)


@dataclass(frozen=True)
class Stored:
    """The answer to one stored (or replayed) decision."""

    response: dict[str, Any]
    replayed: bool = False


#: The application columns an :class:`Evaluation` fills under the same name (``inputs`` is stored
#: without the applicant's identity, so it is written apart).
EVALUATION_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in fields(Evaluation) if f.name in Application.__table__.columns and f.name != "inputs"
)


@dataclass(frozen=True)
class _Decided:
    """One decision being recorded: what its row, audit event and outbox event are built from."""

    application_id: str
    caller: Caller
    body: ApplicationCreate
    result: Evaluation
    rt: Runtime
    batch_id: str | None
    now: datetime


def _application_row(d: _Decided, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The application row (the applicant's identity sealed into it) and the identity in clear."""
    box = personal_data_box()
    request, identity = split_identity(payload)
    inputs, _ = split_identity(d.result.inputs)
    tenant_id = d.caller.tenant_id
    row = {
        "id": d.application_id,
        "tenant_id": tenant_id,
        "created_at": d.now,
        "external_ref": d.body.external_ref,
        "identity": box.seal_json(identity, identity_aad(tenant_id, d.application_id)) if identity else None,
        "pan_hash": pan_hash(box, tenant_id, d.body.applicant.pan),
        "created_by": d.caller.actor.id,
        "batch_id": d.batch_id,
        "request": request,
        "loan_amount": d.body.loan.amount,
        "model_id": d.result.model.id,
        "model_version": d.result.model.version,
        "policy_version": d.rt.policy.version,
        "inputs": inputs,
        **{name: getattr(d.result, name) for name in EVALUATION_COLUMNS},
    }
    return row, identity


def _decided_event(d: _Decided) -> audit.PendingEvent:
    """The decision's audit event."""
    return audit.PendingEvent(
        actor=d.caller.actor,
        action=DECIDED,
        tenant_id=d.caller.tenant_id,
        resource_type="application",
        resource_id=d.application_id,
        shard_key=d.application_id,  # decisions spread over the tenant's audit sub-chains
        details={
            "decision": d.result.decision,
            "pd": round(d.result.pd, 6),
            "model_version": d.result.model.version,
            "policy_version": d.rt.policy.version,
            "external_ref": d.body.external_ref,
            **({"batch_id": d.batch_id} if d.batch_id else {}),
        },
    )


def _decided_outbox(d: _Decided) -> dict[str, Any]:
    """The decision's outbox row (``application.decided``: consumers, the broker and webhooks)."""
    data = ApplicationDecided(
        application_id=d.application_id,
        external_ref=d.body.external_ref,
        decision=cast(Decision, d.result.decision),
        pd=d.result.pd,
        score=d.result.score,
    )
    return events.event_row(tenant=d.caller.tenant_id, type=DECIDED, data=data, occurred_at=d.now)


def record(
    *,
    application_id: str,
    caller: Caller,
    body: ApplicationCreate,
    payload: dict[str, Any],
    result: Evaluation,
    rt: Runtime,
    batch_id: str | None = None,
    idempotency_key: tuple[str, str] | None = None,
) -> DecisionRecord:
    """Build the rows of one decision (nothing is written here); the applicant's identity is sealed here."""
    decided = _Decided(application_id, caller, body, result, rt, batch_id, utcnow())
    row, identity = _application_row(decided, payload)
    response = decision_response(row, identity=identity)
    return DecisionRecord(row, _decided_event(decided), _decided_outbox(decided), response, idempotency_key)


def decision_response(app: Any, *, identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """The §5 decision body of a stored application (an ORM row or the row's values).

    ``identity``: the applicant's identifying fields when the caller has them (else they are opened).
    """

    def get(key: str) -> Any:
        return app.get(key) if isinstance(app, dict) else getattr(app, key)

    if identity is None:
        identity = open_identity(personal_data_box(), app)
    inputs = get("inputs")
    return {
        "application_id": get("id"),
        "external_ref": get("external_ref"),
        "score": get("score"),
        "credit_score": get("credit_score"),
        "pd": get("pd"),
        "decision": get("decision"),
        "shap_explanation": get("reasons"),
        "positive_factors": get("positive_factors") or [],
        "contributions": [
            c if "label" in c else {**c, "label": explain.label(c["feature"])} for c in get("contributions") or []
        ],
        "base_value": get("base_value"),
        "expected_loss": str(get("expected_loss")),
        "credit_limit": str(get("credit_limit")),
        "model": {"id": get("model_id"), "version": get("model_version")},
        "policy_version": get("policy_version"),
        "knockouts": get("knockouts") or [],
        "bureau_reports": get("bureau_reports") or [],
        "bureau_status": get("bureau_status"),
        "adverse_reasons": get("adverse_reasons") or [],
        "inputs": (
            join_identity(inputs, identity, with_empty=False)
            if inputs
            else _request_inputs(join_identity(get("request"), identity))
        ),
        "created_at": get("created_at").isoformat(),
    }


#: where a stored idempotency response keeps the decision's sealed identity (never sent to a client)
_SEALED = "_identity"


def _sealed_response(rec: DecisionRecord) -> dict[str, Any]:
    """The response as the idempotency record keeps it: inputs without identity, the row's ciphertext beside."""
    inputs, _ = split_identity(rec.response.get("inputs"))
    return {**rec.response, "inputs": inputs, _SEALED: rec.application["identity"]}


def open_response(stored: dict[str, Any], *, tenant_id: str) -> dict[str, Any]:
    """The response a stored idempotency record replays, its applicant's identity put back."""
    if _SEALED not in stored:  # stored before identities were sealed
        return stored
    response = {k: v for k, v in stored.items() if k != _SEALED}
    token = stored[_SEALED]
    if token:
        identity = personal_data_box().open_json(token, identity_aad(tenant_id, response["application_id"]))
        response["inputs"] = join_identity(response.get("inputs"), identity, with_empty=False)
    return response


def _request_inputs(request: dict[str, Any] | None) -> dict[str, Any] | None:
    """Inputs of a decision stored before ``inputs`` existed: the request as sent."""
    if not request:
        return None
    return {k: v for k, v in request.items() if k != "pull_bureaus" and v is not None}


def _claim_keys(session: Session, records: list[DecisionRecord]) -> dict[int, Stored | AppError]:
    """Claim the records' idempotency keys (in key order, so concurrent writers cannot deadlock).

    A key already used (and not expired) is not stored again: its decision is not written and the
    first response is replayed — or 409 when the body differs.
    """
    answered: dict[int, Stored | AppError] = {}
    keyed = sorted(
        ((i, r.application["tenant_id"], r.idempotency) for i, r in enumerate(records) if r.idempotency is not None),
        key=lambda item: (item[1], item[2][0]),
    )
    now = utcnow()
    for i, tenant_id, (key, body_hash) in keyed:
        first = idempotency.claim(
            session,
            tenant_id=tenant_id,
            key=key,
            body_hash=body_hash,
            response=_sealed_response(records[i]),
            now=now,
        )
        if first is None:
            continue
        if first.request_hash != body_hash:
            answered[i] = Conflict(idempotency.REUSED)
        else:
            answered[i] = Stored(open_response(first.response or {}, tenant_id=tenant_id), replayed=True)
    return answered


def store(session: Session, records: list[DecisionRecord]) -> list[Stored | AppError]:
    """Write decisions in the caller's transaction: bulk inserts for rows, audit events and outbox events.

    Returns one outcome per record: the stored response, a replay of an idempotency key's first
    response, or the error to raise (409 for a key reused with another body).
    """
    answered = _claim_keys(session, records)
    fresh = [r for i, r in enumerate(records) if i not in answered]
    if fresh:
        conn = session.connection()  # Core executemany: no ORM bookkeeping for rows nobody loads back
        conn.execute(insert(Application), [r.application for r in fresh])
        conn.execute(insert(OutboxEvent), [r.outbox for r in fresh])
        audit.append_many(session, [r.audit for r in fresh])
        for r in fresh:
            DECISIONS.labels(r.application["decision"]).inc()
    return [answered.get(i) or Stored(r.response) for i, r in enumerate(records)]
