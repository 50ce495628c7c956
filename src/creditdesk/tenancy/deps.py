"""Route vocabulary for tenant-scoped endpoints: resolve ``{tenant}``, then check the permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Path
from sqlalchemy import select

from creditdesk.auth.principal import Identity, Principal
from creditdesk.db import SessionDep, set_tenant_scope
from creditdesk.errors import Forbidden, NotFound
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import Permission


@dataclass
class TenantContext:
    """The tenant a request acts on and the caller acting."""

    tenant: Tenant
    caller: Identity

    @property
    def tenant_id(self) -> str:
        return self.tenant.id


def resolve_tenant(session: Any, caller: Identity, slug: str) -> Tenant:
    """Return the tenant by slug if the caller may see it; 404 when it does not exist *or* is not theirs."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None or (caller.tenant_id is not None and caller.tenant_id != tenant.id):
        raise NotFound(f"Tenant '{slug}' not found")
    return tenant


def TenantAccess(permission: Permission) -> Any:  # noqa: N802 - reads as a type in signatures
    """Dependency for ``/tenants/{tenant}/…`` routes: 404 outside the caller's tenants, then 403
    without ``permission``; narrows the database session to the tenant (row-level security)."""

    def _dep(
        session: SessionDep,
        principal: Principal,
        tenant: str = Path(..., description="Tenant slug", max_length=40),
    ) -> TenantContext:
        resolved = resolve_tenant(session, principal, tenant)
        if not principal.can(permission):
            raise Forbidden(f"Your role ({principal.role}) does not allow this action ({permission.value})")
        set_tenant_scope(session, resolved.id)
        return TenantContext(tenant=resolved, caller=principal)

    _dep.required_permission = permission  # type: ignore[attr-defined]  # read by the permission-matrix test
    return Depends(_dep)
