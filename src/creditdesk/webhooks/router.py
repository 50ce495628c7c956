"""Tenant webhooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from creditdesk.db import SessionDep
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P
from creditdesk.webhooks import service
from creditdesk.webhooks.schemas import DeliveryList, WebhookCreate, WebhookCreated, WebhookList, WebhookRead

router = APIRouter(tags=["webhooks"])


@router.post("/tenants/{tenant}/webhooks", status_code=201, response_model=WebhookCreated, operation_id="createWebhook")
def create(
    data: WebhookCreate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> dict[str, Any]:
    """Register a receiver for domain events; the signing secret is shown once."""
    return service.create(session, tenant_id=ctx.tenant_id, data=data, actor=ctx.caller)


@router.get("/tenants/{tenant}/webhooks", response_model=WebhookList, operation_id="listWebhooks")
def list_webhooks(
    session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> dict[str, Any]:
    """The tenant's webhook endpoints (secrets redacted)."""
    return {"items": service.list_endpoints(session, tenant_id=ctx.tenant_id)}


@router.delete("/tenants/{tenant}/webhooks/{webhook_id}", response_model=WebhookRead, operation_id="deactivateWebhook")
def deactivate(
    webhook_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> dict[str, Any]:
    """Stop sending events to an endpoint."""
    return service.deactivate(session, tenant_id=ctx.tenant_id, endpoint_id=webhook_id, actor=ctx.caller)


@router.get(
    "/tenants/{tenant}/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryList,
    operation_id="listWebhookDeliveries",
)
def deliveries(
    webhook_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.API_KEYS_MANAGE)]
) -> dict[str, Any]:
    """The newest deliveries to an endpoint with their status."""
    return {"items": service.list_deliveries(session, tenant_id=ctx.tenant_id, endpoint_id=webhook_id)}
