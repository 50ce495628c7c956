"""Decide applications (the request path of the pipeline in ``pipeline.py``), read stored decisions.

The request path does no database work of its own while the tenant's runtime is cached: features,
TreeSHAP and policy run on the event loop (well under a millisecond), bureau pulls and cache misses in
one worker-thread hop, and the decision's rows go to the process's group-commit writer
(``kit/groupcommit.py``), which answers after the commit. ``POST …/score`` is a pure function: no
storage, no lock, no audit row.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from creditdesk.db import get_database, new_id
from creditdesk.errors import AppError
from creditdesk.idempotency import service as idempotency
from creditdesk.kit import singleflight
from creditdesk.kit.crypto import pan_hashes, personal_data_box
from creditdesk.kit.groupcommit import writer_for
from creditdesk.kit.pagination import Page, paginate
from creditdesk.scoring import approvals, pipeline
from creditdesk.scoring.models import Application, open_identity
from creditdesk.scoring.pipeline import SCORING_SECONDS, Runtime, decision_response
from creditdesk.scoring.schemas import ApplicationCreate, BureauPullRule
from creditdesk.tenancy.deps import TenantContext
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import Permission
from creditdesk.tenancy.scope import get_visible, select_visible


def _load_runtime(tenant_id: str) -> Runtime:
    """Re-read what the runtime caches miss, in a short read transaction (a worker thread)."""
    with get_database().session(read_only=True) as session:
        rt = pipeline.runtime(session, tenant_id=tenant_id)
        assert rt is not None
        return rt


def _prepare_with_pulls(
    tenant_id: str, bodies: list[ApplicationCreate], rule: BureauPullRule | None, may_narrow: bool
) -> list[pipeline.Prepared]:
    """Pull bureaus (real HTTP) with the tenant's configuration, in a worker thread."""
    with get_database().session(read_only=True) as session:
        return pipeline.prepare(session, tenant_id=tenant_id, bodies=bodies, rule=rule, may_narrow=may_narrow)


async def _runtime_and_prepared(
    ctx: TenantContext, bodies: list[ApplicationCreate], *, by_policy: bool
) -> tuple[Runtime, list[Any]]:
    """The runtime and the prepared bodies; ``by_policy``: pull what the policy says when a body does not say."""
    rt = pipeline.runtime(None, tenant_id=ctx.tenant_id)
    if rt is None:  # concurrent misses share one lookup
        rt = await singleflight.run_once(("decision-runtime", ctx.tenant_id), _load_runtime, ctx.tenant_id)
    rule = rt.policy.config.bureau_pull if by_policy else None
    may_narrow = ctx.caller.can(Permission.APPLICATIONS_CHOOSE_BUREAUS)
    known = pipeline.known_policy_bureaus(ctx.tenant_id, rule)
    if pipeline.needs_session(bodies, policy_set=known, by_policy=by_policy, may_narrow=may_narrow):
        return rt, await to_thread.run_sync(_prepare_with_pulls, ctx.tenant_id, bodies, rule, may_narrow)
    return rt, pipeline.prepare(
        None, tenant_id=ctx.tenant_id, bodies=bodies, rule=rule, may_narrow=may_narrow, policy_set=known
    )


def _decide_one(rt: Runtime, ctx: TenantContext, item: pipeline.Prepared, **record: Any) -> pipeline.DecisionRecord:
    started = time.perf_counter()
    application_id = new_id()
    ref, model, challenger_live = pipeline.live_model(rt, application_id)
    as_of = pipeline.scoring_date(ctx.ref.timezone)
    result = pipeline.decide(
        rt, pipeline.explain_one(model, item, as_of=as_of), model=ref, challenger_live=challenger_live
    )
    SCORING_SECONDS.observe(time.perf_counter() - started)
    return pipeline.record(
        application_id=application_id,
        caller=pipeline.Caller(ctx.caller, ctx.tenant_id),
        body=item.body,
        result=result,
        rt=rt,
        **record,
    )


def _unwrap(outcome: pipeline.Stored | AppError) -> tuple[dict[str, Any], bool]:
    if isinstance(outcome, AppError):
        raise outcome
    return outcome.response, outcome.replayed


