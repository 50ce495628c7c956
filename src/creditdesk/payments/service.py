"""Payments services: the tenant's gateway account, payment links, inbound webhooks applied once.

Security invariants:
- Gateway secrets are sealed (:data:`~creditdesk.payments.models.PAYMENT_GATEWAY_CREDENTIALS`) before
  they reach the session and leave this module only redacted; audit details and logs name fields,
  never values.
- Outside demo/dev mode the gateway's base URL must reach a public address (:mod:`creditdesk.kit.ssrf`),
  checked when saved and again before every call.
- An inbound webhook is verified over its raw body with the tenant's webhook secret before anything
  in it is read.

Exactly-once invariant: a captured payment claims its ``gateway_payment`` row (unique per tenant and
gateway payment id) with an insert-or-nothing in the webhook's transaction; only the request that
inserted it records the payment on the loan. A concurrent duplicate waits on the row (PostgreSQL's
unique index; SQLite's single writer) and then inserts nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.config import Settings, get_settings
from creditdesk.db import new_id, utcnow
from creditdesk.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)
from creditdesk.kit.crypto import DecryptionError
from creditdesk.kit.pagination import Page, paginate
from creditdesk.kit.resilience import BreakerRegistry
from creditdesk.kit.ssrf import UnsafeEndpoint, check_endpoint, check_url_shape
from creditdesk.payments import mandates
from creditdesk.payments.errors import GatewayBadResponse, GatewayError, WebhookSignatureInvalid
from creditdesk.payments.gateway import Payment, PaymentGateway, PaymentLinkCreate, WebhookEvent, verify_webhook
from creditdesk.payments.models import (
    PAYMENT_GATEWAY_CREDENTIALS,
    SECRET_FIELDS,
    GatewayPaymentRecord,
    PaymentGatewayConfigRecord,
    PaymentLinkRecord,
    gateway_config,
)
from creditdesk.payments.schemas import (
    GatewaySettingsRead,
    GatewaySettingsUpdate,
    LinkCreate,
    LinkPage,
    LinkRead,
    WebhookAck,
)
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.models import Loan
from creditdesk.portfolio.schemas import PaymentCreate
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned

log = logging.getLogger(__name__)

#: the largest webhook body accepted (a gateway event is a few kilobytes)
MAX_WEBHOOK_BYTES = 64 * 1024
#: the circuit breakers of every tenant's gateway in this process, keyed (tenant, "payments")
BREAKERS = BreakerRegistry()
#: how a gateway payment method is recorded on the loan's payment
CHANNELS = {"upi": "upi", "emandate": "nach"}
#: the events that report money received (each carries the captured payment); a refund's does not count
PAYMENT_EVENTS = frozenset({"payment.captured", "payment_link.paid", "payment_link.partially_paid", "order.paid"})
#: a mandate's confirmation, rejection or cancellation (payments/mandates.py)
MANDATE_EVENTS = frozenset({"token.confirmed", "token.rejected", "token.cancelled"})


def webhook_path(slug: str) -> str:
    """Where a tenant's gateway sends its webhooks (relative to this server)."""
    return f"/api/v1/webhooks/payments/{slug}"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}", extra={"fields": [{"field": field, "message": message, "type": "value_error"}]}
    )


def checked_base_url(url: str, settings: Settings) -> str:
    """The base URL if this deployment may call it (the simulator lives on this host in demo/dev)."""
    if settings.is_dev_like:
        return check_url_shape(url)
    return check_endpoint(url, allow_private=settings.allow_private_endpoints)


# -- the gateway account -----------------------------------------------------------------------------


def find_settings(session: Session, *, tenant_id: str) -> PaymentGatewayConfigRecord | None:
    """The tenant's gateway account, if configured."""
    stmt = select_owned(PaymentGatewayConfigRecord, tenant_id)
    return session.execute(stmt).scalar_one_or_none()


