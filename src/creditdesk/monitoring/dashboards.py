"""Dashboard embedding: per-tenant settings (native pages or Power BI) and short-lived embed tokens.

Security invariants:

* The Power BI service-principal secret is encrypted with SecretBox, bound to
  ``<tenant_id>/dashboards/client_secret``; it is never returned (only a redacted tail) nor logged,
  and changing it leaves an audit event that says *that* it changed, not what to.
* A native embed token is a JWT signed with a key derived from the server's JWT secret for this
  purpose only, audience ``creditdesk-embed``, type ``embed``, valid 10 minutes, naming one tenant
  and one dashboard. A tampered, expired or malformed token is refused with 401; a valid token used
  for another dashboard or another tenant (``?tenant=``), or whose tenant is no longer active, is
  refused with 403. It can never pass as an API access token (different key, audience and type).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import Settings, get_settings
from creditdesk.db import utcnow
from creditdesk.errors import Forbidden, Unauthorized, ValidationFailed
from creditdesk.kit.crypto import DecryptionError, random_token
from creditdesk.monitoring import powerbi
from creditdesk.monitoring.models import DASHBOARD_SECRETS, DashboardEmbed
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import select_owned

DASHBOARDS = ("overview", "delinquency", "npa", "drift")
EMBED_AUDIENCE = "creditdesk-embed"
EMBED_ISSUER = "creditdesk"
EMBED_TTL = timedelta(minutes=10)
SECRET_FIELDS = ("client_secret",)
POWERBI_REQUIRED = ("report_id", "workspace_id", "embed_url", "client_id", "directory_id")


def _find(session: Session, tenant_id: str) -> DashboardEmbed | None:
    return session.execute(select_owned(DashboardEmbed, tenant_id)).scalar_one_or_none()


def embed_config(session: Session, *, tenant: Tenant) -> dict[str, Any]:
    """Return the tenant's embedding settings with the secret redacted."""
    row = _find(session, tenant.id)
    if row is None:
        return {
            "provider": "native",
            "configured": False,
            "report_id": None,
            "embed_url": None,
            "workspace_id": None,
            "client_id": None,
            "directory_id": None,
            "authority_url": None,
            "api_url": None,
            "allowed_origins": [],
            "credentials": dict.fromkeys(SECRET_FIELDS),
            "updated_at": None,
            "updated_by": None,
        }
    return {
        "provider": row.provider,
        "configured": True,
        "report_id": row.report_id,
        "embed_url": row.embed_url,
        "workspace_id": row.workspace_id,
        "client_id": row.client_id,
        "directory_id": row.directory_id,
        "authority_url": row.authority_url,
        "api_url": row.api_url,
        "allowed_origins": row.allowed_origins or [],
        "credentials": {f: DASHBOARD_SECRETS.redacted(row, f) for f in SECRET_FIELDS},
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _checked_embed_url(url: str, settings: Settings) -> str:
    """The browser loads this URL (the server never fetches it): absolute, no credentials, https in production."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValidationFailed("embed_url must be an absolute http(s) URL without credentials")
    if parts.scheme != "https" and not settings.is_dev_like:
        raise ValidationFailed("embed_url must use https")
    return url.strip()


def put_embed_config(session: Session, *, tenant: Tenant, data: Any, actor: Any) -> dict[str, Any]:
    """Save the tenant's embedding settings; an omitted secret keeps the stored one (audited)."""
    settings = get_settings()
    row = _find(session, tenant.id)
    if row is None:
        row = DashboardEmbed(tenant_id=tenant.id, secrets={})
        session.add(row)
    values = data.model_dump(exclude={"credentials"})
    for field in ("authority_url", "api_url"):
        if values.get(field):
            try:
                values[field] = powerbi.check_url(values[field], settings)
            except ValueError as exc:
                raise ValidationFailed(f"{field}: {exc}") from None
    if values.get("embed_url"):
        values["embed_url"] = _checked_embed_url(values["embed_url"], settings)
    changed = sorted(k for k, v in values.items() if getattr(row, k, None) != v)
    for key, value in values.items():
        setattr(row, key, value)
    secrets = dict(row.secrets or {})
    secret_changed = []
    for field, value in (data.credentials.model_dump(exclude_none=True) if data.credentials else {}).items():
        secrets[field] = DASHBOARD_SECRETS.seal(row, value, field)
        secret_changed.append(field)
    row.secrets = secrets
    if row.provider == "powerbi":
        missing = [f for f in POWERBI_REQUIRED if not getattr(row, f)]
        if not secrets.get("client_secret"):
            missing.append("credentials.client_secret")
        if missing:
            raise ValidationFailed("Power BI embedding needs " + ", ".join(missing))
    row.updated_at = utcnow()
    row.updated_by = getattr(actor, "email", None) or getattr(actor, "name", None)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="dashboards.embed_updated",
        tenant_id=tenant.id,
        resource_type="dashboard_embed",
        resource_id=row.id,
        details={"provider": row.provider, "changed": changed, "secrets_changed": secret_changed},
    )
    return embed_config(session, tenant=tenant)


