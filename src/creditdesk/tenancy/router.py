"""Tenants, tenant users and platform users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from creditdesk.auth.principal import Identity, Require
from creditdesk.db import SessionDep
from creditdesk.kit.pagination import Page, PageDep, PageOut
from creditdesk.tenancy import service
from creditdesk.tenancy.deps import TenantAccess, TenantContext
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import Permission as P
from creditdesk.tenancy.schemas import (
    PlatformUserCreate,
    TenantCreate,
    TenantList,
    TenantRead,
    TenantUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(tags=["tenants"])


@router.post("/tenants", status_code=201, response_model=TenantRead, operation_id="createTenant")
def create_tenant(
    data: TenantCreate, session: SessionDep, caller: Annotated[Identity, Require(P.TENANTS_CREATE)]
) -> Tenant:
    """Create a tenant (a lender) with its first tenant admin."""
    return service.create_tenant(session, data=data, actor=caller)


@router.get("/tenants", response_model=TenantList, operation_id="listTenants")
def list_tenants(session: SessionDep, caller: Annotated[Identity, Require(P.TENANTS_READ)]) -> dict[str, list[Tenant]]:
    """List the tenants the caller can see."""
    return {"items": service.list_tenants(session, caller=caller)}


@router.get("/tenants/{tenant}", response_model=TenantRead, operation_id="getTenant")
def get_tenant(ctx: Annotated[TenantContext, TenantAccess(P.TENANTS_READ)]) -> Tenant:
    """Return one tenant."""
    return ctx.tenant


@router.patch("/tenants/{tenant}", response_model=TenantRead, operation_id="updateTenant")
def update_tenant(
    data: TenantUpdate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.TENANTS_MANAGE)]
) -> Tenant:
    """Rename, suspend or reactivate a tenant (platform admin)."""
    return service.update_tenant(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.post("/tenants/{tenant}/users", status_code=201, response_model=UserRead, operation_id="createUser")
def create_user(
    data: UserCreate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.USERS_MANAGE)]
) -> UserRead:
    """Create a user in the tenant."""
    return service.create_user(session, tenant=ctx.tenant, data=data, actor=ctx.caller)


@router.get("/tenants/{tenant}/users", response_model=PageOut[UserRead], operation_id="listUsers")
def list_users(
    session: SessionDep, page: PageDep, ctx: Annotated[TenantContext, TenantAccess(P.USERS_READ)]
) -> Page[UserRead]:
    """List the tenant's users."""
    return service.list_users(session, tenant=ctx.tenant, limit=page.limit, offset=page.offset)


@router.get("/tenants/{tenant}/users/{user_id}", response_model=UserRead, operation_id="getUser")
def get_user(user_id: str, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.USERS_READ)]) -> UserRead:
    """Return one user of the tenant."""
    return service.get_user(session, tenant=ctx.tenant, user_id=user_id)


@router.patch("/tenants/{tenant}/users/{user_id}", response_model=UserRead, operation_id="updateUser")
def update_user(
    user_id: str, data: UserUpdate, session: SessionDep, ctx: Annotated[TenantContext, TenantAccess(P.USERS_MANAGE)]
) -> UserRead:
    """Change a user's name, role, password or active flag."""
    return service.update_user(session, tenant=ctx.tenant, user_id=user_id, data=data, actor=ctx.caller)


@router.post("/platform-users", status_code=201, response_model=UserRead, operation_id="createPlatformUser")
def create_platform_user(
    data: PlatformUserCreate, session: SessionDep, caller: Annotated[Identity, Require(P.PLATFORM_USERS_MANAGE)]
) -> UserRead:
    """Create a platform-scoped user (platform admin or platform risk analyst)."""
    return service.create_platform_user(session, data=data, actor=caller)
