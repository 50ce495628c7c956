"""Login, refresh rotation with reuse detection, logout, API keys.

Security invariants:
- Unknown e-mails and wrong passwords get the same message and the same Argon2 work.
- Failed logins are counted per (e-mail, client address), known e-mail or not (see ``throttle.py``):
  they slow that address down, and five lock the account for 15 minutes *for that address only* —
  even the right password is refused from it, while the owner still signs in from elsewhere.
- A locked attempt does the same Argon2 work as a real check; back-off and per-address refusals (429)
  happen before any password work and depend only on the caller's own attempts, never on whether the
  account exists.
- Refresh tokens rotate on every use. Presenting a used or revoked refresh token revokes its whole
  family (every token descended from that login), including the newest one, and its access tokens.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.auth import tokens
from creditdesk.auth.models import ApiKey, RefreshToken
from creditdesk.auth.passwords import verify_password
from creditdesk.auth.principal import API_KEY_PREFIX, Identity, forget_api_keys
from creditdesk.auth.schemas import ApiKeyCreate, ApiKeyCreated, TokenPair
from creditdesk.auth.throttle import login_throttle
from creditdesk.config import get_settings
from creditdesk.db import utcnow
from creditdesk.errors import AccountLocked, Forbidden, InvalidCredentials, TokenReuseDetected, Unauthorized
from creditdesk.kit.crypto import sha256_hex
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.permissions import permissions_for
from creditdesk.tenancy.scope import get_owned, select_owned

BAD_CREDENTIALS = "Incorrect email or password"
log = structlog.get_logger("creditdesk.auth")


class _Anonymous:
    """The actor of a sign-in attempt: anonymous until the password checks out, then the user."""

    def __init__(self, email: str | None, meta: dict[str, Any]):
        self.actor_type = "anonymous"
        self.id: str | None = None
        self.email = email
        self.request_id = meta.get("request_id")
        self.ip = meta.get("ip")


def _issue_pair(session: Session, user: User, family_id: str) -> TokenPair:
    settings = get_settings()
    access = tokens.issue(
        typ="access",
        subject=user.id,
        family_id=family_id,
        lifetime=timedelta(minutes=settings.access_token_minutes),
        extra={"role": user.role, "tid": user.tenant_id},
    )
    refresh = tokens.issue(
        typ="refresh", subject=user.id, family_id=family_id, lifetime=timedelta(days=settings.refresh_token_days)
    )
    session.add(RefreshToken(jti=refresh.jti, family_id=family_id, user_id=user.id, expires_at=refresh.expires_at))
    return TokenPair(
        access_token=access.token, refresh_token=refresh.token, expires_in=settings.access_token_minutes * 60
    )


def _find_user(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()


def login(session: Session, *, email: str, password: str, meta: dict[str, Any]) -> TokenPair:
    """Check credentials and return a token pair, throttling and locking per (account, address)."""
    now = utcnow()
    email = email.strip().lower()
    ip = meta.get("ip") or "unknown"
    throttle = login_throttle()
    actor = _Anonymous(email, meta)
    try:
        throttle.check(email, ip)  # a back-off refusal (429) costs no database or password work
    except AccountLocked:
        verify_password(None, password)  # same work as a real check
        user = _find_user(session, email)
        audit.record(
            session,
            actor=actor,
            action="auth.login.locked",
            tenant_id=user.tenant_id if user else None,
            outcome="denied",
            resource_type="user",
            resource_id=user.id if user else None,
            details={"email": email},
        )
        raise
    user = _find_user(session, email)
    chain_tenant = user.tenant_id if user else None

    ok = verify_password(user.password_hash if user else None, password)
    if not ok:
        outcome = throttle.failed(email, ip)
        audit.record(
            session,
            actor=actor,
            action="auth.login.failed",
            tenant_id=chain_tenant,
            outcome="failure",
            resource_type="user",
            resource_id=user.id if user else None,
            details={"email": email, "locked": outcome.locked},
        )
        if outcome.spraying_accounts is not None:
            _report_spraying(session, actor=actor, ip=ip, accounts=outcome.spraying_accounts)
        if outcome.locked:  # the failure that locks says so (the same for known and unknown e-mails)
            raise throttle.locked()
        raise InvalidCredentials(BAD_CREDENTIALS)

    assert user is not None
    if not user.is_active:
        raise InvalidCredentials("This account is deactivated; ask your administrator")
    if user.tenant_id:
        tenant = session.get(Tenant, user.tenant_id)
        if tenant is None or tenant.status != "active":
            audit.record(
                session,
                actor=actor,
                action="auth.login.denied",
                tenant_id=user.tenant_id,
                outcome="denied",
                resource_type="user",
                resource_id=user.id,
                details={"reason": "tenant suspended"},
            )
            raise InvalidCredentials("Your organisation's access to CreditDesk is suspended")
    throttle.succeeded(email, ip)
    user.last_login_at = now
    actor.id = user.id
    actor.actor_type = "user"
    audit.record(
        session,
        actor=actor,
        action="auth.login.succeeded",
        tenant_id=user.tenant_id,
        resource_type="user",
        resource_id=user.id,
    )
    return _issue_pair(session, user, family_id=secrets.token_urlsafe(16))


def _report_spraying(session: Session, *, actor: _Anonymous, ip: str, accounts: int) -> None:
    """Raise the password-spraying signal: a platform audit event and a warning for log-based alerting."""
    settings = get_settings()
    log.warning(
        "password spraying suspected: failed sign-ins for many accounts from one address",
        ip=ip,
        accounts=accounts,
        window_minutes=settings.lockout_minutes,
    )
    audit.record(
        session,
        actor=actor,
        action="auth.spraying_detected",
        tenant_id=None,
        outcome="denied",
        details={"ip": ip, "accounts": accounts, "window_minutes": settings.lockout_minutes},
    )


def _revoke_family(session: Session, family_id: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _record_session_event(
    session: Session,
    action: str,
    *,
    row: RefreshToken,
    user: User | None,
    meta: dict[str, Any],
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Audit an event of a refresh token's sign-in session, on behalf of its user (who may be gone)."""
    audit.record(
        session,
        actor=_Anonymous(user.email if user else None, meta),
        action=action,
        tenant_id=user.tenant_id if user else None,
        outcome=outcome,
        resource_type="user",
        resource_id=row.user_id,
        details=details,
    )


