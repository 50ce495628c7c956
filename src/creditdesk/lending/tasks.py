"""Lending's jobs: run a saga forward, sweep sagas past their deadline; a settled mandate wakes its saga."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditdesk.lending import saga
from creditdesk.lending.models import Saga
from creditdesk.lending.providers import ProviderNotConfigured, providers_for
from creditdesk.lending.service import enqueue_advance, sweep_timeouts
from creditdesk.payments.models import MandateRecord
from creditdesk.tenancy.scope import select_owned
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import PermanentJobError


def advance(ctx: JobContext) -> dict[str, Any]:
    """``lending.saga.advance``: run the saga's next steps, each committed before and after its side effect."""
    assert ctx.tenant_id is not None
    try:
        providers = providers_for(ctx.session, ctx.tenant_id)
    except ProviderNotConfigured as exc:
        raise PermanentJobError(str(exc)) from exc
    try:
        status = saga.advance(
            ctx.session,
            tenant_id=ctx.tenant_id,
            saga_id=str(ctx.payload["saga_id"]),
            providers=providers,
            checkpoint=ctx.checkpoint,
        )
    finally:
        providers.close()
    return {"status": status}


def sweep(ctx: JobContext) -> dict[str, Any]:
    """``lending.saga.sweep_timeouts`` (hourly): run forward the tenant's sagas waiting past their deadline,
    and those waiting on a pending mandate (their step looks it up: a webhook that was lost, or that came
    before the registration was committed, is made up for within the hour)."""
    assert ctx.tenant_id is not None
    timed_out = sweep_timeouts(ctx.session, tenant_id=ctx.tenant_id)
    stmt = select_owned(Saga, ctx.tenant_id).where(Saga.status == "waiting", Saga.mandate_status == "pending")
    pending = [waiting for waiting in ctx.session.execute(stmt).scalars() if waiting.id not in timed_out]
    for waiting in pending:
        enqueue_advance(ctx.session, waiting)
    return {"sagas": len(timed_out), "mandates_looked_up": len(pending)}


def mandate_settled(session: Session, mandate: MandateRecord) -> None:
    """A mandate became active, rejected or cancelled: run forward the saga waiting on it."""
    stmt = select_owned(Saga, mandate.tenant_id).where(
        Saga.mandate_id == mandate.gateway_token_id, Saga.status == "waiting"
    )
    for waiting in session.execute(stmt).scalars():
        enqueue_advance(session, waiting)
