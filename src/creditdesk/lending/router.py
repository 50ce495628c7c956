"""Lending endpoints: the disbursement saga, the KFS (JSON or PDF) and its acceptance, the e-sign callback."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from creditdesk.db import SessionDep, set_tenant_scope
from creditdesk.errors import NotFound
from creditdesk.kit.params import raw_body
from creditdesk.lending import service
from creditdesk.lending.esign_wire import SIGNATURE_HEADER, TIMESTAMP_HEADER
from creditdesk.lending.kfs import KeyFactStatement
from creditdesk.lending.kfs_pdf import render_kfs_pdf
from creditdesk.lending.schemas import EsignAck, KfsAccept, SagaCancel, SagaRead, SagaStarted
from creditdesk.tenancy.deps import TenantAccess, TenantContext, TenantRef, addressed_tenant
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["lending"])

Reader = Annotated[TenantContext, TenantAccess(P.LENDING_READ)]
Manager = Annotated[TenantContext, TenantAccess(P.LENDING_MANAGE)]
Canceller = Annotated[TenantContext, TenantAccess(P.LENDING_CANCEL)]
BASE = "/tenants/{tenant}"
MAX_CALLBACK_BYTES = 16_384


@router.post(
    BASE + "/applications/{application_id}/disbursement",
    status_code=202,
    response_model=SagaStarted,
    operation_id="startDisbursement",
)
def start_disbursement(application_id: str, session: SessionDep, ctx: Manager) -> dict[str, str]:
    """Start the approval → disbursement saga of an approved application (once: 409 names the saga)."""
    saga = service.start_disbursement(session, tenant=ctx.tenant, application_id=application_id, actor=ctx.caller)
    return {"saga_id": saga.id}


@router.get(
    BASE + "/applications/{application_id}/disbursement",
    response_model=SagaRead,
    operation_id="getApplicationDisbursement",
    responses={404: {"description": "The application has no disbursement saga (or is not the tenant's)"}},
)
def get_disbursement(application_id: str, session: SessionDep, ctx: Reader) -> dict[str, Any]:
    """The application's disbursement saga, as ``GET …/sagas/{id}`` shows it."""
    return service.application_saga(session, tenant_id=ctx.tenant_id, application_id=application_id)


@router.post(
    BASE + "/sagas/{saga_id}/retry",
    status_code=202,
    response_model=SagaRead,
    operation_id="retrySaga",
    responses={409: {"description": "The saga is finished, or a job is already running it"}},
)
def retry_saga(saga_id: str, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Run a failed or stuck saga again: its job is queued once, a concurrent second call is 409."""
    service.retry_saga(session, tenant=ctx.tenant, saga_id=saga_id, actor=ctx.caller)
    return service.saga_view(session, tenant_id=ctx.tenant_id, saga_id=saga_id)


@router.post(
    BASE + "/sagas/{saga_id}/compensate",
    status_code=202,
    response_model=SagaRead,
    operation_id="compensateSaga",
    responses={
        200: {"model": SagaRead, "description": "Already compensating or compensated: nothing changed"},
        409: {"description": "The payout has started or was made, or a step is running right now"},
    },
)
def compensate_saga(
    saga_id: str, data: SagaCancel, session: SessionDep, ctx: Canceller, response: Response
) -> dict[str, Any]:
    """Cancel the sanctioned loan before its payout: the compensations run in the saga's job (202)."""
    if not service.compensate_saga(session, tenant=ctx.tenant, saga_id=saga_id, reason=data.reason, actor=ctx.caller):
        response.status_code = 200
    return service.saga_view(session, tenant_id=ctx.tenant_id, saga_id=saga_id)


@router.get(BASE + "/sagas/{saga_id}", response_model=SagaRead, operation_id="getSaga")
def get_saga(saga_id: str, session: SessionDep, ctx: Reader) -> dict[str, Any]:
    """The saga's status and its steps in order, each with attempts, times and the last error."""
    return service.saga_view(session, tenant_id=ctx.tenant_id, saga_id=saga_id)


@router.get(
    BASE + "/applications/{application_id}/kfs",
    response_model=KeyFactStatement,
    operation_id="getApplicationKfs",
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "The application was not approved, so it has no Key Fact Statement"},
    },
)
def get_kfs(
    application_id: str,
    session: SessionDep,
    ctx: Reader,
    format: Annotated[Literal["json", "pdf"], Query(description="json (default) or pdf")] = "json",
) -> Any:
    """The Key Fact Statement: the one the saga issued, or a preview of the approved terms."""
    kfs = service.application_kfs(session, tenant=ctx.tenant, application_id=application_id)
    if format == "pdf":
        headers = {"Content-Disposition": f'attachment; filename="kfs-{kfs.reference}.pdf"'}
        return Response(render_kfs_pdf(kfs), media_type="application/pdf", headers=headers)
    return kfs


@router.post(BASE + "/sagas/{saga_id}/kfs/accept", response_model=SagaRead, operation_id="acceptKfs")
def accept_kfs(saga_id: str, data: KfsAccept, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    """Record the borrower's acceptance of the issued KFS by its content hash (409 after ``valid_until``)."""
    service.accept_kfs(session, tenant=ctx.tenant, saga_id=saga_id, content_hash=data.content_hash, actor=ctx.caller)
    return service.saga_view(session, tenant_id=ctx.tenant_id, saga_id=saga_id)


#: the body an e-sign callback is read as (its signature covers these exact bytes)
callback_body = raw_body(MAX_CALLBACK_BYTES, "an e-sign callback")


@router.post(
    "/webhooks/esign/{tenant}",
    response_model=EsignAck,
    operation_id="receiveEsignCallback",
    responses={401: {"description": "The signature does not match the body"}},
)
def receive_esign_callback(
    ref: Annotated[TenantRef, Depends(addressed_tenant)],
    body: Annotated[bytes, Depends(callback_body)],
    session: SessionDep,
    timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER, max_length=20)] = None,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=200)] = None,
) -> dict[str, bool]:
    """The ESP reports a sign request's outcome: verified (401), then the waiting saga is run forward."""
    set_tenant_scope(session, ref.id)
    tenant = session.get(Tenant, ref.id)
    if tenant is None:
        raise NotFound(f"Tenant '{ref.slug}' not found")
    received = service.esign_callback(session, tenant=tenant, body=body, timestamp=timestamp, signature=signature)
    return {"received": received}
