"""Read and verify the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from creditdesk.audit import service
from creditdesk.audit.models import AuditEvent
from creditdesk.audit.schemas import AuditEventRead, AuditVerifyOut
from creditdesk.auth.principal import Identity, Require
from creditdesk.db import SessionDep
from creditdesk.kit.pagination import Page, PageDep, PageOut
from creditdesk.kit.params import Instant
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["audit"])


def _filters(
    action: Annotated[str | None, Query(max_length=100, description="Action prefix, e.g. 'auth.login'")] = None,
    actor: Annotated[str | None, Query(max_length=254, description="Actor e-mail")] = None,
    resource_type: Annotated[str | None, Query(max_length=50)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failure|denied)$")] = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
) -> service.AuditFilters:
    return service.AuditFilters(action, actor, resource_type, resource_id, outcome, created_from, created_to)


Filters = Annotated[service.AuditFilters, Depends(_filters)]


@router.get("/tenants/{tenant}/audit", response_model=PageOut[AuditEventRead], operation_id="listAuditEvents")
def list_events(
    session: SessionDep, page: PageDep, filters: Filters, ctx: Annotated[TenantContext, TenantAccess(P.AUDIT_READ)]
) -> Page[AuditEvent]:
    """List the tenant's audit events, newest first."""
    return service.list_events(session, tenant_id=ctx.tenant_id, filters=filters, limit=page.limit, offset=page.offset)


@router.get("/tenants/{tenant}/audit/verify", response_model=AuditVerifyOut, operation_id="verifyAuditChain")
def verify(session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.AUDIT_READ)]) -> dict[str, Any]:
    """Recompute the tenant's hash chain and report the first broken link, if any."""
    return service.verify(session, tenant_id=ctx.tenant_id)


@router.get("/audit", response_model=PageOut[AuditEventRead], operation_id="listPlatformAuditEvents")
def list_platform_events(
    session: SessionDep, page: PageDep, filters: Filters, caller: Annotated[Identity, Require(P.OPS_MANAGE)]
) -> Page[AuditEvent]:
    """List platform-level audit events (tenant creation, platform sign-ins)."""
    return service.list_events(session, tenant_id=None, filters=filters, limit=page.limit, offset=page.offset)


@router.get("/audit/verify", response_model=AuditVerifyOut, operation_id="verifyPlatformAuditChain")
def verify_platform(session: SessionDep, caller: Annotated[Identity, Require(P.OPS_MANAGE)]) -> dict[str, Any]:
    """Verify the platform audit chain."""
    return service.verify(session, tenant_id=None)
