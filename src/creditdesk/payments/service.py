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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.config import get_settings
from creditdesk.db import get_database, insert_into, new_id, set_tenant_scope, utcnow
from creditdesk.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    invalid_field,
)
from creditdesk.kit.crypto import DecryptionError
from creditdesk.kit.groupcommit import writer_for
from creditdesk.kit.pagination import Page, paginate
from creditdesk.kit.resilience import BreakerRegistry
from creditdesk.kit.ssrf import UnsafeEndpoint, check_provider_url
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
            fields["base_url"] = check_provider_url(fields["base_url"], settings).rstrip("/")
        except UnsafeEndpoint as exc:
            raise invalid_field("body.base_url", f"base_url {exc}") from None
    record = find_settings(session, tenant_id=tenant.id)
    created = record is None
    if record is None:
        for required in ("base_url", "key_id", *SECRET_FIELDS):
            if required not in fields and required not in given:
                raise invalid_field(f"body.{required}", "required to configure the payment gateway")
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
        check_provider_url(record.base_url, get_settings())
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
        raise invalid_field("body.loan_id", "the loan is closed")
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


#: a captured payment of a batch: the delivery's index, its event, the payment it carries
Captured = tuple[int, WebhookEvent, Payment]


@dataclass(frozen=True)
class Delivery:
    """One inbound gateway webhook as it arrived: the tenant it is addressed to, its exact body and signature."""

    tenant_id: str
    body: bytes
    signature: str | None


def _verified(tenant: Tenant, record: PaymentGatewayConfigRecord | None, delivery: Delivery) -> WebhookEvent:
    """The webhook's event if its signature matches under the tenant's webhook secret (401 otherwise)."""
    if record is None:
        raise NotFound(f"Tenant '{tenant.slug}' has no payment gateway")
    try:
        secret = PAYMENT_GATEWAY_CREDENTIALS.open(record, "webhook_secret") or ""
        return verify_webhook(delivery.body, delivery.signature, secret)
    except (WebhookSignatureInvalid, DecryptionError):
        log.warning("payment webhook for tenant %s refused: the signature does not match", tenant.id)
        raise Unauthorized("the webhook signature does not match its body") from None
    except GatewayBadResponse:
        raise BadRequest("the webhook body is not a gateway event") from None


def receive_webhook(session: Session, *, tenant: Tenant, body: bytes, signature: str | None) -> WebhookAck:
    """Verify and apply one inbound gateway webhook in the caller's transaction (see :func:`receive_webhooks`)."""
    (outcome,) = receive_webhooks(session, [Delivery(tenant.id, body, signature)])
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


async def deliver(tenant_id: str, body: bytes, signature: str | None) -> WebhookAck:
    """Hand one webhook to this process's webhook writer and answer once its transaction has committed.

    The writer (:mod:`creditdesk.kit.groupcommit`) applies whatever webhooks queued meanwhile in one
    transaction, so a burst of a gateway's deliveries costs a few statements per batch, not per webhook.
    """
    writer = writer_for(get_database(), receive_webhooks, name="payment-webhooks")
    (outcome,) = await writer.write([Delivery(tenant_id, body, signature)])
    if isinstance(outcome, AppError):
        raise outcome
    return cast(WebhookAck, outcome)