def refresh(session: Session, *, refresh_token: str, meta: dict[str, Any]) -> TokenPair:
    """Rotate a refresh token; a reused token revokes its whole family."""
    claims = tokens.decode(refresh_token, typ="refresh")
    row = session.get(RefreshToken, claims["jti"])
    if row is None or row.user_id != claims["sub"]:
        raise Unauthorized("Invalid token")
    user = session.get(User, row.user_id)
    if row.used_at is not None or row.revoked_at is not None:
        _revoke_family(session, row.family_id)
        _record_session_event(
            session,
            "auth.refresh.reuse_detected",
            row=row,
            user=user,
            meta=meta,
            outcome="denied",
            details={"family": row.family_id[:8]},
        )
        raise TokenReuseDetected("Refresh token was already used; every session of this sign-in has been revoked")
    if user is None or not user.is_active:
        raise Unauthorized("Invalid token")
    if user.tenant_id:
        tenant = session.get(Tenant, user.tenant_id)
        if tenant is None or tenant.status != "active":
            raise Unauthorized("Your organisation's access to CreditDesk is suspended")
    row.used_at = utcnow()
    return _issue_pair(session, user, family_id=row.family_id)


def logout(session: Session, *, refresh_token: str, meta: dict[str, Any]) -> None:
    """Revoke the refresh token's family (and so its access tokens)."""
    try:
        claims = tokens.decode(refresh_token, typ="refresh")
    except Unauthorized:
        return  # logging out with a dead token is already done
    row = session.get(RefreshToken, claims["jti"])
    if row is None:
        return
    _revoke_family(session, row.family_id)
    _record_session_event(session, "auth.logout", row=row, user=session.get(User, row.user_id), meta=meta)


def me(principal: Identity) -> dict[str, Any]:
    """Describe the caller, with the permissions the portal uses to shape its navigation."""
    return {
        "id": principal.id,
        "email": principal.email,
        "name": principal.name,
        "role": principal.role,
        "tenant": principal.tenant_slug,
        "permissions": sorted(principal.permissions),
    }


def create_api_key(session: Session, *, tenant: Tenant, data: ApiKeyCreate, actor: Identity) -> ApiKeyCreated:
    """Create an API key; the full key is returned once, only its SHA-256 is stored."""
    if not permissions_for(data.role, platform_scoped=False) <= actor.permissions:
        raise Forbidden(f"You cannot create a key with more rights than your own (role {data.role})")
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    key = ApiKey(
        tenant_id=tenant.id,
        name=data.name,
        role=data.role,
        prefix=prefix,
        key_hash=sha256_hex(raw),
        created_by=actor.id,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.created",
        tenant_id=tenant.id,
        resource_type="api_key",
        resource_id=key.id,
        details={"name": key.name, "role": key.role, "prefix": prefix},
    )
    return ApiKeyCreated(
        id=key.id,
        name=key.name,
        role=key.role,
        prefix=prefix,
        created_at=key.created_at,
        last_used_at=None,
        revoked_at=None,
        key=raw,
    )


def list_api_keys(session: Session, *, tenant: Tenant) -> list[ApiKey]:
    """List a tenant's API keys (prefixes only)."""
    return list(session.execute(select_owned(ApiKey, tenant.id).order_by(ApiKey.created_at)).scalars())


def revoke_api_key(session: Session, *, tenant: Tenant, key_id: str, actor: Identity) -> ApiKey:
    """Revoke an API key."""
    key = get_owned(session, ApiKey, key_id, tenant.id, what="API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    forget_api_keys()
    audit.record(
        session,
        actor=actor,
        action="api_key.revoked",
        tenant_id=tenant.id,
        resource_type="api_key",
        resource_id=key.id,
        details={"prefix": key.prefix},
    )
    return key