async def decide_application(
    *, ctx: TenantContext, body: ApplicationCreate, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Decide and store one application; return (response body, replayed?).

    Idempotency: a key already answered replays its stored response without deciding again (and 409
    for a different body); concurrent first uses of one key are settled by the writer, which stores
    exactly one decision and replays it to the others.
    """
    payload = body.model_dump(mode="json")
    key = idempotency.request_key(ctx.tenant_id, idempotency_key, payload)
    if key is not None:
        replay = await to_thread.run_sync(_replay, ctx.tenant_id, key, payload)
        if replay is not None:
            return replay, True
    rt, prepared = await _runtime_and_prepared(ctx, [body], by_policy=True)
    rec = _decide_one(rt, ctx, prepared[0], payload=payload, idempotency_key=key)
    (outcome,) = await writer_for(get_database(), pipeline.store, name="decisions").write([rec])
    return _unwrap(outcome)


def _replay(tenant_id: str, key: tuple[str, str], payload: dict[str, Any]) -> dict[str, Any] | None:
    """The stored response of a used key, its identity opened (409 for another body)."""
    hashes = idempotency.request_hashes(tenant_id, payload)  # under older keys of the ring too
    with get_database().session(read_only=True) as session:
        stored = idempotency.lookup(session, tenant_id=tenant_id, key=key[0], body_hashes=hashes)
        return None if stored is None else pipeline.open_response(stored, tenant_id=tenant_id)


def decide_now(session: Session, *, ctx: TenantContext, body: ApplicationCreate) -> dict[str, Any]:
    """Decide and store one application in the caller's transaction (seeding, scripts); return the response."""
    rt = pipeline.runtime(session, tenant_id=ctx.tenant_id)
    assert rt is not None
    (item,) = pipeline.prepare(session, tenant_id=ctx.tenant_id, bodies=[body], rule=rt.policy.config.bureau_pull)
    rec = _decide_one(rt, ctx, item, payload=body.model_dump(mode="json"))
    (outcome,) = pipeline.store(session, [rec])
    return _unwrap(outcome)[0]


async def score_stateless(*, ctx: TenantContext, bodies: list[ApplicationCreate]) -> list[dict[str, Any]]:
    """What-if scoring: PD, decision, expected loss and reasons by the champion — nothing is stored.

    Pure: no row, no audit event, no lock. Decisions that count go through ``POST …/applications``.
    Bureaus are pulled only when a body lists them (a pull is an enquiry on the applicant's file);
    otherwise the bureau values sent are scored as they are.
    """
    rt, prepared = await _runtime_and_prepared(ctx, bodies, by_policy=False)
    as_of = pipeline.scoring_date(ctx.ref.timezone)
    champion = rt.models.champion_model
    if len(prepared) == 1:
        explained = [pipeline.explain_one(champion, prepared[0], as_of=as_of)]
    else:
        explained = pipeline.explain_many(champion, prepared, as_of=as_of)
    return [pipeline.what_if(pipeline.decide(rt, e, model=rt.models.champion, shadow=False), rt) for e in explained]


def get_application(session: Session, *, ctx: TenantContext, application_id: str) -> dict[str, Any]:
    """Return a stored decision (404 outside the tenant, or for another officer's application)."""
    return decision_response(get_visible(session, Application, application_id, ctx, what="Application"))


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
    pan: str | None = None,
) -> Page[dict[str, Any]]:
    """List decisions, newest first, with filters (``pan`` by its keyed hash: PANs are not stored in clear)."""
    box = personal_data_box()
    stmt = select_visible(Application, ctx)  # field officers see the decisions they created
    if external_ref:
        stmt = stmt.where(Application.external_ref == external_ref)
    if pan:
        stmt = stmt.where(Application.pan_hash.in_(pan_hashes(box, ctx.tenant_id, pan)))
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
            "applicant_name": open_identity(box, a).get("name"),
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


def policy_preview(
    session: Session, *, tenant: Tenant, approve_below: float, reject_at: float, months: int, last_n: int | None
) -> dict[str, Any]:
    """What the thresholds would decide on the window's decisions, knock-outs as stored (monitoring replays them)."""
    return approvals.policy_preview(
        session, tenant=tenant, approve_below=approve_below, reject_at=reject_at, months=months, last_n=last_n
    )
