"""Applications, decisions, batches, stateless scoring and policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi.responses import PlainTextResponse, StreamingResponse

from creditdesk.db import SessionDep
from creditdesk.kit.pagination import Page, PageDep
from creditdesk.kit.params import Instant
from creditdesk.kit.responses import FastJSON
from creditdesk.scoring import batches, service
from creditdesk.scoring import policy as policies
from creditdesk.scoring.schemas import (
    ApplicationCreate,
    ApplicationPage,
    BatchCreated,
    BatchOut,
    BatchPage,
    BatchPreviewOut,
    Decision,
    DecisionOut,
    PolicyIn,
    PolicyOut,
    PolicyPreviewIn,
    PolicyPreviewOut,
    ScoreBatchIn,
    ScoreBatchOut,
    ScoreOut,
)
from creditdesk.tenancy.deps import TenantAccess, TenantCaller, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["scoring"])
Upload = Annotated[UploadFile, File(description="CSV, JSON or XLSX: one application per row")]


@router.post(
    "/tenants/{tenant}/applications", status_code=201, response_model=DecisionOut, operation_id="createApplication"
)
async def create_application(
    body: ApplicationCreate,
    ctx: Annotated[TenantContext, TenantCaller(P.APPLICATIONS_CREATE)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> FastJSON:
    """Score and decide an application (pulling bureaus if asked); safe to retry with an Idempotency-Key."""
    response, replayed = await service.decide_application(ctx=ctx, body=body, idempotency_key=idempotency_key)
    return FastJSON(response, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)


@router.get("/tenants/{tenant}/applications", response_model=ApplicationPage, operation_id="listApplications")
def list_applications(
    session: SessionDep,
    page: PageDep,
    ctx: Annotated[TenantContext, TenantAccess(P.APPLICATIONS_READ_OWN)],
    external_ref: Annotated[str | None, Query(max_length=100)] = None,
    decision: Decision | None = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
    pan: Annotated[str | None, Query(min_length=10, max_length=10, description="The applicant's PAN")] = None,
) -> Page[dict[str, Any]]:
    """List decisions (field officers see their own), newest first."""
    return service.list_applications(
        session,
        ctx=ctx,
        external_ref=external_ref,
        pan=pan,
        decision=decision,
        created_from=created_from,
        created_to=created_to,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/tenants/{tenant}/applications/{application_id}", response_model=DecisionOut, operation_id="getApplication"
)
def get_application(
    application_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.APPLICATIONS_READ_OWN)]
) -> dict[str, Any]:
    """Return a stored decision with its contributions and base value."""
    return service.get_application(session, ctx=ctx, application_id=application_id)


@router.post("/tenants/{tenant}/score", response_model=ScoreOut, operation_id="scoreStateless")
async def score(
    body: ApplicationCreate, ctx: Annotated[TenantContext, TenantCaller(P.APPLICATIONS_CREATE)]
) -> FastJSON:
    """What-if: PD, decision and expected loss by the champion. Nothing is stored or audited."""
    (result,) = await service.score_stateless(ctx=ctx, bodies=[body])
    return FastJSON(result)


@router.post("/tenants/{tenant}/score/batch", response_model=ScoreBatchOut, operation_id="scoreStatelessBatch")
async def score_batch(
    body: ScoreBatchIn, ctx: Annotated[TenantContext, TenantCaller(P.APPLICATIONS_CREATE)]
) -> FastJSON:
    """What-if scoring of up to 1,000 applications (vectorised). Nothing is stored or audited."""
    return FastJSON({"results": await service.score_stateless(ctx=ctx, bodies=body.applications)})


@router.get("/tenants/{tenant}/batches", response_model=BatchPage, operation_id="listBatches")
def list_batches(
    session: SessionDep, page: PageDep, ctx: Annotated[TenantContext, TenantAccess(P.BATCHES_CREATE)]
) -> Page[dict[str, Any]]:
    """Batch history, newest first, with progress (field officers see the batches they sent)."""
    return batches.list_batches(session, ctx=ctx, limit=page.limit, offset=page.offset)


@router.get(
    "/tenants/{tenant}/batches/template.csv",
    operation_id="getBatchTemplate",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def batch_template(ctx: Annotated[TenantContext, TenantCaller(P.BATCHES_CREATE)]) -> PlainTextResponse:
    """A CSV template: every column a batch file may have and one valid example row."""
    return PlainTextResponse(
        batches.template_csv(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="creditdesk-batch-template.csv"'},
    )


@router.post("/tenants/{tenant}/batches/preview", response_model=BatchPreviewOut, operation_id="previewBatch")
def preview_batch(file: Upload, ctx: Annotated[TenantContext, TenantAccess(P.BATCHES_CREATE)]) -> dict[str, Any]:
    """Parse a batch file: first rows, unknown columns and every row's validation errors."""
    return batches.preview(file.file.read(), file.filename or "upload.csv")


@router.post("/tenants/{tenant}/batches", status_code=202, response_model=BatchCreated, operation_id="createBatch")
def create_batch(
    file: Upload, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BATCHES_CREATE)]
) -> dict[str, Any]:
    """Submit a batch file for scoring in the background."""
    return batches.submit(session, ctx=ctx, content=file.file.read(), filename=file.filename or "upload.csv")


@router.get("/tenants/{tenant}/batches/{batch_id}", response_model=BatchOut, operation_id="getBatch")
def get_batch(
    batch_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BATCHES_CREATE)]
) -> dict[str, Any]:
    """Batch status and progress."""
    return batches.status(session, ctx=ctx, batch_id=batch_id)


@router.get(
    "/tenants/{tenant}/batches/{batch_id}/results.csv",
    operation_id="getBatchResults",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def batch_results(
    batch_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.BATCHES_CREATE)]
) -> StreamingResponse:
    """One line per input row, in input order, with the decision or the row's error."""
    lines = list(batches.results_csv(session, ctx=ctx, batch_id=batch_id))
    return StreamingResponse(
        iter(lines),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-results.csv"'},
    )


@router.get("/tenants/{tenant}/policy", response_model=PolicyOut, operation_id="getPolicy")
def get_policy(session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.POLICY_READ)]) -> dict[str, Any]:
    """The policy in force and its version."""
    return policies.get(session, tenant_id=ctx.tenant_id)


@router.put("/tenants/{tenant}/policy", response_model=PolicyOut, operation_id="updatePolicy")
def put_policy(
    data: PolicyIn, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.POLICY_MANAGE)]
) -> dict[str, Any]:
    """Replace the policy; creates a new version (knock-out expressions are validated first)."""
    return policies.put(session, tenant_id=ctx.tenant_id, data=data, actor=ctx.caller)


@router.post("/tenants/{tenant}/policy/preview", response_model=PolicyPreviewOut, operation_id="previewPolicy")
def preview_policy(
    data: PolicyPreviewIn, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.POLICY_READ)]
) -> dict[str, Any]:
    """What these thresholds would decide on the window's decisions, with the knock-outs stored on each."""
    return service.policy_preview(
        session,
        tenant=ctx.tenant,
        approve_below=data.approve_below_pd,
        reject_at=data.reject_at_or_above_pd,
        months=data.months,
        last_n=data.last_n,
    )
