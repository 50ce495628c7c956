"""Payments routes: the gateway account, payment links, and the gateway's inbound webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query

from creditdesk.db import SessionDep
from creditdesk.kit.pagination import PageDep
from creditdesk.kit.params import raw_body
from creditdesk.payments import mandates, service
from creditdesk.payments.schemas import (
    GatewaySettingsRead,
    GatewaySettingsUpdate,
    LinkCreate,
    LinkPage,
    LinkRead,
    LinkStatus,
    MandateRead,
    WebhookAck,
)
from creditdesk.tenancy.deps import TenantAccess, TenantContext, TenantRef, addressed_tenant
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["payments"])


@router.get("/tenants/{tenant}/payments/gateway", response_model=GatewaySettingsRead, operation_id="getPaymentGateway")
def get_gateway(
    session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.PAYMENTS_CONFIGURE)]
) -> GatewaySettingsRead:
    """The tenant's payment gateway account; secrets show at most their last 4 characters."""
    return service.get_settings_of(session, tenant=ctx.tenant)


@router.put(
    "/tenants/{tenant}/payments/gateway", response_model=GatewaySettingsRead, operation_id="updatePaymentGateway"
)
def update_gateway(
    data: GatewaySettingsUpdate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.PAYMENTS_CONFIGURE)],
) -> GatewaySettingsRead:
    """Configure the payment gateway (key id, key secret, webhook secret, base URL); a secret left out is kept."""
    return service.update_settings(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.post(
    "/tenants/{tenant}/payments/links", status_code=201, response_model=LinkRead, operation_id="createPaymentLink"
)
def create_link(
    data: LinkCreate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.PAYMENTS_CREATE)]
) -> LinkRead:
    """Create a payment link for a loan at the tenant's gateway."""
    return service.create_link(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get("/tenants/{tenant}/payments/links", response_model=LinkPage, operation_id="listPaymentLinks")
def list_links(
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.PAYMENTS_READ)],
    page: PageDep,
    loan_id: Annotated[str | None, Query(max_length=36)] = None,
    status: LinkStatus | None = None,
) -> LinkPage:
    """The tenant's payment links, newest first."""
    return service.list_links(
        session, tenant=ctx.tenant, loan_id=loan_id, status=status, limit=page.limit, offset=page.offset
    )


@router.get("/tenants/{tenant}/payments/links/{link_id}", response_model=LinkRead, operation_id="getPaymentLink")
def get_link(
    link_id: Annotated[str, Path(max_length=36)],
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.PAYMENTS_READ)],
) -> LinkRead:
    """One payment link."""
    return service.get_link(session, tenant=ctx.tenant, link_id=link_id)


@router.get("/tenants/{tenant}/loans/{loan_id}/mandate", response_model=MandateRead, operation_id="getLoanMandate")
def get_loan_mandate(
    loan_id: Annotated[str, Path(max_length=36)],
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.PORTFOLIO_READ)],
) -> MandateRead:
    """The loan's e-mandate (eNACH / UPI AutoPay) and a debit per instalment; 404 when the loan has none."""
    return mandates.loan_mandate(session, tenant=ctx.tenant, loan_id=loan_id)


#: the body a gateway webhook is read as (its signature covers these exact bytes)
webhook_body = raw_body(service.MAX_WEBHOOK_BYTES, "a webhook body")


@router.post(
    "/webhooks/payments/{tenant}",
    response_model=WebhookAck,
    operation_id="receivePaymentWebhook",
    responses={401: {"description": "The signature does not match the body"}},
)
async def receive_webhook(
    ref: Annotated[TenantRef, Depends(addressed_tenant)],
    body: Annotated[bytes, Depends(webhook_body)],
    x_gateway_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookAck:
    """The tenant's payment gateway reports a payment: verified (401), then applied to its loan once."""
    return await service.deliver(ref.id, body, x_gateway_signature)
