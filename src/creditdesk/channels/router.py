"""Channels routes: the tenant's contact policy; a borrower's consents and opt-outs; message templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from creditdesk.channels import service
from creditdesk.channels.formatting import Language
from creditdesk.channels.policy import Channel, Purpose
from creditdesk.channels.schemas import (
    ConsentCreate,
    ConsentsRead,
    ContactPolicyRead,
    ContactPolicyUpdate,
    OptIn,
    OptOut,
    TemplateContent,
    TemplateCreate,
    TemplatePage,
    TemplateRead,
    TemplateStatus,
)
from creditdesk.db import SessionDep
from creditdesk.kit.pagination import PageDep
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


BorrowerId = Annotated[str, Path(max_length=36, description="The borrower (customer) id")]
CONSENTS = "/tenants/{tenant}/borrowers/{customer_id}"


@router.get(f"{CONSENTS}/consents", response_model=ConsentsRead, operation_id="getBorrowerConsents")
def get_consents(
    customer_id: BorrowerId, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> ConsentsRead:
    """The borrower's consents and opt-outs as they stand, with the ledger they come from (newest first)."""
    return service.get_consents(session, tenant=ctx.tenant, customer_id=customer_id)


@router.post(f"{CONSENTS}/consents", status_code=201, response_model=ConsentsRead, operation_id="recordBorrowerConsent")
def record_consent(
    customer_id: BorrowerId,
    data: ConsentCreate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONSENT)],
) -> ConsentsRead:
    """Record that the borrower granted or withdrew consent to one purpose on one channel."""
    return service.record(session, tenant=ctx.tenant, customer_id=customer_id, entry=data, actor=ctx.caller)


@router.post(f"{CONSENTS}/opt-out", status_code=201, response_model=ConsentsRead, operation_id="optOutBorrower")
def opt_out(
    customer_id: BorrowerId,
    data: OptOut,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONSENT)],
) -> ConsentsRead:
    """Opt the borrower out of a channel, or of all of them: no message of any purpose goes there any more."""
    return service.record(session, tenant=ctx.tenant, customer_id=customer_id, entry=data, actor=ctx.caller)


@router.post(f"{CONSENTS}/opt-in", status_code=201, response_model=ConsentsRead, operation_id="optInBorrower")
def opt_in(
    customer_id: BorrowerId,
    data: OptIn,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONSENT)],
) -> ConsentsRead:
    """Record that the borrower asked to hear from us again (the evidence of their request is required)."""
    return service.record(session, tenant=ctx.tenant, customer_id=customer_id, entry=data, actor=ctx.caller)


TEMPLATES = "/tenants/{tenant}/templates"
TemplateId = Annotated[str, Path(max_length=36)]


@router.get(TEMPLATES, response_model=TemplatePage, operation_id="listTemplates")
def list_templates(
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)],
    page: PageDep,
    channel: Channel | None = None,
    purpose: Purpose | None = None,
    language: Annotated[Language | None, Query()] = None,
    status: TemplateStatus | None = None,
) -> TemplatePage:
    """The tenant's message templates, every version, newest version of each first."""
    return service.list_templates(
        session,
        tenant=ctx.tenant,
        channel=channel,
        purpose=purpose,
        language=language,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(TEMPLATES, status_code=201, response_model=TemplateRead, operation_id="createTemplate")
def create_template(
    data: TemplateCreate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.TEMPLATES_WRITE)]
) -> TemplateRead:
    """Create a template's first version, a draft: checked against its channel's rules before it is stored."""
    return service.create_template(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get(f"{TEMPLATES}/{{template_id}}", response_model=TemplateRead, operation_id="getTemplate")
def get_template(
    template_id: TemplateId, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> TemplateRead:
    """One version of a template."""
    return service.get_template(session, tenant=ctx.tenant, template_id=template_id)


@router.put(f"{TEMPLATES}/{{template_id}}", response_model=TemplateRead, operation_id="updateTemplate")
def update_template(
    template_id: TemplateId,
    data: TemplateContent,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.TEMPLATES_WRITE)],
) -> TemplateRead:
    """Change a draft, or make the next version (a draft) of an approved template; an approved text never changes."""
    return service.update_template(session, tenant=ctx.tenant, template_id=template_id, data=data, actor=ctx.caller)


@router.post(f"{TEMPLATES}/{{template_id}}/approve", response_model=TemplateRead, operation_id="approveTemplate")
def approve_template(
    template_id: TemplateId, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.TEMPLATES_APPROVE)]
) -> TemplateRead:
    """Approve a draft (not by its author: 403) and retire the version it replaces; only approved ones are sent."""
    return service.approve_template(session, tenant=ctx.tenant, template_id=template_id, actor=ctx.caller)
