"""Who is calling: the authenticated principal, resolved once per request."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import structlog
from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import select, update

from creditdesk.auth import tokens
from creditdesk.auth.models import ApiKey, RefreshToken
from creditdesk.db import get_database, utcnow
from creditdesk.errors import Forbidden, Unauthorized
from creditdesk.kit import singleflight
from creditdesk.kit.crypto import constant_time_equals, sha256_hex
from creditdesk.kit.load import enforce_rate_limits
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.permissions import BORROWER_ROLE, Permission, declare, permissions_for, require

API_KEY_PREFIX = "cdk_"


@dataclass
class Identity:
    """An authenticated caller (a user or an API key); also the actor recorded in audit events."""

    actor_type: str  # user | api_key
    id: str
    email: str | None
    name: str
    role: str
    tenant_id: str | None
    tenant_slug: str | None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    request_id: str | None = None
    ip: str | None = None

    @property
    def platform_scoped(self) -> bool:
        """True for users without a tenant (platform admin, platform risk analyst)."""
        return self.tenant_id is None

    def can(self, permission: Permission) -> bool:
        """Return whether the caller holds a permission."""
        return permission in self.permissions


def request_meta(request: Request) -> dict[str, Any]:
    """Return the request id and client address for audit records."""
    return {
        "request_id": getattr(request.state, "request_id", None),
        "ip": request.client.host if request.client else None,
    }


#: why a borrower's token opens no staff route, and a staff credential no borrower's route
BORROWER_REALM_ONLY = "A borrower's sign-in opens only the borrower's own routes (/api/v1/me/…)"
STAFF_NOT_BORROWER = "These are a borrower's own routes: sign in with the code sent to the borrower's phone"


def _from_bearer(token: str, meta: dict[str, Any]) -> Identity:
    """Verify an access token and load its user (its own short read transaction; run off the event loop)."""
    claims = tokens.decode(token, typ="access")
    if claims.get("role") == BORROWER_ROLE:
        raise Forbidden(BORROWER_REALM_ONLY)
    with get_database().session(read_only=True) as session:
        return _bearer_identity(session, claims, meta)


def _bearer_identity(session: Any, claims: dict[str, Any], meta: dict[str, Any]) -> Identity:
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active:
        raise Unauthorized("Invalid token")
    revoked = session.execute(
        select(RefreshToken.jti)
        .where(RefreshToken.family_id == claims["fam"], RefreshToken.revoked_at.is_not(None))
        .limit(1)
    ).first()
    if revoked:
        raise Unauthorized("Session has been revoked; sign in again")
    slug = None
    if user.tenant_id:
        tenant = session.get(Tenant, user.tenant_id)
        if tenant is None or tenant.status != "active":
            raise Unauthorized("Your organisation's access is suspended")
        slug = tenant.slug
    return Identity(
        actor_type="user",
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        tenant_id=user.tenant_id,
        tenant_slug=slug,
        permissions=permissions_for(user.role, platform_scoped=user.tenant_id is None),
        **meta,
    )


#: Verified API keys, cached per process for API_KEY_TTL_S seconds so machine clients do not pay two
#: queries per request. Revoking a key or suspending a tenant clears this process's cache at once;
#: other API processes notice within the TTL.
API_KEY_TTL_S = 5.0
_key_cache: dict[str, tuple[float, str, Identity]] = {}  # prefix -> (verified at, key hash, caller without meta)


def forget_api_keys() -> None:
    """Drop every cached API key (after a revocation or a tenant suspension)."""
    _key_cache.clear()


def _key_prefix(raw: str) -> str:
    parts = raw.split("_")
    if len(parts) != 3 or parts[0] + "_" != API_KEY_PREFIX:
        raise Unauthorized("Invalid API key")
    return parts[1]


def _cached_api_key(raw: str, meta: dict[str, Any]) -> Identity | None:
    """The caller of a recently verified API key, without touching the database (None on a miss)."""
    hit = _key_cache.get(_key_prefix(raw))
    if hit is not None and time.monotonic() - hit[0] < API_KEY_TTL_S and constant_time_equals(hit[1], sha256_hex(raw)):
        return dataclasses.replace(hit[2], **meta)
    return None


def _from_api_key(raw: str, meta: dict[str, Any]) -> Identity:
    """Verify an API key against the database (its own short transactions; run off the event loop)."""
    prefix = _key_prefix(raw)
    db = get_database()
    with db.session(read_only=True) as session:
        key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
        if key is None or key.revoked_at is not None or not constant_time_equals(key.key_hash, sha256_hex(raw)):
            raise Unauthorized("Invalid API key")
        tenant = session.get(Tenant, key.tenant_id)
        if tenant is None or tenant.status != "active":
            raise Unauthorized("Your organisation's access is suspended")
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        with db.session() as session, session.begin():
            session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    caller = Identity(
        actor_type="api_key",
        id=key.id,
        email=None,
        name=key.name,
        role=key.role,
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        permissions=permissions_for(key.role, platform_scoped=False),
    )
    _key_cache[key.prefix] = (time.monotonic(), key.key_hash, caller)
    return dataclasses.replace(caller, **meta)


async def get_principal(request: Request) -> Identity:
    """Authenticate the request by bearer token or ``X-API-Key``; 401 otherwise.

    A recently verified API key costs no query and no thread hop; anything else is looked up in its
    own short read transaction in a worker thread, never in the request's transaction.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Identity):
        return cached
    meta = request_meta(request)
    api_key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if api_key:
        raw = api_key.strip()
        principal = _cached_api_key(raw, meta)
        if principal is None:  # concurrent first uses of one key share one lookup (a wrong key just fails)
            principal = await singleflight.run_once(("api-key", sha256_hex(raw)), _from_api_key, raw, {})
            principal = dataclasses.replace(principal, **meta)
    elif auth[:7].lower() == "bearer " and auth[7:].strip():
        principal = await to_thread.run_sync(_from_bearer, auth[7:].strip(), meta)
    else:
        raise Unauthorized("Not authenticated: send 'Authorization: Bearer <token>' or 'X-API-Key'")
    request.state.principal = principal
    structlog.contextvars.bind_contextvars(tenant=principal.tenant_slug, user=principal.id)
    enforce_rate_limits(
        tenant_id=principal.tenant_id, api_key_id=principal.id if principal.actor_type == "api_key" else None
    )
    return principal