def _read_settings(tenant: Tenant, record: PaymentGatewayConfigRecord | None) -> GatewaySettingsRead:
    if record is None:
        return GatewaySettingsRead(
            configured=False,
            base_url=None,
            key_id=None,
            credentials=dict.fromkeys(SECRET_FIELDS),
            timeout_ms=None,
            webhook_path=webhook_path(tenant.slug),
            updated_at=None,
            updated_by=None,
        )
    return GatewaySettingsRead(
        configured=True,
        base_url=record.base_url,
        key_id=record.key_id,
        credentials={name: PAYMENT_GATEWAY_CREDENTIALS.redacted(record, name) for name in SECRET_FIELDS},
        timeout_ms=record.timeout_ms,
        webhook_path=webhook_path(tenant.slug),
        updated_at=record.updated_at,
        updated_by=record.updated_by,
    )


def get_settings_of(session: Session, *, tenant: Tenant) -> GatewaySettingsRead:
    """The tenant's gateway account, secrets redacted."""
    return _read_settings(tenant, find_settings(session, tenant_id=tenant.id))


def _apply_secrets(record: PaymentGatewayConfigRecord, given: dict[str, str]) -> list[str]:
    return PAYMENT_GATEWAY_CREDENTIALS.update_map(record, given)


def update_settings(
    session: Session, *, tenant: Tenant, data: GatewaySettingsUpdate, actor: Actor
) -> GatewaySettingsRead:
    """Create or change the tenant's gateway account; an omitted secret keeps its stored value."""
    settings = get_settings()
    fields = data.model_dump(exclude_unset=True, exclude={"key_secret", "webhook_secret"}, exclude_none=True)
    given = {name: getattr(data, name).get_secret_value() for name in SECRET_FIELDS if getattr(data, name) is not None}
    if "base_url" in fields:
        try:
            fields["base_url"] = checked_base_url(fields["base_url"], settings).rstrip("/")
        except UnsafeEndpoint as exc:
            raise _invalid("body.base_url", f"base_url {exc}") from None
    record = find_settings(session, tenant_id=tenant.id)
    created = record is None
    if record is None:
        for required in ("base_url", "key_id", *SECRET_FIELDS):
            if required not in fields and required not in given:
                raise _invalid(f"body.{required}", "required to configure the payment gateway")
        record = PaymentGatewayConfigRecord(tenant_id=tenant.id, base_url=fields["base_url"], key_id=fields["key_id"])
        record.secrets = {}
        session.add(record)
    changed = [name for name, value in fields.items() if created or getattr(record, name) != value]
    for name, value in fields.items():
        setattr(record, name, value)
    secrets_changed = _apply_secrets(record, given)
    if created or changed or secrets_changed:
        record.updated_at = utcnow()
        record.updated_by = actor.email or getattr(actor, "name", None) or actor.actor_type
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "the payment gateway was configured by another request at the same time; try again"
            ) from None
        audit.record(
            session,
            actor=actor,
            action="payments.gateway_configured" if created else "payments.gateway_updated",
            tenant_id=tenant.id,
            resource_type="payment_gateway_config",
            resource_id=record.id,
            details={"changed": changed, "secrets_changed": secrets_changed},
        )
        BREAKERS.reset(tenant.id, "payments")
    return _read_settings(tenant, record)


def _gateway(record: PaymentGatewayConfigRecord) -> PaymentGateway:
    """A connector on the stored account (secrets opened in memory for this call)."""
    try:
        checked_base_url(record.base_url, get_settings())
        config = gateway_config(record)
    except UnsafeEndpoint as exc:
        raise ServiceUnavailable(f"the payment gateway's base URL is refused: {exc}") from None
    except DecryptionError:
        raise ServiceUnavailable("the stored gateway secrets cannot be decrypted; enter them again") from None
    return PaymentGateway(config, breakers=BREAKERS)


# -- payment links -----------------------------------------------------------------------------------


def _link_read(link: PaymentLinkRecord) -> LinkRead:
    status = link.status
    if status == "created" and link.expires_at is not None and link.expires_at <= utcnow():
        status = "expired"
    return LinkRead.model_validate(
        {
            "id": link.id,
            "url": link.url,
            "status": status,
            "amount": link.amount,
            "loan_id": link.loan_id,
            "purpose": link.purpose,
            "gateway_link_id": link.gateway_link_id,
            "expires_at": link.expires_at,
            "paid_at": link.paid_at,
            "created_at": link.created_at,
        }
    )


