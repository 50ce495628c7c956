"""The batch-scoring job: vectorised features, batch TreeSHAP, committed chunks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from creditdesk.audit import service as audit
from creditdesk.auth.principal import Identity
from creditdesk.db import new_id
from creditdesk.ml.features import build_frame
from creditdesk.scoring import policy as policies
from creditdesk.scoring.batches import counts
from creditdesk.scoring.models import Application, Batch, BatchRow
from creditdesk.scoring.schemas import ApplicationCreate
from creditdesk.scoring.service import _bureau_block, _store, evaluate, load_models, scoring_date
from creditdesk.tenancy.deps import TenantContext
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, scoped
from creditdesk.worker.broker import JobContext, handler

CHUNK = 100  # rows per committed chunk: progress granularity and the most work a crash can redo


@handler("batch.score")
def score_batch(ctx: JobContext) -> dict[str, Any]:
    """Score every pending row of a batch, committing after each chunk (a restart resumes)."""
    session = ctx.session
    assert ctx.tenant_id is not None
    batch = get_owned(session, Batch, ctx.payload["batch_id"], ctx.tenant_id, what="Batch")
    tenant = session.get(Tenant, ctx.tenant_id)
    assert tenant is not None
    caller = Identity(
        actor_type="user",
        id=ctx.payload.get("caller_id") or "system",
        email=None,
        name="batch",
        role="",
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
    )
    tctx = TenantContext(tenant=tenant, caller=caller)
    active = policies.current(session, tenant_id=tenant.id)
    pair = load_models(session, tenant_id=tenant.id)
    as_of = scoring_date(tenant.timezone)
    pending = (
        scoped(select(BatchRow).where(BatchRow.batch_id == batch.id, BatchRow.state == "pending"), BatchRow, tenant.id)
        .order_by(BatchRow.row_number)
        .limit(CHUNK)
    )
    finished = sum(
        n for state, n in counts(session, tenant_id=tenant.id, batch_id=batch.id).items() if state != "pending"
    )
    while rows := list(session.execute(pending).scalars()):
        bodies = [ApplicationCreate.model_validate(r.input) for r in rows]
        prepared = [_bureau_block(session, tctx, b) for b in bodies]
        frame = build_frame([p[0] for p in prepared], as_of=as_of)
        explained = pair.champion_model.explain(frame)
        records = frame.to_dict(orient="records")
        for i, (row, body) in enumerate(zip(rows, bodies, strict=True)):
            try:
                result = evaluate(
                    body=body,
                    features=records[i],
                    explanation=explained.row(i),
                    active=active,
                    model=pair.champion,
                    bureau_unavailable=prepared[i][1],
                )
                result.bureau_reports = prepared[i][2]
                app = Application(id=new_id(), tenant_id=tenant.id)
                _store(
                    session,
                    app,
                    ctx=tctx,
                    body=body,
                    payload=body.model_dump(mode="json"),
                    result=result,
                    active=active,
                    batch_id=batch.id,
                )
                row.state, row.application_id = "done", app.id
                row.result = {
                    "score": result.score,
                    "credit_score": result.credit_score,
                    "pd": round(result.pd, 6),
                    "decision": result.decision,
                    "reasons": result.reasons,
                    "external_ref": body.external_ref,
                }
            except Exception as exc:  # noqa: BLE001 - one bad row must not sink the batch
                row.state, row.error = "failed", f"{type(exc).__name__}: {exc}"
        finished += len(rows)
        ctx.progress(finished / max(batch.rows, 1))  # rides on this chunk's commit on SQLite
        session.commit()
    by_state = counts(session, tenant_id=tenant.id, batch_id=batch.id)
    audit.record(
        session,
        actor=caller,
        action="batch.completed",
        tenant_id=tenant.id,
        resource_type="batch",
        resource_id=batch.id,
        details={"rows": batch.rows, **by_state},
    )
    return {
        "batch_id": batch.id,
        "rows": batch.rows,
        "done": by_state.get("done", 0),
        "failed": by_state.get("failed", 0),
    }