def receive_webhooks(session: Session, deliveries: list[Delivery]) -> list[WebhookAck | AppError]:
    """Verify and apply inbound gateway webhooks in the caller's transaction; one outcome per delivery, in order.

    Replays, duplicates and reordering are harmless. Only a captured payment changes the loan
    (``payment.captured``, ``payment_link.paid`` and ``order.paid`` carry it; whichever arrives first
    applies it); a mandate's confirmation or a bounced debit moves the mandate (payments/mandates.py).
    A payment that matches no link or loan is recorded as ``unmatched`` and answered 200, so the gateway
    stops retrying. An outcome that is an error (401 signature, 404 tenant) changed nothing.
    """
    outcomes: dict[int, WebhookAck | AppError] = {}
    by_tenant: dict[str, list[int]] = {}
    for i, delivery in enumerate(deliveries):
        by_tenant.setdefault(delivery.tenant_id, []).append(i)
    ids = sorted(by_tenant)
    tenants = {tenant_id: session.get(Tenant, tenant_id) for tenant_id in ids}  # a batch's are mostly one
    accounts = {
        r.tenant_id: r
        for r in session.execute(
            select(PaymentGatewayConfigRecord).where(PaymentGatewayConfigRecord.tenant_id.in_(ids))
        ).scalars()
    }
    for tenant_id, indexes in by_tenant.items():
        tenant = tenants.get(tenant_id)
        if tenant is None:
            for i in indexes:
                outcomes[i] = NotFound("Tenant not found")
            continue
        if session.info.get("tenant_id") != tenant_id:
            set_tenant_scope(session, tenant_id)  # row-level security's second wall, tenant by tenant
        captured: list[Captured] = []
        for i in indexes:
            try:
                event = _verified(tenant, accounts.get(tenant_id), deliveries[i])
                received = _receive_other(session, tenant, event)
            except AppError as exc:
                outcomes[i] = exc
                continue
            if isinstance(received, Payment):
                captured.append((i, event, received))
            else:
                outcomes[i] = received
        outcomes.update(_apply_captured(session, tenant, captured))
    return [outcomes[i] for i in range(len(deliveries))]


def _receive_other(session: Session, tenant: Tenant, event: WebhookEvent) -> WebhookAck | Payment:
    """A mandate event or bounced debit applied (in its own savepoint), an event that changes nothing
    acknowledged — or the captured payment the event carries, which the batch applies (:func:`_apply_captured`)."""
    payment = event.entity("payment", Payment) if "payment" in event.payload else None
    if event.event in MANDATE_EVENTS:
        with session.begin_nested():
            return mandates.receive_token_event(session, tenant=tenant, event=event)
    if payment is not None and payment.recurring and payment.status == "failed":
        with session.begin_nested():
            return mandates.receive_bounce(session, tenant=tenant, event=event, payment=payment)
    if payment is None or payment.status != "captured" or event.event not in PAYMENT_EVENTS:
        return WebhookAck(outcome="ignored", gateway_payment_id=payment.id if payment else None)
    return payment


def _claim(session: Session, tenant: Tenant, captured: list[Captured]) -> dict[str, str]:
    """Insert a ``gateway_payment`` row per payment unless it exists — one insert-or-nothing, in payment id
    order so concurrent batches never wait on each other in a cycle; {gateway payment id: row id} of the
    rows this transaction inserted. Core rows, not ORM objects: nothing here is read back."""
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "created_at": now,
            "tenant_id": tenant.id,
            "gateway_payment_id": payment.id,
            "gateway_link_id": payment.payment_link_id,
            "event_id": event.id,
            "amount": payment.amount,
            "method": payment.method,
            "status": "received",
        }
        for _, event, payment in sorted(captured, key=lambda c: c[2].id)
    ]
    table: Any = GatewayPaymentRecord.__table__
    stmt = insert_into(session, table).on_conflict_do_nothing(index_elements=["tenant_id", "gateway_payment_id"])
    claimed = session.connection().execute(stmt.returning(table.c.gateway_payment_id, table.c.id), rows)
    return {gateway_payment_id: row_id for gateway_payment_id, row_id in claimed}


