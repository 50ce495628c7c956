"""Lending's job: run a saga forward."""

from __future__ import annotations

from typing import Any

from creditdesk.lending import saga
from creditdesk.lending.providers import ProviderNotConfigured, providers_for
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
