"""Each tenant's provider accounts, one per channel: stored, redacted, tested, and opened into connectors.

``GET/PUT …/channels/{channel}`` read and change an account like the bureaus' and the payment gateway's:
non-secret settings in ``channel_provider.settings``, credentials sealed in the secret store
(:data:`~creditdesk.channels.models.CHANNEL_CREDENTIALS`), shown as their last characters and never
returned; an omitted secret keeps its stored value. Every change is audited and resets the channel's
circuit breaker. :func:`connector` opens an account for one send (the secrets in memory for that call).
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.channels.mail import SmtpConfig, check_server, trust
from creditdesk.channels.models import CHANNEL_CREDENTIALS, ChannelProviderRecord
from creditdesk.channels.policy import Channel
from creditdesk.channels.providers import (
    ChannelError,
    SmsConfig,
    SmsGateway,
    VoiceConfig,
    VoiceGateway,
    WhatsAppCloud,
    WhatsAppConfig,
)
from creditdesk.channels.schemas import ChannelSettingsRead, ChannelSettingsUpdate, ChannelTestResult
from creditdesk.config import get_settings
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, NotFound, ServiceUnavailable, invalid_field
from creditdesk.kit.crypto import DecryptionError
from creditdesk.kit.resilience import BreakerRegistry
from creditdesk.kit.ssrf import UnsafeEndpoint, check_provider_url
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned

#: the (tenant, channel) circuit breakers every connector of this process shares
BREAKERS = BreakerRegistry()


@dataclass(frozen=True)
class Shape:
    """What one channel's account holds: its provider, settings (the required ones first) and secrets."""

    provider: str
    settings: tuple[str, ...]
    required: tuple[str, ...]
    secrets: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...] = ()


SHAPES: dict[Channel, Shape] = {
    "sms": Shape(
        "exotel",
        ("base_url", "account_sid", "api_key", "sender", "entity_id", "sms_type"),
        ("base_url", "account_sid", "api_key", "sender", "entity_id", "api_token", "webhook_secret"),
        ("api_token", "webhook_secret"),
        (("sms_type", "transactional"),),
    ),
    "whatsapp": Shape(
        "meta_cloud",
        ("base_url", "phone_number_id", "api_version"),
        ("base_url", "phone_number_id", "access_token", "app_secret"),
        ("access_token", "app_secret", "verify_token"),
        (("api_version", "v21.0"),),
    ),
    "voice": Shape(
        "exotel",
        ("base_url", "account_sid", "api_key", "caller_id"),
        ("base_url", "account_sid", "api_key", "caller_id", "api_token", "webhook_secret"),
        ("api_token", "webhook_secret"),
    ),
    "email": Shape(
        "smtp",
        ("host", "port", "username", "starttls", "from_address", "from_name", "tls_ca_pem"),
        ("host", "from_address"),
        ("password",),
        (("port", 587), ("starttls", True)),
    ),
}
SECRET_NAMES = frozenset(name for shape in SHAPES.values() for name in shape.secrets)
#: the secret that signs a channel's webhooks (WhatsApp signs with the app secret)
WEBHOOK_SECRET: dict[str, str] = {"sms": "webhook_secret", "voice": "webhook_secret", "whatsapp": "app_secret"}


def webhook_path(tenant_slug: str, channel: str) -> str | None:
    """Where a channel's provider posts receipts and replies (relative to this server); none for e-mail."""
    return None if channel == "email" else f"/api/v1/webhooks/channels/{tenant_slug}/{channel}"


def find(session: Session, *, tenant_id: str, channel: str) -> ChannelProviderRecord | None:
    """The tenant's account for ``channel``, if configured."""
    stmt = select_owned(ChannelProviderRecord, tenant_id).where(ChannelProviderRecord.channel == channel)
    return session.execute(stmt).scalar_one_or_none()


def _read(tenant: Tenant, channel: Channel, record: ChannelProviderRecord | None) -> ChannelSettingsRead:
    shape = SHAPES[channel]
    base: dict[str, Any] = {
        "channel": channel,
        "provider": shape.provider,
        "webhook_path": webhook_path(tenant.slug, channel),
    }
    if record is None:
        return ChannelSettingsRead(configured=False, credentials=dict.fromkeys(shape.secrets), **base)
    return ChannelSettingsRead.model_validate(
        {
            **base,
            **{name: record.settings.get(name) for name in shape.settings},
            "configured": True,
            "timeout_ms": record.timeout_ms,
            "unit_cost": record.unit_cost,
            "credentials": {name: CHANNEL_CREDENTIALS.redacted(record, name) for name in shape.secrets},
            "updated_at": record.updated_at,
            "updated_by": record.updated_by,
        }
    )