def create_link(session: Session, *, tenant: Tenant, data: LinkCreate, actor: Actor) -> LinkRead:
    """Create a payment link for a loan at the tenant's gateway and store it.

    404 for a loan of another tenant; 422 for a closed loan; 409 without a gateway account; 503 when
    the gateway does not answer (the link is created once: no retry that could make a second one).
    """
    loan = get_owned(session, Loan, data.loan_id, tenant.id, what="Loan")
    if loan.status == "closed":
        raise _invalid("body.loan_id", "the loan is closed")
    record = find_settings(session, tenant_id=tenant.id)
    if record is None:
        raise Conflict("no payment gateway is configured for this tenant (PUT …/payments/gateway)")
    link_id = new_id()
    expires_at = utcnow() + timedelta(hours=data.expires_in_hours)
    request = PaymentLinkCreate(
        amount=data.amount,
        description=f"{data.purpose} for loan {loan.id}",
        reference_id=link_id,
        expire_by=int(expires_at.timestamp()),
        notes={"loan_id": loan.id, "purpose": data.purpose},
    )
    gateway = _gateway(record)
    try:
        created = gateway.create_payment_link(request)
    except GatewayError as exc:
        log.warning("payment link for tenant %s not created: %s (%s)", tenant.id, exc.message, exc.code)
        raise ServiceUnavailable(f"the payment gateway did not create the link: {exc.message}") from None
    finally:
        gateway.close()
    link = PaymentLinkRecord(
        id=link_id,
        tenant_id=tenant.id,
        loan_id=loan.id,
        gateway_link_id=created.id,
        url=created.short_url,
        amount=data.amount,
        purpose=data.purpose,
        status="created",
        expires_at=expires_at,
        created_by=getattr(actor, "id", None),
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payments.link_created",
        tenant_id=tenant.id,
        resource_type="payment_link",
        resource_id=link.id,
        details={"loan_id": loan.id, "amount": str(data.amount), "purpose": data.purpose},
    )
    return _link_read(link)


def get_link(session: Session, *, tenant: Tenant, link_id: str) -> LinkRead:
    """One payment link of the tenant (404 for another tenant's)."""
    return _link_read(get_owned(session, PaymentLinkRecord, link_id, tenant.id, what="Payment link"))


def list_links(
    session: Session, *, tenant: Tenant, loan_id: str | None, status: str | None, limit: int, offset: int
) -> LinkPage:
    """The tenant's payment links, newest first, optionally of one loan or in one stored status."""
    stmt = select_owned(PaymentLinkRecord, tenant.id)
    if loan_id is not None:
        stmt = stmt.where(PaymentLinkRecord.loan_id == loan_id)
    if status is not None:
        stmt = stmt.where(PaymentLinkRecord.status == status)
    page: Page[PaymentLinkRecord] = paginate(
        session, stmt.order_by(PaymentLinkRecord.created_at.desc(), PaymentLinkRecord.id), limit=limit, offset=offset
    )
    return LinkPage(items=[_link_read(r) for r in page.items], total=page.total, limit=limit, offset=offset)


# -- inbound webhooks --------------------------------------------------------------------------------


def _verified(session: Session, tenant: Tenant, body: bytes, signature: str | None) -> WebhookEvent:
    """The webhook's event if its signature matches under the tenant's webhook secret (401 otherwise)."""
    record = find_settings(session, tenant_id=tenant.id)
    if record is None:
        raise NotFound(f"Tenant '{tenant.slug}' has no payment gateway")
    try:
        secret = PAYMENT_GATEWAY_CREDENTIALS.open(record, "webhook_secret") or ""
        return verify_webhook(body, signature, secret)
    except (WebhookSignatureInvalid, DecryptionError):
        log.warning("payment webhook for tenant %s refused: the signature does not match", tenant.id)
        raise Unauthorized("the webhook signature does not match its body") from None
    except GatewayBadResponse:
        raise BadRequest("the webhook body is not a gateway event") from None


