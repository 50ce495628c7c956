"""Channels routes: so far, the tenant's contact policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from creditdesk.channels import service
from creditdesk.channels.schemas import ContactPolicyRead, ContactPolicyUpdate
from creditdesk.db import SessionDep
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.permissions import Permission as P

router = APIRouter(tags=["channels"])


@router.get("/tenants/{tenant}/contact-policy", response_model=ContactPolicyRead, operation_id="getContactPolicy")
def get_contact_policy(
    session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> ContactPolicyRead:
    """The contact policy every message and call passes: window, caps, blackout dates, WhatsApp collections."""
    return service.get_policy(session, tenant=ctx.tenant)


@router.put("/tenants/{tenant}/contact-policy", response_model=ContactPolicyRead, operation_id="updateContactPolicy")
def update_contact_policy(
    data: ContactPolicyUpdate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONFIGURE)],
) -> ContactPolicyRead:
    """Replace the contact policy; it may only tighten RBI's rules (422 names each field that loosens them)."""
    return service.update_policy(session, tenant=ctx.tenant, data=data, actor=ctx.caller)