def get_account(session: Session, *, tenant: Tenant, channel: Channel) -> ChannelSettingsRead:
    """The tenant's account for ``channel``, secrets redacted (``configured`` false when there is none)."""
    return _read(tenant, channel, find(session, tenant_id=tenant.id, channel=channel))


def _given(channel: Channel, data: ChannelSettingsUpdate) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings and secrets a PUT gives; 422 for a field another channel's provider takes."""
    shape = SHAPES[channel]
    sent = data.model_dump(exclude_unset=True, exclude_none=True)
    for name in sent:
        if name not in (*shape.settings, *shape.secrets, "timeout_ms", "unit_cost"):
            raise invalid_field(f"body.{name}", f"is not a setting of the {channel} provider ({shape.provider})")
    fields = {name: sent[name] for name in shape.settings if name in sent}
    secrets = {name: getattr(data, name).get_secret_value() for name in shape.secrets if name in sent}
    if "base_url" in fields:
        try:
            fields["base_url"] = check_provider_url(fields["base_url"], get_settings()).rstrip("/")
        except UnsafeEndpoint as exc:
            raise invalid_field("body.base_url", f"base_url {exc}") from None
    return fields, secrets


def update_account(
    session: Session, *, tenant: Tenant, channel: Channel, data: ChannelSettingsUpdate, actor: Actor
) -> ChannelSettingsRead:
    """Create or change the tenant's account for ``channel``; the result must make a working connector."""
    shape = SHAPES[channel]
    fields, secrets = _given(channel, data)
    record = find(session, tenant_id=tenant.id, channel=channel)
    created = record is None
    if record is None:
        missing = [name for name in shape.required if name not in fields and name not in secrets]
        if missing:
            raise invalid_field(f"body.{missing[0]}", f"required to configure {channel} ({', '.join(missing)})")
        record = ChannelProviderRecord(
            tenant_id=tenant.id, channel=channel, provider=shape.provider, timeout_ms=10_000, unit_cost=Decimal(0)
        )
        record.settings, record.secrets = dict(shape.defaults), {}
        session.add(record)
    before = dict(record.settings)
    record.settings = {**record.settings, **fields}
    changed = [name for name in record.settings if created or before.get(name) != record.settings[name]]
    for name in ("timeout_ms", "unit_cost"):
        value = getattr(data, name)
        if value is not None and (created or getattr(record, name) != value):
            setattr(record, name, value)
            changed.append(name)
    secrets_changed = CHANNEL_CREDENTIALS.update_map(record, secrets)
    _check_config(record, tenant.slug)
    if not (created or changed or secrets_changed):
        return _read(tenant, channel, record)
    record.updated_at = utcnow()
    record.updated_by = actor.email or getattr(actor, "name", None) or actor.actor_type
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the {channel} account was configured by another request at the same time; try again") from None
    audit.record(
        session,
        actor=actor,
        action="channels.account_configured" if created else "channels.account_updated",
        tenant_id=tenant.id,
        resource_type="channel_provider",
        resource_id=record.id,
        details={"channel": channel, "changed": sorted(changed), "secrets_changed": secrets_changed},
    )
    BREAKERS.reset(tenant.id, f"channels:{channel}")
    return _read(tenant, channel, record)


def _check_config(record: ChannelProviderRecord, tenant_slug: str) -> None:
    """422 when the stored account would not make a connector (a value the provider's config refuses)."""
    try:
        config_of(record, tenant_slug)
    except (ValueError, ssl.SSLError) as exc:
        raise invalid_field("body", f"the {record.channel} account is not usable: {exc}") from None


Config = SmsConfig | WhatsAppConfig | VoiceConfig | SmtpConfig


