"""The message log: every message and call, human or automatic, through the one gate and the queue.

:func:`queue_message` is the only way a message starts. It checks the template (approved, this
channel, the variables it declares and their formats), finds the recipient's address, serialises on
the recipient (their customer row, locked) and asks the contact policy — so two sends to one person
never both take the last slot of a cap. The message is stored ``queued`` (a job sends it) or
``blocked`` with the rule that stopped it; either way it is in the log with its status history.

:func:`send` (the ``channels.message.send`` job) delivers a queued message. It commits the attempt
before it calls the provider and names our message id as the provider's client reference, so a job
retried after a lost answer makes no second message: the provider answers with the first. Transient
failures retry with the worker's back-off; a refusal fails the message (and a refused OTP on WhatsApp
falls back to SMS). :func:`apply_receipt` and :func:`apply_reply` take what the providers post back.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit.service import SYSTEM, Actor
from creditdesk.channels import accounts, intents
from creditdesk.channels import service as channel_service
from creditdesk.channels.mail import SmtpConfig, send_mail
from creditdesk.channels.models import (
    CHANNEL_CREDENTIALS,
    ChannelProviderRecord,
    InboundMessage,
    Message,
    MessageStatusEvent,
)
from creditdesk.channels.policy import (
    ContactContext,
    Hold,
    Initiator,
    PolicyDecision,
    PreferredWindow,
    SendRequest,
    evaluate,
)
from creditdesk.channels.providers import (
    STATUS_RANK,
    CallResult,
    ChannelBadResponse,
    ChannelCircuitOpen,
    ChannelError,
    ChannelSignatureInvalid,
    ChannelUnavailable,
    Inbound,
    Receipt,
    SendResult,
    SmsGateway,
    VoiceGateway,
    WhatsAppCloud,
    WhatsAppTemplate,
    indian_mobile,
    parse_sms_webhook,
    parse_voice_callback,
    parse_whatsapp_webhook,
    receipt_advances,
)
from creditdesk.channels.schemas import (
    MessageCreate,
    MessagePage,
    MessageRead,
    MessageStep,
    OptOut,
    WebhookAck,
)
from creditdesk.channels.templates import Rendered, render
from creditdesk.channels.voice import standard_script
from creditdesk.db import get_database, new_id, set_tenant_scope, utcnow
from creditdesk.errors import AppError, BadRequest, NotFound, ServiceUnavailable, Unauthorized, invalid_field
from creditdesk.events import service as events
from creditdesk.idempotency import service as idempotency
from creditdesk.kit.crypto import DecryptionError, personal_data_box
from creditdesk.kit.groupcommit import writer_for
from creditdesk.kit.pagination import paginate
from creditdesk.portfolio.models import Customer, Guarantor, Loan, open_identity
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, scoped, select_owned
from creditdesk.worker import service as jobs
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import TransientJobError

logger = logging.getLogger("creditdesk.channels")

SEND_JOB = "channels.message.send"
#: how many times the send job tries a provider that is down before the message fails
SEND_ATTEMPTS = 5
#: the roles with an address on file (a borrower's own, a guarantor's); others are never contacted
_ADDRESSED_ROLES = ("borrower", "guarantor")
#: how a refused OTP on WhatsApp (no WhatsApp on the number, a template refused) gets through
OTP_FALLBACK = {"whatsapp": "sms"}


# -- the recipient ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    customer: Customer
    loan: Loan | None
    role: str
    address: str | None
    has_guarantor: bool


def _target(session: Session, tenant_id: str, data: MessageCreate) -> tuple[Customer, Loan | None]:
    loan = get_owned(session, Loan, data.loan_id, tenant_id, what="Loan") if data.loan_id else None
    if data.borrower_id is None:
        assert loan is not None  # MessageCreate requires one of the two
        return get_owned(session, Customer, loan.customer_id, tenant_id, what="Borrower"), loan
    customer = get_owned(session, Customer, data.borrower_id, tenant_id, what="Borrower")
    if loan is not None and loan.customer_id != customer.id:
        raise invalid_field("body.borrower_id", "is not the borrower of this loan")
    return customer, loan


def _address(channel: str, identity: dict[str, Any], field: str) -> str | None:
    raw = identity.get("email" if channel == "email" else "phone")
    if not raw:
        return None
    if channel == "email":
        return str(raw).strip()
    try:
        return indian_mobile(str(raw))
    except ValueError:
        raise invalid_field(field, "the phone number on record is not an Indian mobile number") from None


def _recipient(session: Session, tenant_id: str, data: MessageCreate) -> Recipient:
    customer, loan = _target(session, tenant_id, data)
    guarantors: list[Guarantor] = []
    if loan is not None:
        stmt = select_owned(Guarantor, tenant_id).where(Guarantor.loan_id == loan.id).order_by(Guarantor.id)
        guarantors = list(session.execute(stmt).scalars())
    address = None
    box = personal_data_box()
    if data.recipient_role == "borrower":
        address = _address(data.channel, open_identity(box, customer), "body.borrower_id")
        if address is None:
            what = "e-mail address" if data.channel == "email" else "phone number"
            raise invalid_field("body.channel", f"the borrower has no {what} on record")
    elif data.recipient_role == "guarantor" and guarantors:
        address = _address(data.channel, open_identity(box, guarantors[0]), "body.loan_id")
    return Recipient(customer, loan, data.recipient_role, address, bool(guarantors))


def masked(channel: str, address: str | None) -> str | None:
    """An address as the log shows it: a phone's last 4 digits, an e-mail's first letter and domain."""
    if not address:
        return None
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"XXXXXX{address[-4:]}"


def address_hashes(tenant_id: str, address: str) -> list[str]:
    """The keyed hashes of an address under every key of the ring (a reply's sender finds its messages)."""
    return personal_data_box().keyed_hashes(address.strip().lower(), f"{tenant_id}/contact")


# -- the gate -----------------------------------------------------------------------------------------


def _counts(
    session: Session, tenant: Tenant, customer_id: str, role: str, local_now: datetime, exclude: str | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """Counted sends to this recipient today and in the last 7 local days, per channel (``exclude``: a
    message not to count, the one being checked again)."""
    today = local_now.date()
    first_day = today - timedelta(days=6)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=local_now.tzinfo)
    columns = select(Message.channel, Message.created_at)
    stmt = scoped(columns, Message, tenant.id).where(
        Message.customer_id == customer_id,
        Message.recipient_role == role,
        Message.counts_toward_caps.is_(True),
        Message.status != "blocked",
        Message.created_at >= since,
    )
    if exclude is not None:
        stmt = stmt.where(Message.id != exclude)
    day: Counter[str] = Counter()
    week: Counter[str] = Counter()
    for channel, created_at in session.execute(stmt):
        week[channel] += 1
        if clock.local(created_at, tenant).date() == today:
            day[channel] += 1
    return dict(day), dict(week)


def _decide(
    session: Session,
    tenant: Tenant,
    recipient: Recipient,
    channel: str,
    purpose: str,
    initiated_by: Initiator,
    now: datetime,
    exclude: str | None = None,
) -> PolicyDecision:
    local_now = clock.local(now, tenant)
    opted_out, consents = channel_service.contact_state(session, tenant_id=tenant.id, customer_id=recipient.customer.id)
    today, week = _counts(session, tenant, recipient.customer.id, recipient.role, local_now, exclude)
    windows: tuple[PreferredWindow, ...] = ()
    holds: tuple[Hold, ...] = ()
    if recipient.role == "borrower":  # the preferences and holds on file are the borrower's own
        windows, holds = channel_service.contact_preferences(
            session, tenant_id=tenant.id, customer_id=recipient.customer.id
        )
    context = ContactContext.model_validate(
        {
            "now": local_now,
            "sent_today": today,
            "sent_last_7_days": week,
            "opted_out": opted_out,
            "consents": consents,
            "preferred_windows": windows,
            "holds": holds,
        }
    )
    request = SendRequest.model_validate(
        {
            "channel": channel,
            "purpose": purpose,
            "recipient_role": recipient.role,
            "loan_has_guarantor": recipient.has_guarantor,
            "initiated_by": initiated_by,
        }
    )
    return evaluate(channel_service.effective_policy(session, tenant_id=tenant.id), request, context)


# -- queueing -----------------------------------------------------------------------------------------


def _template(session: Session, tenant_id: str, data: MessageCreate) -> Any:
    """The approved version to send: the one named, or its sibling in the language asked for."""
    row = channel_service.approved_version(session, tenant_id=tenant_id, template_id=data.template)
    if row.channel != data.channel:
        raise invalid_field("body.channel", f"the template is for {row.channel}, not {data.channel}")
    if data.language is not None and data.language != row.language:
        sibling = channel_service.approved_sibling(session, row, data.language)
        if sibling is None:
            raise invalid_field("body.language", f"{row.name} has no approved {data.language} version")
        row = sibling
    return row


def _history(session: Session, message: Message, status: str, detail: str | None, at: datetime) -> None:
    session.add(
        MessageStatusEvent(
            tenant_id=message.tenant_id, message_id=message.id, status=status, at=at, detail=(detail or "")[:300]
        )
    )


def _changed(session: Session, message: Message, previous: str | None) -> None:
    events.emit(
        session,
        tenant=message.tenant_id,
        type="message.status_changed",
        data={
            "message_id": message.id,
            "channel": message.channel,
            "status": message.status,
            "previous_status": previous,
            "loan_id": message.loan_id,
            "borrower_id": message.customer_id,
            "provider_message_id": message.provider_message_id,
            "blocked_by": message.blocked_by,
        },
    )


def _existing(session: Session, tenant_id: str, dedupe_key: str) -> Message | None:
    stmt = select_owned(Message, tenant_id).where(Message.dedupe_key == dedupe_key)
    return session.execute(stmt).scalar_one_or_none()


def queue_message(
    session: Session,
    *,
    tenant: Tenant,
    data: MessageCreate,
    actor: Actor,
    initiated_by: Initiator = "agent",
    dedupe_key: str | None = None,
    now: datetime | None = None,
    fallback_of: str | None = None,
) -> Message:
    """Check, gate and log one message: ``queued`` (a job sends it after commit) or ``blocked`` (never sent).

    ``dedupe_key`` makes the call idempotent: the same key returns the message it made. Raises 404 for
    another tenant's loan, borrower or template and 422 for a template that is not approved, not for
    this channel, or whose variables do not fit (each variable named).
    """
    template = _template(session, tenant.id, data)
    recipient = _recipient(session, tenant.id, data)
    rendered = render(
        template.body,
        template.variables,
        data.variables,
        template.language,
        channel=data.channel,
        subject=template.subject,
    )
    # one recipient's sends are gated one at a time: the customer row is the recipient's lock
    session.execute(select(Customer.id).where(Customer.id == recipient.customer.id).with_for_update())
    if dedupe_key is not None and (found := _existing(session, tenant.id, dedupe_key)) is not None:
        return found
    at = now or utcnow()
    decision = _decide(session, tenant, recipient, data.channel, template.purpose, initiated_by, at)
    message = Message(
        id=new_id(),
        tenant_id=tenant.id,
        customer_id=recipient.customer.id,
        loan_id=recipient.loan.id if recipient.loan is not None else None,
        channel=data.channel,
        purpose=template.purpose,
        template_id=template.id,
        template_name=template.name,
        template_version=template.version,
        language=template.language,
        variables=dict(data.variables),
        recipient_role=recipient.role,
        recipient=masked(data.channel, recipient.address),
        recipient_hash=address_hashes(tenant.id, recipient.address)[0] if recipient.address else None,
        initiated_by=initiated_by,
        status="queued" if decision.allowed else "blocked",
        blocked_by=decision.blocked_by,
        counts_toward_caps=decision.counts_toward_caps,
        dedupe_key=dedupe_key,
        segments=rendered.segments if data.channel == "sms" else None,
        fallback_of=fallback_of,
        created_by=actor.email or getattr(actor, "name", None) or actor.actor_type,
        created_at=at,
        updated_at=at,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        if dedupe_key is not None and (found := _existing(session, tenant.id, dedupe_key)) is not None:
            return found
        raise
    _history(session, message, message.status, decision.detail, at)
    if decision.allowed:
        jobs.enqueue(
            session, kind=SEND_JOB, tenant_id=tenant.id, payload={"message_id": message.id}, max_attempts=SEND_ATTEMPTS
        )
    _changed(session, message, None)
    return message


def create_message(
    session: Session, *, tenant: Tenant, data: MessageCreate, actor: Actor, idempotency_key: str
) -> tuple[MessageRead, bool]:
    """``POST …/messages``: queue (or block) a message once per Idempotency-Key; (message, replayed)."""
    payload = data.model_dump(mode="json")
    key = idempotency.request_key(tenant.id, idempotency_key, payload)
    assert key is not None
    hashes = idempotency.request_hashes(tenant.id, payload)
    stored = idempotency.lookup(session, tenant_id=tenant.id, key=key[0], body_hashes=hashes)
    if stored is not None:
        return MessageRead.model_validate(stored), True
    message = queue_message(session, tenant=tenant, data=data, actor=actor, dedupe_key=f"api:{key[0]}")
    read = message_read(session, message)
    first = idempotency.claim(
        session,
        tenant_id=tenant.id,
        key=key[0],
        body_hash=key[1],
        response=read.model_dump(mode="json"),
        now=utcnow(),
    )
    if first is not None:  # the same key was claimed first: the message above is that request's
        return MessageRead.model_validate(
            idempotency.lookup(session, tenant_id=tenant.id, key=key[0], body_hashes=hashes)
        ), True
    return read, False


def send_otp(
    session: Session, *, tenant: Tenant, customer_id: str, code: str, language: str = "en", minutes: int = 5
) -> str:
    """Queue a sign-in code the borrower asked for: WhatsApp's authentication template, else SMS.

    Picks the tenant's approved OTP template on WhatsApp in ``language`` (then English), or on SMS when
    WhatsApp has none or no account; a WhatsApp send the provider refuses falls back to SMS (:func:`send`).
    The template's variables are filled from what a sign-in knows: ``otp``, ``minutes`` (how long the
    code lasts) and ``lender_name``. Returns the message id. Raises 422 when the tenant has no approved
    OTP template on either channel.
    """
    known: dict[str, str | int] = {"otp": code, "minutes": minutes, "lender_name": tenant.name}
    for channel in ("whatsapp", "sms"):
        if accounts.find(session, tenant_id=tenant.id, channel=channel) is None:
            continue
        template = channel_service.otp_template(session, tenant_id=tenant.id, channel=channel, language=language)
        if template is None:
            continue
        variables = {name: value for name, value in known.items() if name in template.variables}
        data = MessageCreate.model_validate(
            {"borrower_id": customer_id, "channel": channel, "template": template.id, "variables": variables}
        )
        return queue_message(session, tenant=tenant, data=data, actor=SYSTEM, initiated_by="borrower").id
    raise invalid_field("body.phone", "sign-in codes cannot be sent: no approved OTP template on WhatsApp or SMS")


# -- reading the log ----------------------------------------------------------------------------------


def _read(message: Message, steps: list[MessageStatusEvent]) -> MessageRead:
    return MessageRead(
        id=message.id,
        status=message.status,  # type: ignore[arg-type]
        blocked_by=message.blocked_by,
        channel=message.channel,
        purpose=message.purpose,
        template=message.template_id,
        template_name=message.template_name,
        template_version=message.template_version,
        language=message.language,
        loan_id=message.loan_id,
        borrower_id=message.customer_id,
        recipient=message.recipient,
        recipient_role=message.recipient_role,
        provider_message_id=message.provider_message_id,
        segments=message.segments,
        cost=message.cost,
        error_code=message.error_code,
        error=message.error,
        initiated_by=message.initiated_by,
        created_by=message.created_by,
        created_at=message.created_at,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
        read_at=message.read_at,
        history=[MessageStep(status=s.status, at=s.at, detail=s.detail) for s in steps],
    )


def _steps(session: Session, tenant_id: str, message_ids: list[str]) -> dict[str, list[MessageStatusEvent]]:
    found: dict[str, list[MessageStatusEvent]] = {i: [] for i in message_ids}
    if not message_ids:
        return found
    stmt = (
        select_owned(MessageStatusEvent, tenant_id)
        .where(MessageStatusEvent.message_id.in_(message_ids))
        .order_by(MessageStatusEvent.created_at, MessageStatusEvent.at)
    )
    for step in session.execute(stmt).scalars():
        found[step.message_id].append(step)
    return found


def message_read(session: Session, message: Message) -> MessageRead:
    """A message with its status history."""
    return _read(message, _steps(session, message.tenant_id, [message.id])[message.id])


def get_message(session: Session, *, tenant: Tenant, message_id: str) -> MessageRead:
    """One message of the tenant's log (404 for another tenant's)."""
    return message_read(session, get_owned(session, Message, message_id, tenant.id, what="Message"))


def list_messages(
    session: Session,
    *,
    tenant: Tenant,
    limit: int,
    offset: int,
    loan_id: str | None = None,
    borrower_id: str | None = None,
    status: str | None = None,
    channel: str | None = None,
) -> MessagePage:
    """The tenant's message log, newest first, with each message's history (two queries a page)."""
    stmt = select_owned(Message, tenant.id).order_by(Message.created_at.desc(), Message.id.desc())
    for column, value in (
        (Message.loan_id, loan_id),
        (Message.customer_id, borrower_id),
        (Message.status, status),
        (Message.channel, channel),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    page = paginate(session, stmt, limit=limit, offset=offset)
    steps = _steps(session, tenant.id, [m.id for m in page.items])
    items = [_read(m, steps[m.id]) for m in page.items]
    return MessagePage(items=items, total=page.total, limit=page.limit, offset=page.offset)


# -- sending (the job) --------------------------------------------------------------------------------


def _fail(session: Session, message: Message, code: str, error: str, *, refused: bool) -> None:
    previous = message.status
    message.status, message.error_code, message.error = "failed", code[:40], error[:300]
    if refused:  # it never reached a handset: it does not use up the borrower's caps
        message.counts_toward_caps = False
    message.updated_at = utcnow()
    _history(session, message, "failed", error, message.updated_at)
    _changed(session, message, previous)


@dataclass(frozen=True)
class Prepared:
    """Everything one send needs, read before the attempt is committed (no row is touched during the call)."""

    message_id: str
    channel: str
    template_name: str
    language: str
    config: accounts.Config
    rendered: Rendered
    to: str
    dlt_template_id: str


def _deliver(p: Prepared) -> SendResult:
    """One call to the provider, naming our message id as its client reference (no second message)."""
    config, rendered, to = p.config, p.rendered, p.to
    if isinstance(config, SmtpConfig):
        domain = config.from_address.rsplit("@", 1)[1]
        subject = rendered.subject or p.template_name
        provider_id = send_mail(config, to, subject, rendered.text, message_id=f"<{p.message_id}@{domain}>")
        return SendResult("email", provider_id, "sent", p.message_id, to)
    gateway = accounts.connector(config)
    assert not isinstance(gateway, SmtpConfig)
    try:
        if isinstance(gateway, SmsGateway):
            return gateway.send(to=to, text=rendered.text, template_id=p.dlt_template_id, reference=p.message_id)
        if isinstance(gateway, WhatsAppCloud):
            template = WhatsAppTemplate(p.template_name, p.language, tuple(rendered.values.values()))
            return gateway.send(to=to, message=template, reference=p.message_id)
        assert isinstance(gateway, VoiceGateway)
        return gateway.send(to=to, script=standard_script(p.language, rendered.text), reference=p.message_id)
    finally:
        gateway.close()


def send(ctx: JobContext) -> dict[str, Any]:
    """``channels.message.send``: deliver one queued message (a no-op for any other status)."""
    assert ctx.tenant_id is not None
    session = ctx.session
    message_id = str(ctx.payload["message_id"])
    stmt = select_owned(Message, ctx.tenant_id).where(Message.id == message_id).with_for_update()
    message = session.execute(stmt).scalar_one_or_none()
    if message is None or message.status != "queued" or message.provider_message_id is not None:
        return {"status": message.status if message else "missing"}
    tenant = session.get(Tenant, ctx.tenant_id)
    assert tenant is not None
    record = accounts.find(session, tenant_id=tenant.id, channel=message.channel)
    if record is None:
        _fail(session, message, "not_configured", f"no {message.channel} account is configured", refused=True)
        return {"status": "failed"}
    if message.attempts == 0 and not _still_allowed(session, tenant, message):
        return {"status": "blocked", "blocked_by": message.blocked_by}
    try:
        prepared = _prepare(session, tenant, record, message)
    except ChannelError as exc:
        _fail(session, message, "invalid", str(exc), refused=True)
        return {"status": "failed"}
    message.attempts += 1
    unit_cost = record.unit_cost
    # the attempt is on record before the provider hears of it; nothing is read or locked during the call
    ctx.checkpoint()
    try:
        result = _deliver(prepared)
    except (ChannelUnavailable, ChannelCircuitOpen) as exc:
        if ctx.attempt < SEND_ATTEMPTS:
            raise TransientJobError(f"{prepared.channel}: {exc}") from exc
        return _give_up(session, ctx.tenant_id, message_id, exc)
    except ChannelError as exc:
        return _refused(session, tenant, ctx.tenant_id, message_id, exc)
    return _sent(session, ctx.tenant_id, message_id, result, unit_cost)


def _recipient_of(session: Session, tenant_id: str, message: Message) -> Recipient:
    data = MessageCreate.model_validate(
        {
            "borrower_id": message.customer_id,
            "loan_id": message.loan_id,
            "channel": message.channel,
            "template": message.template_id,
            "recipient_role": message.recipient_role,
        }
    )
    return _recipient(session, tenant_id, data)


def _still_allowed(session: Session, tenant: Tenant, message: Message) -> bool:
    """The gate again at the moment of sending (a queue that fell behind must not send at 19:05, nor to
    someone who opted out meanwhile); a message it stops now is blocked with the rule, and never sent."""
    recipient = _recipient_of(session, tenant.id, message)
    initiated_by = cast(Initiator, message.initiated_by)
    decision = _decide(
        session, tenant, recipient, message.channel, message.purpose, initiated_by, utcnow(), exclude=message.id
    )
    if decision.allowed:
        return True
    message.status, message.blocked_by, message.counts_toward_caps = "blocked", decision.blocked_by, False
    message.updated_at = utcnow()
    _history(session, message, "blocked", f"at sending: {decision.detail}", message.updated_at)
    _changed(session, message, "queued")
    return False


def _prepare(session: Session, tenant: Tenant, record: ChannelProviderRecord, message: Message) -> Prepared:
    try:
        config = accounts.opened(record, tenant.slug)
    except ServiceUnavailable as exc:
        raise ChannelError(str(exc), provider=message.channel) from None
    template = channel_service.template_row(session, tenant_id=tenant.id, template_id=message.template_id)
    rendered = render(
        template.body,
        template.variables,
        message.variables or {},
        message.language,
        channel=message.channel,
        subject=template.subject,
    )
    recipient = _recipient_of(session, tenant.id, message)
    if recipient.address is None:
        raise ChannelError("the recipient has no address on record", provider=message.channel)
    return Prepared(
        message.id,
        message.channel,
        message.template_name,
        message.language,
        config,
        rendered,
        recipient.address,
        template.dlt_template_id or "",
    )


def _relock(session: Session, tenant_id: str, message_id: str) -> Message:
    """The message row locked again after the provider's answer, as it is now: a receipt may have moved it
    meanwhile, and the session still holds the object as it was before the call (populate_existing)."""
    stmt = select_owned(Message, tenant_id).where(Message.id == message_id).with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()


def _sent(session: Session, tenant_id: str, message_id: str, result: SendResult, unit_cost: Decimal) -> dict[str, Any]:
    message = _relock(session, tenant_id, message_id)
    message.provider = accounts.SHAPES[message.channel].provider  # type: ignore[index]
    message.provider_message_id = result.provider_message_id
    units = result.segments if message.channel == "sms" and result.segments else 1
    message.segments = result.segments if message.channel == "sms" else message.segments
    message.cost = unit_cost * units
    now = utcnow()
    message.sent_at = message.sent_at or now
    message.updated_at = now
    if message.status == "queued":  # a receipt may have overtaken the provider's answer
        message.status = "sent"
        _history(session, message, "sent", f"accepted by {message.provider} as {result.provider_message_id}", now)
        _changed(session, message, "queued")
    return {"status": message.status, "provider_message_id": result.provider_message_id}


def _give_up(session: Session, tenant_id: str, message_id: str, exc: ChannelError) -> dict[str, Any]:
    message = _relock(session, tenant_id, message_id)
    if message.status == "queued":
        _fail(session, message, "unavailable", f"gave up after {SEND_ATTEMPTS} attempts: {exc}", refused=True)
    return {"status": message.status}


def _refused(session: Session, tenant: Tenant, tenant_id: str, message_id: str, exc: ChannelError) -> dict[str, Any]:
    message = _relock(session, tenant_id, message_id)
    if message.status != "queued":
        return {"status": message.status}
    _fail(session, message, exc.provider_code or type(exc).__name__, str(exc), refused=True)
    fallback = OTP_FALLBACK.get(message.channel)
    if message.purpose == "otp" and fallback is not None:
        template = channel_service.otp_template(
            session, tenant_id=tenant_id, channel=fallback, language=message.language
        )
        if template is not None and accounts.find(session, tenant_id=tenant_id, channel=fallback) is not None:
            data = MessageCreate.model_validate(
                {
                    "borrower_id": message.customer_id,
                    "channel": fallback,
                    "template": template.id,
                    "variables": dict(message.variables or {}),
                }
            )
            queue_message(
                session, tenant=tenant, data=data, actor=SYSTEM, initiated_by="borrower", fallback_of=message.id
            )
    return {"status": "failed"}


# -- what the providers post back -----------------------------------------------------------------------

_STAMP = {"delivered": "delivered_at", "read": "read_at", "sent": "sent_at"}


def apply_receipt(session: Session, *, tenant_id: str, receipt: Receipt) -> bool:
    """Move a message on by a delivery receipt (never backwards, never twice); True when it moved."""
    stmt = select_owned(Message, tenant_id).with_for_update()
    if receipt.reference:
        stmt = stmt.where(Message.id == receipt.reference)
    else:
        stmt = stmt.where(Message.provider_message_id == receipt.provider_message_id)
    message = session.execute(stmt).scalar_one_or_none()
    if message is None or message.status == "blocked":
        return False
    current = message.status if message.status in STATUS_RANK else None
    if message.status == "failed" or not receipt_advances(current, receipt.status):  # type: ignore[arg-type]
        return False
    previous = message.status
    message.provider_message_id = message.provider_message_id or receipt.provider_message_id
    if receipt.status == "failed":
        reason = receipt.error or "the provider reports the message failed"
        _fail(session, message, receipt.error_code or "failed", reason, refused=False)
        return True
    message.status = receipt.status
    stamp = _STAMP.get(receipt.status)
    if stamp is not None:
        setattr(message, stamp, receipt.at)
    if receipt.status == "read" and message.delivered_at is None:
        message.delivered_at = receipt.at
    message.updated_at = utcnow()
    _history(session, message, receipt.status, None, receipt.at)
    _changed(session, message, previous)
    return True


def apply_reply(
    session: Session, *, tenant: Tenant, channel: str, inbound: Inbound, answered: Message | None = None
) -> bool:
    """Record a borrower's reply once (by the provider's id), read its intent, act on it; True when new.

    The sender finds the message answered (the one named, else the latest to that address); ``stop``
    opts the borrower out of the channel in the consent ledger; every reply is published as a
    ``message.status_changed``-style event of kind reply (``channels.reply`` in the data).
    """
    answered = answered or _answered(session, tenant.id, channel, inbound)
    today = clock.today(tenant)
    language = answered.language if answered is not None else None
    intent = intents.parse_reply(inbound.text, language, today)
    row = InboundMessage(
        tenant_id=tenant.id,
        channel=channel,
        provider_message_id=inbound.provider_message_id,
        customer_id=answered.customer_id if answered is not None else None,
        in_reply_to=answered.id if answered is not None else None,
        text=inbound.text,
        intent=intent.kind,
        promise_date=intent.promised_on,
        received_at=inbound.at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False  # the same reply again
    if answered is not None and intent.kind == "stop":
        channel_service.record(
            session,
            tenant=tenant,
            customer_id=answered.customer_id,
            entry=OptOut(channel=channel, source=f"{channel}_reply", evidence=f"reply {row.id}"),  # type: ignore[arg-type]
            actor=SYSTEM,
        )
    events.emit(
        session,
        tenant=tenant,
        type="message.replied",
        data={
            "reply_id": row.id,
            "channel": channel,
            "intent": intent.kind,
            "promised_on": intent.promised_on.isoformat() if intent.promised_on else None,
            "confidence": intent.confidence,
            "in_reply_to": row.in_reply_to,
            "borrower_id": row.customer_id,
            "loan_id": answered.loan_id if answered is not None else None,
        },
    )
    return True


def _answered(session: Session, tenant_id: str, channel: str, inbound: Inbound) -> Message | None:
    if inbound.in_reply_to:
        stmt = select_owned(Message, tenant_id).where(Message.provider_message_id == inbound.in_reply_to)
        if (found := session.execute(stmt).scalars().first()) is not None:
            return found
    try:
        sender = indian_mobile(inbound.sender)
    except ValueError:
        return None
    stmt = (
        select_owned(Message, tenant_id)
        .where(
            Message.recipient_hash.in_(address_hashes(tenant_id, sender)),
            Message.channel == channel,
            Message.status != "blocked",
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


# -- the providers' webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One webhook as it arrived: the tenant and channel it is addressed to, its exact body and signature."""

    tenant_id: str
    channel: str
    body: bytes
    signature: str | None


def _parsed(record: ChannelProviderRecord | None, delivery: Delivery) -> list[Receipt | Inbound | CallResult]:
    """What a webhook says, once its signature matches under the account's secret (401 otherwise)."""
    if record is None:
        raise NotFound(f"No {delivery.channel} account is configured")
    try:
        secret = CHANNEL_CREDENTIALS.open(record, accounts.WEBHOOK_SECRET[delivery.channel]) or ""
        if delivery.channel == "sms":
            return [parse_sms_webhook(delivery.body, delivery.signature, secret)]
        if delivery.channel == "voice":
            return [parse_voice_callback(delivery.body, delivery.signature, secret)]
        return list(parse_whatsapp_webhook(delivery.body, delivery.signature, secret))
    except (ChannelSignatureInvalid, DecryptionError):
        logger.warning("%s webhook for tenant %s refused: bad signature", delivery.channel, delivery.tenant_id)
        raise Unauthorized("the webhook signature does not match its body") from None
    except ChannelBadResponse as exc:
        raise BadRequest(f"the webhook body is not a {delivery.channel} callback: {exc}") from None


def _apply_call(session: Session, tenant: Tenant, result: CallResult) -> int:
    """A call's status moves its message; keys pressed are the borrower's answer (an intent)."""
    applied = int(apply_receipt(session, tenant_id=tenant.id, receipt=result.receipt()))
    if result.event == "terminal" and result.digits:
        found = select_owned(Message, tenant.id).where(Message.id == result.reference) if result.reference else None
        message = session.execute(found).scalar_one_or_none() if found is not None else None
        if message is not None:
            said = standard_script(message.language, "-").intent_for(result.digits)
            text = {"promise_to_pay": "promise to pay", "paid": "paid", "help": "help"}.get(said or "", "")
            if text:
                inbound = Inbound(f"{result.provider_call_id}:dtmf", message.recipient or "", text, result.at)
                applied += int(apply_reply(session, tenant=tenant, channel="voice", inbound=inbound, answered=message))
    return applied


def receive_webhooks(session: Session, deliveries: list[Delivery]) -> list[WebhookAck | AppError]:
    """Verify and apply provider webhooks in the caller's transaction; one outcome per delivery, in order.

    Duplicates and reordering are harmless: a receipt never moves a message backwards or twice, and a
    reply is recorded once by the provider's id. Each delivery runs in its own savepoint.
    """
    outcomes: list[WebhookAck | AppError] = []
    for delivery in deliveries:
        tenant = session.get(Tenant, delivery.tenant_id)
        if tenant is None:
            outcomes.append(NotFound("Tenant not found"))
            continue
        if session.info.get("tenant_id") != tenant.id:
            set_tenant_scope(session, tenant.id)
        try:
            with session.begin_nested():
                record = accounts.find(session, tenant_id=tenant.id, channel=delivery.channel)
                items = _parsed(record, delivery)
                applied = 0
                for item in items:
                    if isinstance(item, Receipt):
                        applied += int(apply_receipt(session, tenant_id=tenant.id, receipt=item))
                    elif isinstance(item, CallResult):
                        applied += _apply_call(session, tenant, item)
                    else:
                        applied += int(apply_reply(session, tenant=tenant, channel=delivery.channel, inbound=item))
        except AppError as exc:
            outcomes.append(exc)
            continue
        outcomes.append(WebhookAck(received=len(items), applied=applied))
    return outcomes


async def deliver(tenant_id: str, channel: str, body: bytes, signature: str | None) -> WebhookAck:
    """Hand one webhook to this process's channel-webhook writer; answer once its transaction committed."""
    writer = writer_for(get_database(), receive_webhooks, name="channel-webhooks")
    (outcome,) = await writer.write([Delivery(tenant_id, channel, body, signature)])
    if isinstance(outcome, AppError):
        raise outcome
    return cast(WebhookAck, outcome)