Principal = Annotated[Identity, Depends(get_principal)]


def Require(permission: Permission) -> Any:  # noqa: N802 - reads as a type in signatures
    """Dependency: the caller must hold ``permission`` (403 otherwise)."""

    async def _require(principal: Principal) -> Identity:
        require(principal, permission)
        return principal

    return Depends(declare(_require, permission))


@dataclass(frozen=True)
class BorrowerIdentity:
    """A borrower signed in by one-time code (``creditdesk.borrowers``): a customer of one tenant.

    Security invariant: a realm apart from staff. The token names the customer (``sub``), the tenant
    (``tid`` and its slug ``ten``) and the role ``borrower``, which holds no permission; staff routes refuse
    it (403, :func:`get_principal`) and the borrower's routes refuse staff credentials (403, :func:`get_borrower`).
    Also the actor of audit events (``actor_type`` ``borrower``).
    """

    customer_id: str
    tenant_id: str
    tenant_slug: str
    family_id: str
    request_id: str | None = None
    ip: str | None = None
    actor_type: str = "borrower"
    email: None = None
    role: str = BORROWER_ROLE
    permissions: frozenset[Permission] = frozenset()

    @property
    def id(self) -> str:
        """The customer the borrower signed in as."""
        return self.customer_id


def _bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() != "bearer ":
        return None
    return auth[7:].strip() or None


async def get_borrower(request: Request) -> BorrowerIdentity:
    """Authenticate a borrower's access token: 401 without a valid credential, 403 for a staff one.

    Only the token is checked here (signature, expiry, type, realm); the tenant and whether the session
    was signed out are ``tenancy.deps.BorrowerAccess``'s and ``borrowers.deps``' to check.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, BorrowerIdentity):
        return cached
    token = _bearer_token(request)
    claims = tokens.decode(token, typ="access") if token else None
    if claims is None or claims.get("role") != BORROWER_ROLE:
        if claims is None and not request.headers.get("x-api-key"):
            raise Unauthorized("Not authenticated: sign in with the code sent to your phone")
        await get_principal(request)  # a staff credential: 401 unless it is a valid one
        raise Forbidden(STAFF_NOT_BORROWER)
    if not isinstance(claims.get("tid"), str) or not isinstance(claims.get("ten"), str):
        raise Unauthorized("Invalid token")
    borrower = BorrowerIdentity(
        customer_id=claims["sub"],
        tenant_id=claims["tid"],
        tenant_slug=claims["ten"],
        family_id=claims["fam"],
        **request_meta(request),
    )
    request.state.principal = borrower
    structlog.contextvars.bind_contextvars(tenant=borrower.tenant_slug, borrower=borrower.customer_id)
    return borrower