def _claim(session: Session, tenant: Tenant, event: WebhookEvent, payment: Payment) -> GatewayPaymentRecord | None:
    """Insert the payment's ``gateway_payment`` row unless it exists; the row when this request inserted it.

    One statement: the insert-or-nothing returns the new row as an ORM object (nothing to read back).
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values: dict[str, Any] = {
        "id": new_id(),
        "created_at": utcnow(),
        "tenant_id": tenant.id,
        "gateway_payment_id": payment.id,
        "gateway_link_id": payment.payment_link_id,
        "event_id": event.id,
        "amount": payment.amount,
        "method": payment.method,
        "status": "received",
    }
    stmt = insert(GatewayPaymentRecord).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["tenant_id", "gateway_payment_id"])
    return session.scalars(stmt.returning(GatewayPaymentRecord)).one_or_none()


def _apply(session: Session, tenant: Tenant, row: GatewayPaymentRecord, payment: Payment) -> None:
    """Record the claimed payment on its loan (by its link, or its mandate debit); mark the link or debit paid.

    Sets ``row.status``.
    """
    link = None
    debit = mandates.debit_for_payment(session, tenant_id=tenant.id, payment=payment) if payment.recurring else None
    if payment.payment_link_id is not None:
        stmt = select_owned(PaymentLinkRecord, tenant.id).where(
            PaymentLinkRecord.gateway_link_id == payment.payment_link_id
        )
        link = session.execute(stmt).scalar_one_or_none()
    loan_id = debit.loan_id if debit is not None else link.loan_id if link is not None else None
    if loan_id is None:
        row.status, row.detail = "unmatched", "no payment link or mandate debit of this tenant matches it"
        log.warning("gateway payment %s of tenant %s matches no payment link or debit", payment.id, tenant.id)
        return
    row.link_id, row.loan_id = (link.id if link is not None else None), loan_id
    paid_at = datetime.fromtimestamp(payment.created_at, UTC)
    data = PaymentCreate(
        reference=f"gw:{payment.id}",
        amount=payment.amount,
        paid_on=clock.local(paid_at, tenant).date(),
        channel=CHANNELS.get(payment.method, "other"),  # type: ignore[arg-type]  # a value of the Literal
    )
    try:
        with session.begin_nested():
            outcome = portfolio.record_payment(session, tenant=tenant, loan_id=loan_id, data=data, actor=audit.SYSTEM)
    except AppError as exc:  # the loan is gone or refuses the payment (closed, over-paid, misdated)
        row.status, row.detail = ("unmatched" if isinstance(exc, NotFound) else "rejected"), str(exc)[:300]
        log.warning("gateway payment %s of tenant %s not applied: %s", payment.id, tenant.id, exc)
        return
    row.status, row.payment_id = "applied", outcome.payment.id
    if debit is not None:
        mandates.mark_paid(session, debit=debit, payment=payment)
    if link is not None and payment.amount >= link.amount and link.status == "created":
        link.status, link.paid_at, link.updated_at = "paid", paid_at, utcnow()


def receive_webhook(session: Session, *, tenant: Tenant, body: bytes, signature: str | None) -> WebhookAck:
    """Verify and apply one inbound gateway webhook; replays, duplicates and reordering are harmless.

    Only a captured payment changes anything (``payment.captured``, ``payment_link.paid`` and
    ``order.paid`` carry it; whichever arrives first applies it). A payment that matches no link or loan
    is recorded as ``unmatched`` and answered 200, so the gateway stops retrying.
    """
    event = _verified(session, tenant, body, signature)
    if event.event in MANDATE_EVENTS:
        return mandates.receive_token_event(session, tenant=tenant, event=event)
    payment = event.entity("payment", Payment) if "payment" in event.payload else None
    if payment is not None and payment.recurring and payment.status == "failed":
        return mandates.receive_bounce(session, tenant=tenant, event=event, payment=payment)
    if payment is None or payment.status != "captured" or event.event not in PAYMENT_EVENTS:
        return WebhookAck(outcome="ignored", gateway_payment_id=payment.id if payment else None)
    row = _claim(session, tenant, event, payment)
    if row is None:
        return WebhookAck(outcome="duplicate", gateway_payment_id=payment.id)
    _apply(session, tenant, row, payment)
    session.flush()
    outcome = cast(Any, row.status)
    return WebhookAck(outcome=outcome, gateway_payment_id=payment.id)
