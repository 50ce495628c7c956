"""Route vocabulary for tenant-scoped endpoints: resolve ``{tenant}``, then check the permission.

Tenants are resolved from a per-process cache (``TENANT_TTL_S``; a change made through this process
— suspension, rename, time zone — applies at once, one made through another process within the TTL),
so a tenant-scoped request does not query the tenant table while nothing has changed. With region
databases (docs/data-residency.md) the same lookup tells the routing the tenant's region, and the
request continues in that region (:func:`creditdesk.db.enter_region`): no extra query either.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.auth.principal import BorrowerIdentity, Identity, Principal, get_borrower
from creditdesk.db import SessionDep, enter_region, get_database, set_tenant_scope
from creditdesk.errors import NotFound, Unauthorized
from creditdesk.kit import singleflight
from creditdesk.kit.load import enforce_rate_limits
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import Permission, declare, require

TENANT_TTL_S = 5.0


@dataclass(frozen=True)
class TenantRef:
    """What a request needs of its tenant (a snapshot; load the row with ``TenantContext.tenant``)."""

    id: str
    slug: str
    name: str
    status: str
    timezone: str
    data_region: str = "default"

    @classmethod
    def of(cls, tenant: Tenant) -> TenantRef:
        return cls(tenant.id, tenant.slug, tenant.name, tenant.status, tenant.timezone, tenant.data_region)


@dataclass
class TenantContext:
    """The tenant a request acts on and the caller acting."""

    ref: TenantRef
    caller: Identity
    session: Session | None = None

    @property
    def tenant_id(self) -> str:
        return self.ref.id

    @cached_property
    def tenant(self) -> Tenant:
        """The tenant's row, loaded in the request's session on first use."""
        assert self.session is not None, "no session: use ctx.ref"
        tenant = self.session.get(Tenant, self.ref.id)
        if tenant is None:
            raise NotFound(f"Tenant '{self.ref.slug}' not found")
        return tenant

    @classmethod
    def of(cls, tenant: Tenant, caller: Identity, session: Session | None = None) -> TenantContext:
        """A context for code that already holds the tenant's row (jobs, seeding)."""
        ctx = cls(TenantRef.of(tenant), caller, session)
        ctx.__dict__["tenant"] = tenant
        return ctx


_tenants: dict[tuple[str, str], tuple[float, TenantRef | None]] = {}
_tenants_lock = threading.Lock()


def forget_tenants() -> None:
    """Drop cached tenants (after a tenant changes) so this process sees the change at once."""
    with _tenants_lock:
        _tenants.clear()


def _lookup(db_url: str, slug: str) -> TenantRef | None:
    db = get_database()
    with db.session(read_only=True) as session:
        tenant = session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
        ref = TenantRef.of(tenant) if tenant is not None else None
    if ref is not None and db.regions:
        db.remember_region(ref.id, ref.data_region)
    with _tenants_lock:
        _tenants[(db_url, slug)] = (time.monotonic(), ref)
    return ref


async def tenant_by_slug(slug: str) -> TenantRef | None:
    """The tenant with this slug (cached; a miss is looked up in a worker thread)."""
    db_url = get_database().url
    hit = _tenants.get((db_url, slug))
    if hit is not None and time.monotonic() - hit[0] < TENANT_TTL_S:
        return hit[1]
    return await singleflight.run_once(("tenant", db_url, slug), _lookup, db_url, slug)


async def addressed_tenant(tenant: Annotated[str, Path(max_length=40, description="Tenant slug")]) -> TenantRef:
    """The tenant a provider's call (a webhook, a callback) is addressed to by slug; 404 when there is none.

    With region databases the rest of the request runs in the tenant's region, as for a caller's request."""
    ref = await tenant_by_slug(tenant)
    if ref is None:
        raise NotFound(f"Tenant '{tenant}' not found")
    if get_database().regions:
        enter_region(ref.data_region)
    return ref


def _visible(ref: TenantRef | None, caller: Identity, slug: str) -> TenantRef:
    """The tenant if the caller may see it; 404 when it does not exist *or* is not theirs.

    With region databases, the rest of the request runs in the tenant's region (``get_database()``
    is that region's view, for code that opens its own sessions)."""
    if ref is None or (caller.tenant_id is not None and caller.tenant_id != ref.id):
        raise NotFound(f"Tenant '{slug}' not found")
    if get_database().regions:
        enter_region(ref.data_region)
    return ref


TenantSlug = Path(..., description="Tenant slug", max_length=40)


def TenantAccess(permission: Permission) -> Any:  # noqa: N802 - reads as a type in signatures
    """Dependency for ``/tenants/{tenant}/…`` routes: 404 outside the caller's tenants, then 403
    without ``permission``; narrows the request's database session to the tenant (row-level security)."""

    async def _dep(session: SessionDep, principal: Principal, tenant: str = TenantSlug) -> TenantContext:
        ref = _visible(await tenant_by_slug(tenant), principal, tenant)
        require(principal, permission)
        set_tenant_scope(session, ref.id)  # before the session's first query: no I/O here
        return TenantContext(ref, principal, session)

    return Depends(declare(_dep, permission))


def TenantCaller(permission: Permission) -> Any:  # noqa: N802 - reads as a type in signatures
    """Like :func:`TenantAccess` for routes that open no request session (the decision path, what-if
    scoring): the same 404/403 checks, no session, no thread hop while the tenant is cached."""

    async def _dep(principal: Principal, tenant: str = TenantSlug) -> TenantContext:
        ref = _visible(await tenant_by_slug(tenant), principal, tenant)
        require(principal, permission)
        return TenantContext(ref, principal)

    return Depends(declare(_dep, permission))


@dataclass
class BorrowerContext:
    """A borrower's request: their tenant and who they are (a customer of it), the session narrowed to it."""

    ref: TenantRef
    borrower: BorrowerIdentity
    session: Session

    @property
    def tenant_id(self) -> str:
        return self.ref.id

    @property
    def customer_id(self) -> str:
        return self.borrower.customer_id

    @cached_property
    def tenant(self) -> Tenant:
        """The tenant's row, loaded in the request's session on first use."""
        tenant = self.session.get(Tenant, self.ref.id)
        if tenant is None:
            raise Unauthorized("Invalid token")
        return tenant


async def _borrower_access(
    session: SessionDep, borrower: Annotated[BorrowerIdentity, Depends(get_borrower)]
) -> BorrowerContext:
    ref = await tenant_by_slug(borrower.tenant_slug)
    if ref is None or ref.id != borrower.tenant_id:
        raise Unauthorized("Invalid token")
    if ref.status != "active":
        raise Unauthorized("Your lender's service is suspended")
    if get_database().regions:
        enter_region(ref.data_region)
    set_tenant_scope(session, ref.id)  # before the session's first query: no I/O here
    enforce_rate_limits(tenant_id=ref.id, api_key_id=None)
    return BorrowerContext(ref, borrower, session)


#: Dependency for a borrower's own routes (``/api/v1/me/…``): a borrower's token (401 without one, 403 for a
#: staff credential), its tenant active, the request's session narrowed to that tenant (row-level security).
#: What the borrower may read is then only their own: every query also filters on ``customer_id``.
BorrowerAccess = Annotated[BorrowerContext, Depends(_borrower_access)]
