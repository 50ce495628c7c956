"""Webhook endpoints, the outbox consumer that fans events out, and the signed delivery.

Signature: ``X-CreditDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
(the Stripe scheme). Receivers recompute it over the raw body and reject stale timestamps.
Deliveries are unique per (event, endpoint), so a re-relayed event is delivered once; each delivery is
a job — retried with backoff on timeouts, connection errors, 5xx, 408 and 429; failed at once on other
4xx; dead-lettered (and requeueable) after the last attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import get_settings
from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.errors import ValidationFailed
from creditdesk.events.publisher import Event
from creditdesk.kit.ssrf import UnsafeEndpoint, check_endpoint
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.webhooks.models import WEBHOOK_SECRET, WebhookDelivery, WebhookEndpoint
from creditdesk.webhooks.schemas import WebhookCreate
from creditdesk.worker import service as jobs
from creditdesk.worker.errors import PermanentJobError, TransientJobError

USER_AGENT = "CreditDesk-Webhooks/1"


def checked_url(url: str) -> str:
    """Refuse non-http(s) URLs and, outside demo/dev mode, private/loopback/link-local targets (SSRF)."""
    settings = get_settings()
    try:
        return check_endpoint(url, allow_private=settings.allow_private_endpoints or settings.is_dev_like)
    except UnsafeEndpoint as exc:
        raise ValidationFailed(f"url: {exc}") from None


def read(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """Render an endpoint (secret redacted)."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "secret": "••••••" + endpoint.secret_last4,
        "created_at": endpoint.created_at,
    }


def create(session: Session, *, tenant_id: str, data: WebhookCreate, actor: Any) -> dict[str, Any]:
    """Register an endpoint; the signing secret is returned once."""
    url = checked_url(data.url)
    secret = data.secret or "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        id=new_id(),
        tenant_id=tenant_id,
        url=url,
        events=sorted(set(data.events)),
        secret_ciphertext="",
        secret_last4=secret[-4:],
        created_by=actor.id,
    )
    endpoint.secret_ciphertext = WEBHOOK_SECRET.seal(endpoint, secret)
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="webhook.created",
        tenant_id=tenant_id,
        resource_type="webhook",
        resource_id=endpoint.id,
        details={"url": url, "events": endpoint.events},
    )
    return {**read(endpoint), "signing_secret": secret}


def list_endpoints(session: Session, *, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's endpoints."""
    rows = session.execute(select_owned(WebhookEndpoint, tenant_id).order_by(WebhookEndpoint.created_at)).scalars()
    return [read(e) for e in rows]


def deactivate(session: Session, *, tenant_id: str, endpoint_id: str, actor: Any) -> dict[str, Any]:
    """Stop sending to an endpoint."""
    endpoint = get_owned(session, WebhookEndpoint, endpoint_id, tenant_id, what="Webhook")
    endpoint.active = False
    audit.record(
        session,
        actor=actor,
        action="webhook.deactivated",
        tenant_id=tenant_id,
        resource_type="webhook",
        resource_id=endpoint.id,
        details={"url": endpoint.url},
    )
    return read(endpoint)


def list_deliveries(session: Session, *, tenant_id: str, endpoint_id: str) -> list[WebhookDelivery]:
    """The newest 100 deliveries to an endpoint."""
    get_owned(session, WebhookEndpoint, endpoint_id, tenant_id, what="Webhook")
    stmt = select_owned(WebhookDelivery, tenant_id).where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(session.execute(stmt.order_by(WebhookDelivery.created_at.desc()).limit(100)).scalars())


def body(event: Event) -> dict[str, Any]:
    """What an endpoint receives: the event's envelope, and ``created_at`` (its wave-1 name for ``occurred_at``)."""
    envelope = event.envelope()
    return {**envelope, "created_at": envelope["occurred_at"]}


def fan_out(session: Session, event: Event) -> None:
    """Event consumer: one delivery (and job) per subscribed endpoint; idempotent per (event, endpoint)."""
    if event.tenant_id is None:
        return
    known = session.info.setdefault("webhook_endpoints", {})  # once per tenant per relay transaction
    if event.tenant_id not in known:
        known[event.tenant_id] = list(
            session.execute(
                select_owned(WebhookEndpoint, event.tenant_id).where(WebhookEndpoint.active.is_(True))
            ).scalars()
        )
    endpoints = known[event.tenant_id]
    payload = body(event)
    for endpoint in endpoints:
        if event.type not in endpoint.events:
            continue
        delivery_id = new_id()
        stmt = (
            insert_into(session, WebhookDelivery)
            .values(
                id=delivery_id,
                tenant_id=event.tenant_id,
                event_id=event.id,
                endpoint_id=endpoint.id,
                kind=event.type,
                payload=payload,
                status="pending",
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(WebhookDelivery.id)
        )
        if session.execute(stmt).first() is None:
            continue  # already fanned out: the relay ran this event before
        job = jobs.enqueue(
            session,
            kind="webhook.deliver",
            tenant_id=event.tenant_id,
            max_attempts=5,
            payload={"delivery_id": delivery_id},
        )
        session.get_one(WebhookDelivery, delivery_id).job_id = job.id


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for a body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def deliver(session: Session, *, tenant_id: str, delivery_id: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """POST one delivery; on failure raise TransientJobError (retried) or PermanentJobError (not retried).

    Either keeps the attempt's outcome (``keep_state``): the worker commits the delivery's response
    status (and ``failed``) before it retries or fails the job.
    """
    delivery = get_owned(session, WebhookDelivery, delivery_id, tenant_id, what="Delivery")
    endpoint = get_owned(session, WebhookEndpoint, delivery.endpoint_id, tenant_id, what="Webhook")
    if not endpoint.active:
        delivery.status = "failed"
        return {"skipped": "endpoint deactivated"}
    url = checked_url(endpoint.url)  # DNS may have changed since the endpoint was saved
    secret = WEBHOOK_SECRET.open(endpoint)
    if secret is None:
        raise PermanentJobError(f"webhook {endpoint.id} has no signing secret")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CreditDesk-Event-Id": delivery.event_id,
        "X-CreditDesk-Event": delivery.kind,
        "X-CreditDesk-Signature": sign(secret, body, int(time.time())),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise TransientJobError(f"{type(exc).__name__} calling {endpoint.url}") from None
    delivery.response_status = response.status_code
    if 200 <= response.status_code < 300:
        delivery.status, delivery.delivered_at = "delivered", utcnow()
        return {"status": response.status_code}
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise TransientJobError(f"{endpoint.url} answered {response.status_code}", keep_state=True)
    delivery.status = "failed"
    raise PermanentJobError(f"{endpoint.url} refused the event with {response.status_code}", keep_state=True)