def config_of(record: ChannelProviderRecord, tenant_slug: str) -> Config:
    """The connector configuration of a stored account, its secrets opened (raises DecryptionError)."""
    secret = {name: CHANNEL_CREDENTIALS.open(record, name) or "" for name in SHAPES[_channel(record)].secrets}
    s = record.settings
    timeout_s = record.timeout_ms / 1000
    path = webhook_path(tenant_slug, record.channel)
    callback = f"{get_settings().own_base_url}{path}" if path else None
    if record.channel == "sms":
        return SmsConfig(
            base_url=s["base_url"],
            account_sid=s["account_sid"],
            api_key=s["api_key"],
            api_token=secret["api_token"],
            webhook_secret=secret["webhook_secret"],
            entity_id=s["entity_id"],
            sender=s["sender"],
            sms_type=s.get("sms_type", "transactional"),
            status_callback_url=callback,
            tenant_id=record.tenant_id,
            timeout_s=timeout_s,
        )
    if record.channel == "whatsapp":
        return WhatsAppConfig(
            base_url=s["base_url"],
            phone_number_id=s["phone_number_id"],
            access_token=secret["access_token"],
            app_secret=secret["app_secret"],
            api_version=s.get("api_version", "v21.0"),
            tenant_id=record.tenant_id,
            timeout_s=timeout_s,
        )
    if record.channel == "voice":
        return VoiceConfig(
            base_url=s["base_url"],
            account_sid=s["account_sid"],
            api_key=s["api_key"],
            api_token=secret["api_token"],
            webhook_secret=secret["webhook_secret"],
            caller_id=s["caller_id"],
            status_callback_url=callback,
            tenant_id=record.tenant_id,
            timeout_s=timeout_s,
        )
    return SmtpConfig(
        host=s["host"],
        port=int(s.get("port", 587)),
        username=s.get("username"),
        password=secret.get("password") or None if s.get("username") else None,
        from_address=s["from_address"],
        from_name=s.get("from_name"),
        starttls=bool(s.get("starttls", True)),
        timeout_s=timeout_s,
        ssl_context=trust(s.get("tls_ca_pem")),
    )


def _channel(record: ChannelProviderRecord) -> Channel:
    channel = record.channel
    if channel not in SHAPES:  # pragma: no cover - the column only ever holds the four
        raise ValueError(f"unknown channel {channel}")
    return channel


Connector = SmsGateway | WhatsAppCloud | VoiceGateway


def opened(record: ChannelProviderRecord, tenant_slug: str) -> Config:
    """:func:`config_of`, with the failures a send cannot get past as 503s that say what to fix."""
    try:
        if record.channel != "email":
            check_provider_url(record.settings["base_url"], get_settings())
        return config_of(record, tenant_slug)
    except UnsafeEndpoint as exc:
        raise ServiceUnavailable(f"the {record.channel} provider's base URL is refused: {exc}") from None
    except DecryptionError:
        raise ServiceUnavailable(f"the stored {record.channel} secrets cannot be decrypted; enter them again") from None


@lru_cache(maxsize=1)
def shared_client() -> httpx.Client:
    """The process's one HTTP client for the channel providers: a keep-alive pool and one TLS context
    (making a client loads the CA bundle — about 20 ms of CPU — so one per send would cost more than the
    send). httpx's client is safe to share between threads; each request carries its own timeout."""
    return httpx.Client(follow_redirects=False, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))


def connector(config: Config) -> Connector | SmtpConfig:
    """A connector for an opened account, on the shared client (SMTP needs none: ``mail.send_mail``)."""
    if isinstance(config, SmsConfig):
        return SmsGateway(config, client=shared_client(), breakers=BREAKERS)
    if isinstance(config, WhatsAppConfig):
        return WhatsAppCloud(config, client=shared_client(), breakers=BREAKERS)
    if isinstance(config, VoiceConfig):
        return VoiceGateway(config, client=shared_client(), breakers=BREAKERS)
    return config


def test_account(session: Session, *, tenant: Tenant, channel: Channel) -> ChannelTestResult:
    """One harmless authenticated call to the provider (a lookup; for SMTP a login without mail)."""
    record = find(session, tenant_id=tenant.id, channel=channel)
    if record is None:
        raise NotFound(f"No {channel} account is configured")
    started = time.perf_counter()
    outcome: Literal["ok", "failed"] = "ok"
    try:
        found = connector(opened(record, tenant.slug))
        if isinstance(found, SmtpConfig):
            detail = check_server(found)
        else:
            try:
                detail = found.check()
            finally:
                found.close()
    except (ChannelError, ServiceUnavailable) as exc:
        outcome, detail = "failed", str(exc)
    latency_ms = round((time.perf_counter() - started) * 1000)
    return ChannelTestResult(ok=outcome == "ok", latency_ms=latency_ms, detail=detail)