def _apply_captured(session: Session, tenant: Tenant, captured: list[Captured]) -> dict[int, WebhookAck]:
    """Claim the captured payments and record each claimed one on its loan (by its link or its mandate debit),
    all at once; mark the links and debits paid. A payment already claimed is a ``duplicate``."""
    if not captured:
        return {}
    first: dict[str, Captured] = {}
    for item in captured:
        first.setdefault(item[2].id, item)
    claims = _claim(session, tenant, list(first.values()))
    mine = [payment for _, _, payment in first.values() if payment.id in claims]
    links = _links_of(session, tenant, mine)
    debits = mandates.debits_for_payments(session, tenant_id=tenant.id, payments=[p for p in mine if p.recurring])
    outcomes: dict[str, dict[str, Any]] = {}  # the claim row's outcome columns, by gateway payment id
    matched: list[tuple[Payment, PaymentLinkRecord | None, str]] = []
    for payment in mine:
        debit = debits.get(payment.id)
        link = links.get(payment.payment_link_id) if payment.payment_link_id is not None else None
        loan_id = debit.loan_id if debit is not None else link.loan_id if link is not None else None
        if loan_id is None:
            outcomes[payment.id] = {"status": "unmatched", "detail": _NO_MATCH}
            log.warning("gateway payment %s of tenant %s matches no payment link or debit", payment.id, tenant.id)
        else:
            matched.append((payment, link, loan_id))
    recorded = portfolio.record_payments(
        session,
        tenant=tenant,
        items=[(loan_id, _payment_create(tenant, p)) for p, _, loan_id in matched],
        actor=audit.SYSTEM,
    )
    settled = []
    for (payment, link, loan_id), outcome in zip(matched, recorded, strict=True):
        columns: dict[str, Any] = {"link_id": link.id if link is not None else None, "loan_id": loan_id}
        if isinstance(outcome, AppError):  # the loan is gone or refuses the payment (closed, over-paid, misdated)
            status = "unmatched" if isinstance(outcome, NotFound) else "rejected"
            outcomes[payment.id] = {**columns, "status": status, "detail": str(outcome)[:300]}
            log.warning("gateway payment %s of tenant %s not applied: %s", payment.id, tenant.id, outcome)
            continue
        outcomes[payment.id] = {**columns, "status": "applied", "payment_id": outcome.payment.id}
        if payment.id in debits:
            settled.append((debits[payment.id], payment))
        if link is not None and payment.amount >= link.amount and link.status == "created":
            link.status, link.updated_at = "paid", utcnow()
            link.paid_at = datetime.fromtimestamp(payment.created_at, UTC)
    mandates.mark_paid(session, settled)
    _store_outcomes(session, claims, outcomes)
    acks = {}
    for i, _, payment in captured:
        said: Any = (
            outcomes[payment.id]["status"] if first[payment.id][0] == i and payment.id in claims else "duplicate"
        )
        acks[i] = WebhookAck(outcome=said, gateway_payment_id=payment.id)
    return acks


_NO_MATCH = "no payment link or mandate debit of this tenant matches it"
#: the claim row's columns an outcome sets (each update sets all of them: one statement for the batch)
_OUTCOME_COLUMNS = ("status", "detail", "link_id", "loan_id", "payment_id")


def _payment_create(tenant: Tenant, payment: Payment) -> PaymentCreate:
    """The loan payment a captured gateway payment makes: reference ``gw:<id>``, dated in the tenant's zone."""
    paid_at = datetime.fromtimestamp(payment.created_at, UTC)
    return PaymentCreate(
        reference=f"gw:{payment.id}",
        amount=payment.amount,
        paid_on=clock.local(paid_at, tenant).date(),
        channel=CHANNELS.get(payment.method, "other"),  # type: ignore[arg-type]  # a value of the Literal
    )


def _store_outcomes(session: Session, claims: dict[str, str], outcomes: dict[str, dict[str, Any]]) -> None:
    """Write each claim's outcome (one executemany UPDATE, in row id order)."""
    if not outcomes:
        return
    table: Any = GatewayPaymentRecord.__table__
    rows = [
        {"row_id": claims[gid], **{c: outcomes[gid].get(c) for c in _OUTCOME_COLUMNS}}
        for gid in sorted(outcomes, key=claims.__getitem__)
    ]
    stmt = update(table).where(table.c.id == bindparam("row_id"))
    session.connection().execute(stmt.values({c: bindparam(c) for c in _OUTCOME_COLUMNS}), rows)


def _links_of(session: Session, tenant: Tenant, payments: list[Payment]) -> dict[str, PaymentLinkRecord]:
    """The tenant's payment links the payments were made on, by gateway link id (one query)."""
    wanted = sorted({p.payment_link_id for p in payments if p.payment_link_id is not None})
    if not wanted:
        return {}
    stmt = select_owned(PaymentLinkRecord, tenant.id).where(PaymentLinkRecord.gateway_link_id.in_(wanted))
    return {link.gateway_link_id: link for link in session.execute(stmt).scalars()}
