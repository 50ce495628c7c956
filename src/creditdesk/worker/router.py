"""Job status for tenants; dead letters and a worker self-test for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from creditdesk.auth.principal import Identity, Require
from creditdesk.db import SessionDep
from creditdesk.kit.pagination import Page, PageDep, PageOut
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P
from creditdesk.worker import service
from creditdesk.worker.models import Job
from creditdesk.worker.schemas import DeadLetterRead, JobRead, SelfTestIn

router = APIRouter()


@router.get("/tenants/{tenant}/jobs/{job_id}", response_model=JobRead, tags=["jobs"], operation_id="getJob")
def get_job(job_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.JOBS_READ)]) -> Job:
    """Return an asynchronous job's status and progress."""
    return service.get_job(session, ctx=ctx, job_id=job_id)


@router.get("/ops/dead-letters", response_model=PageOut[DeadLetterRead], tags=["ops"], operation_id="listDeadLetters")
def list_dead_letters(
    session: SessionDep, page: PageDep, caller: Annotated[Identity, Require(P.OPS_MANAGE)]
) -> Page[Job]:
    """Jobs that exhausted their retries, with the last error."""
    return service.list_dead(session, limit=page.limit, offset=page.offset)


@router.post(
    "/ops/dead-letters/{job_id}/requeue", response_model=DeadLetterRead, tags=["ops"], operation_id="requeueDeadLetter"
)
def requeue(job_id: str, session: SessionDep, caller: Annotated[Identity, Require(P.OPS_MANAGE)]) -> Job:
    """Run a dead job again with a fresh set of retries."""
    return service.requeue(session, job_id=job_id, actor=caller)


@router.post("/ops/selftest", status_code=202, response_model=DeadLetterRead, tags=["ops"], operation_id="runSelfTest")
def selftest(data: SelfTestIn, session: SessionDep, caller: Annotated[Identity, Require(P.OPS_MANAGE)]) -> Job:
    """Queue a self-test job that fails transiently ``fail_times`` times (or permanently) before succeeding."""
    return service.enqueue(
        session,
        kind="ops.selftest",
        tenant_id=None,
        payload=data.model_dump(exclude={"max_attempts"}),
        created_by=caller.id,
        max_attempts=data.max_attempts,
    )