# --------------------------------------------------------------------------------------------------
# embed tokens


def _signing_key(settings: Settings) -> str:
    return hmac.new(settings.jwt_key().encode(), b"creditdesk-embed-tokens", hashlib.sha256).hexdigest()


def embed_path(dashboard: str, tenant_slug: str, token: str) -> str:
    """Return the native page's path with its query (relative to the server)."""
    return f"/embed/dashboards/{dashboard}?" + urlencode({"tenant": tenant_slug, "token": token})


def issue_native_token(
    *, tenant: Tenant, dashboard: str, subject: str, settings: Settings | None = None
) -> dict[str, Any]:
    """Sign a 10-minute token for one tenant's native dashboard page."""
    settings = settings or get_settings()
    now = utcnow()
    expires = now + EMBED_TTL
    claims = {
        "iss": EMBED_ISSUER,
        "aud": EMBED_AUDIENCE,
        "typ": "embed",
        "sub": subject,
        "tid": tenant.id,
        "ten": tenant.slug,
        "dsh": dashboard,
        "jti": random_token(12),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    token = jwt.encode(claims, _signing_key(settings), algorithm="HS256")
    path = embed_path(dashboard, tenant.slug, token)
    base = (settings.public_base_url or "").rstrip("/")
    return {"provider": "native", "dashboard": dashboard, "token": token, "expires_at": expires, "url": base + path}


def issue_embed_token(session: Session, *, tenant: Tenant, dashboard: str, actor: Any) -> dict[str, Any]:
    """Issue an embed token: Power BI's (via the service principal) when configured, else a native one."""
    settings = get_settings()
    row = _find(session, tenant.id)
    if row is not None and row.provider == "powerbi":
        try:
            secret = DASHBOARD_SECRETS.open(row, "client_secret")
        except DecryptionError:
            secret = None
        if not secret:
            raise ValidationFailed("The Power BI client secret is missing or unreadable; set it again")
        default_base = powerbi.default_simulator_base(settings) if settings.is_dev_like else None
        embed = powerbi.exchange(
            directory_id=row.directory_id or "",
            client_id=row.client_id or "",
            client_secret=secret,
            workspace_id=row.workspace_id or "",
            report_id=row.report_id or "",
            embed_url=row.embed_url or "",
            authority_url=row.authority_url or default_base or powerbi.DEFAULT_AUTHORITY,
            api_url=row.api_url or default_base or powerbi.DEFAULT_API,
        )
        result = {
            "provider": "powerbi",
            "dashboard": dashboard,
            "token": embed.token,
            "expires_at": embed.expires_at,
            "url": embed.embed_url,
            "report_id": row.report_id,
            "token_id": embed.token_id,
        }
    else:
        result = issue_native_token(tenant=tenant, dashboard=dashboard, subject=actor.id, settings=settings)
    audit.record(
        session,
        actor=actor,
        action="dashboards.embed_token_issued",
        tenant_id=tenant.id,
        resource_type="dashboard",
        resource_id=dashboard,
        details={"provider": result["provider"]},
    )
    return result


@dataclass(frozen=True)
class EmbedGrant:
    tenant_id: str
    tenant_slug: str
    dashboard: str
    subject: str


def verify_embed_token(token: str | None, *, dashboard: str, tenant_slug: str | None) -> EmbedGrant:
    """Check a native embed token for a page: 401 when not genuine or expired, 403 when not for this page."""
    if not token:
        raise Unauthorized("An embed token is required")
    try:
        claims = jwt.decode(
            token,
            _signing_key(get_settings()),
            algorithms=["HS256"],
            audience=EMBED_AUDIENCE,
            issuer=EMBED_ISSUER,
            options={"require": ["exp", "iat", "tid", "dsh", "typ", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The embed token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid embed token") from None
    if claims.get("typ") != "embed":
        raise Unauthorized("Invalid embed token")
    if claims["dsh"] != dashboard:
        raise Forbidden("This embed token was issued for another dashboard")
    if tenant_slug is not None and claims.get("ten") != tenant_slug:
        raise Forbidden("This embed token was issued for another tenant")
    return EmbedGrant(
        tenant_id=claims["tid"],
        tenant_slug=claims.get("ten", ""),
        dashboard=claims["dsh"],
        subject=claims.get("sub", ""),
    )
