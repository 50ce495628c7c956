"""The batch-scoring job: the decision pipeline over committed chunks (vectorised TreeSHAP, bulk writes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from creditdesk.audit import service as audit
from creditdesk.db import new_id
from creditdesk.scoring import pipeline
from creditdesk.scoring.batches import counts
from creditdesk.scoring.models import Batch, BatchRow
from creditdesk.scoring.schemas import ApplicationCreate
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.scope import get_owned, scoped
from creditdesk.worker.context import JobContext

CHUNK = 250  # rows per committed chunk: progress granularity and the most work a crash can redo


def _submitter(session: Any, user_id: str | None) -> audit.SystemActor:
    """The user who submitted the batch: its decisions are recorded (and audited) as theirs."""
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return audit.SYSTEM
    return audit.SystemActor(actor_type="user", id=user.id, email=user.email)


def _decide_chunk(
    rt: pipeline.Runtime,
    caller: pipeline.Caller,
    batch_id: str,
    row_numbers: list[int],
    prepared: list[pipeline.Prepared],
    *,
    as_of: Any,
) -> tuple[list[pipeline.DecisionRecord], list[dict[str, Any]]]:
    """Decide a chunk: the decisions to store, and each row's new state (done with its result, or failed)."""
    ids = [new_id() for _ in row_numbers]
    live = [pipeline.live_model(rt, i) for i in ids]
    explained: dict[int, pipeline.Explained] = {}
    groups: dict[str, list[int]] = {}
    for i, (ref, _model, _challenger) in enumerate(live):
        groups.setdefault(ref.id, []).append(i)
    for idx in groups.values():  # one vectorised explanation per live model (champion, challenger)
        model = live[idx[0]][1]
        for i, e in zip(idx, pipeline.explain_many(model, [prepared[i] for i in idx], as_of=as_of), strict=True):
            explained[i] = e
    records, outcomes = [], []
    for i, row_number in enumerate(row_numbers):
        body = prepared[i].body
        outcome = {"b_row": row_number, "state": "failed", "application_id": None, "result": None, "error": None}
        outcomes.append(outcome)
        try:
            result = pipeline.decide(rt, explained[i], model=live[i][0], challenger_live=live[i][2])
        except Exception as exc:  # noqa: BLE001 - one bad row must not sink the batch
            outcome["error"] = f"{type(exc).__name__}: {exc}"
            continue
        records.append(
            pipeline.record(
                application_id=ids[i],
                caller=caller,
                body=body,
                payload=body.model_dump(mode="json"),
                result=result,
                rt=rt,
                batch_id=batch_id,
            )
        )
        outcome.update(
            state="done",
            application_id=ids[i],
            result={
                "score": result.score,
                "credit_score": result.credit_score,
                "pd": round(result.pd, 6),
                "decision": result.decision,
                "reasons": result.reasons,
                "external_ref": body.external_ref,
                "expected_loss": str(result.expected_loss),
                "credit_limit": str(result.credit_limit),
                "knockouts": [k["name"] for k in result.knockouts],
                "bureau_status": result.bureau_status,
            },
        )
    return records, outcomes


def score_batch(ctx: JobContext) -> dict[str, Any]:
    """Score every pending row of a batch, committing after each chunk (a restart resumes).

    Every decision is stored and audited exactly as a single application's is (same pipeline, same
    rows, same audit chains); the batch's completion is one more audit event.
    """
    session = ctx.session
    assert ctx.tenant_id is not None
    batch = get_owned(session, Batch, ctx.payload["batch_id"], ctx.tenant_id, what="Batch")
    tenant = session.get(Tenant, ctx.tenant_id)
    assert tenant is not None
    actor = _submitter(session, ctx.payload.get("caller_id"))
    caller = pipeline.Caller(actor, tenant.id)
    rt = pipeline.runtime(session, tenant_id=tenant.id)
    assert rt is not None
    as_of = pipeline.scoring_date(tenant.timezone)
    pending = (
        scoped(
            select(BatchRow.row_number, BatchRow.input).where(
                BatchRow.batch_id == batch.id,
                BatchRow.row_number > bindparam("after"),  # a range scan of the key from where we are
                BatchRow.state == "pending",
            ),
            BatchRow,
            tenant.id,
        )
        .order_by(BatchRow.row_number)
        .limit(CHUNK)
    )
    # by primary key only (the batch is already known to be the tenant's; RLS stays behind it): a tenant
    # filter here lets PostgreSQL's generic plan pick the tenant index and read every row per update
    mark = update(BatchRow).where(BatchRow.batch_id == batch.id, BatchRow.row_number == bindparam("b_row"))
    finished = sum(
        n for state, n in counts(session, tenant_id=tenant.id, batch_id=batch.id).items() if state != "pending"
    )
    after = 0  # chunks walk the primary key forward: re-reading the rows already done made batches quadratic
    while rows := session.execute(pending, {"after": after}).all():
        after = rows[-1].row_number
        bodies = [ApplicationCreate.model_validate(r.input) for r in rows]
        # narrowing pull_bureaus was checked against the submitter's permission when the batch was accepted
        prepared = pipeline.prepare(session, tenant_id=tenant.id, bodies=bodies, rule=rt.policy.config.bureau_pull)
        records, outcomes = _decide_chunk(rt, caller, batch.id, [r.row_number for r in rows], prepared, as_of=as_of)
        pipeline.store(session, records)
        session.connection().execute(mark, outcomes)  # one executemany for the chunk's rows
        finished += len(rows)
        ctx.checkpoint(progress=finished / max(batch.rows, 1))  # a restart resumes after this chunk
    by_state = counts(session, tenant_id=tenant.id, batch_id=batch.id)
    audit.record(
        session,
        actor=actor,
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
