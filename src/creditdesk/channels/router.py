"""Channels routes: the contact policy; consents and opt-outs; templates; provider accounts; the message
log; and the providers' webhooks (receipts, replies, call outcomes)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from creditdesk.channels import accounts, messaging, service
from creditdesk.channels.formatting import Language
from creditdesk.channels.policy import Channel, Purpose
from creditdesk.channels.schemas import (
    ChannelSettingsRead,
    ChannelSettingsUpdate,
    ChannelTestResult,
    ConsentCreate,
    ConsentsRead,
    ContactPolicyRead,
    ContactPolicyUpdate,
    ContactPreferencesRead,
    ContactPreferencesUpdate,
    MessageCreate,
    MessagePage,
    MessageRead,
    MessageState,
    OptIn,
    OptOut,
    TemplateContent,
    TemplateCreate,
    TemplatePage,
    TemplatePreview,
    TemplatePreviewRead,
    TemplateRead,
    TemplateStatus,
    WebhookAck,
)
from creditdesk.db import SessionDep
from creditdesk.kit.pagination import PageDep
from creditdesk.kit.params import raw_body
from creditdesk.tenancy.deps import TenantAccess, TenantContext, TenantRef, addressed_tenant
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
    name: Annotated[str | None, Query(max_length=80, description="a part of the name, any case")] = None,
) -> TemplatePage:
    """The tenant's message templates, every version, newest version of each first."""
    return service.list_templates(
        session,
        tenant=ctx.tenant,
        name=name,
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


@router.post(f"{TEMPLATES}/preview", response_model=TemplatePreviewRead, operation_id="previewTemplate")
def preview_template(
    data: TemplatePreview, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> TemplatePreviewRead:
    """Render a text as it would go out in a language (sample values where none are given); nothing is stored."""
    return service.preview_template(data)


# -- provider accounts --------------------------------------------------------------------------------

CHANNEL = "/tenants/{tenant}/channels/{channel}"


@router.get(CHANNEL, response_model=ChannelSettingsRead, operation_id="getChannelAccount")
def get_channel_account(
    channel: Channel, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> ChannelSettingsRead:
    """The channel's provider account; secrets show at most their last 4 characters."""
    return accounts.get_account(session, tenant=ctx.tenant, channel=channel)


@router.put(CHANNEL, response_model=ChannelSettingsRead, operation_id="updateChannelAccount")
def update_channel_account(
    channel: Channel,
    data: ChannelSettingsUpdate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONFIGURE)],
) -> ChannelSettingsRead:
    """Create or change the channel's provider account; an omitted secret keeps its stored value."""
    return accounts.update_account(session, tenant=ctx.tenant, channel=channel, data=data, actor=ctx.caller)


@router.post(f"{CHANNEL}/test", response_model=ChannelTestResult, operation_id="testChannelAccount")
def test_channel_account(
    channel: Channel, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONFIGURE)]
) -> ChannelTestResult:
    """One harmless authenticated call to the provider (nothing is sent to anyone): does the account work?"""
    return accounts.test_account(session, tenant=ctx.tenant, channel=channel)


# -- the message log ----------------------------------------------------------------------------------

MESSAGES = "/tenants/{tenant}/messages"
MessageId = Annotated[str, Path(max_length=36)]


@router.post(MESSAGES, status_code=202, response_model=MessageRead, operation_id="sendMessage")
def send_message(
    data: MessageCreate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.MESSAGES_SEND)],
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> MessageRead:
    """Queue an approved template to a loan's borrower through the contact policy: ``queued`` (sent by the
    queue) or ``blocked`` with the rule that stopped it. A repeat with the same Idempotency-Key answers the
    first message again."""
    message, replayed = messaging.create_message(
        session, tenant=ctx.tenant, data=data, actor=ctx.caller, idempotency_key=idempotency_key
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return message


@router.get(MESSAGES, response_model=MessagePage, operation_id="listMessages")
def list_messages(
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)],
    page: PageDep,
    loan_id: Annotated[str | None, Query(max_length=36)] = None,
    borrower_id: Annotated[str | None, Query(max_length=36)] = None,
    status: MessageState | None = None,
    channel: Channel | None = None,
) -> MessagePage:
    """The message log, newest first, each message with its status history."""
    return messaging.list_messages(
        session,
        tenant=ctx.tenant,
        limit=page.limit,
        offset=page.offset,
        loan_id=loan_id,
        borrower_id=borrower_id,
        status=status,
        channel=channel,
    )


@router.get(f"{MESSAGES}/{{message_id}}", response_model=MessageRead, operation_id="getMessage")
def get_message(
    message_id: MessageId, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> MessageRead:
    """One message with its status history."""
    return messaging.get_message(session, tenant=ctx.tenant, message_id=message_id)


# -- the providers' webhooks --------------------------------------------------------------------------

webhook_body = raw_body(256 * 1024, "webhook")


@router.post(
    "/webhooks/channels/{tenant}/{channel}",
    response_model=WebhookAck,
    operation_id="receiveChannelWebhook",
    responses={401: {"description": "The signature does not match the body"}},
)
async def receive_channel_webhook(
    channel: Literal["sms", "whatsapp", "voice"],
    ref: Annotated[TenantRef, Depends(addressed_tenant)],
    body: Annotated[bytes, Depends(webhook_body)],
    x_callback_signature: Annotated[str | None, Header(max_length=200)] = None,
    x_hub_signature_256: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookAck:
    """A provider reports delivery receipts, replies or a call's outcome: verified (401), then applied once."""
    signature = x_hub_signature_256 if channel == "whatsapp" else x_callback_signature
    return await messaging.deliver(ref.id, channel, body, signature)


@router.get(
    f"{CONSENTS}/contact-preferences", response_model=ContactPreferencesRead, operation_id="getContactPreferences"
)
def get_contact_preferences(
    customer_id: BorrowerId, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_READ)]
) -> ContactPreferencesRead:
    """The times the borrower asked to be reached in, and the holds on contacting them."""
    return service.get_preferences(session, tenant=ctx.tenant, customer_id=customer_id)


@router.put(
    f"{CONSENTS}/contact-preferences", response_model=ContactPreferencesRead, operation_id="updateContactPreferences"
)
def update_contact_preferences(
    customer_id: BorrowerId,
    data: ContactPreferencesUpdate,
    session: SessionDep,
    ctx: Annotated[TenantContext, TenantAccess(P.CHANNELS_CONSENT)],
) -> ContactPreferencesRead:
    """Replace the borrower's contact times and holds (a bereavement, a disaster); every send honours them."""
    return service.update_preferences(session, tenant=ctx.tenant, customer_id=customer_id, data=data, actor=ctx.caller)
