"""Tenants and users: create, list, update — with the no-escalation rules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.auth.passwords import hash_password
from creditdesk.auth.principal import Identity, forget_api_keys
from creditdesk.config import get_settings
from creditdesk.db import Database, set_tenant_scope, utcnow
from creditdesk.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditdesk.kit.pagination import Page, paginate
from creditdesk.tenancy.deps import forget_tenants
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.permissions import PLATFORM_ROLES, TENANT_ROLES, Role
from creditdesk.tenancy.schemas import PlatformUserCreate, TenantCreate, TenantUpdate, UserCreate, UserRead, UserUpdate
from creditdesk.tenancy.scope import get_owned, select_owned


def _ensure_email_free(session: Session, email: str) -> None:
    if session.execute(select(User.id).where(func.lower(User.email) == email.lower())).first():
        raise Conflict(f"A user with e-mail {email} already exists")


def add_user(session: Session, *, tenant_id: str | None, email: str, name: str, role: str, password: str) -> User:
    """Insert a user (e-mail stored lowercase, password hashed); 409 on a taken e-mail."""
    _ensure_email_free(session, email)
    user = User(tenant_id=tenant_id, email=email.lower(), name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def register_user(
    session: Session,
    *,
    actor: Actor,
    tenant_id: str | None,
    email: str,
    name: str,
    role: str,
    password: str,
    note: dict[str, str] | None = None,
) -> User:
    """Create a user (see :func:`add_user`) and record ``user.created``; ``note`` says how it was made."""
    user = add_user(session, tenant_id=tenant_id, email=email, name=name, role=role, password=password)
    audit.record(
        session,
        actor=actor,
        action="user.created",
        tenant_id=tenant_id,
        resource_type="user",
        resource_id=user.id,
        details={"email": user.email, "role": user.role, **(note or {})},
    )
    return user


def user_read(user: User, tenant_slug: str | None) -> UserRead:
    """Render a user for the API."""
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        tenant=tenant_slug,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def create_tenant(session: Session, *, data: TenantCreate, actor: Identity) -> Tenant:
    """Create a tenant and its first tenant admin."""
    regions = get_settings().data_regions
    if data.data_region not in regions:
        raise ValidationFailed(f"data_region '{data.data_region}' is not a configured region ({', '.join(regions)})")
    if session.execute(select(Tenant.id).where(Tenant.slug == data.slug)).first():
        raise Conflict(f"Tenant slug '{data.slug}' is already taken")
    _ensure_email_free(session, data.admin.email)
    tenant = Tenant(slug=data.slug, name=data.name, timezone=data.timezone, data_region=data.data_region)
    session.add(tenant)
    session.flush()
    regional = anchor_in_region(session, tenant)
    if regional:  # the admin's row goes to the catalogue, its audit row to the tenant's region
        set_tenant_scope(session, tenant.id)
    register_user(
        session,
        actor=actor,
        tenant_id=tenant.id,
        email=data.admin.email,
        name=data.admin.name,
        role=Role.TENANT_ADMIN,
        password=data.admin.password,
    )
    if regional:
        set_tenant_scope(session, None)
    audit.record(
        session,
        actor=actor,
        action="tenant.created",
        tenant_id=None,
        resource_type="tenant",
        resource_id=tenant.id,
        details={"slug": tenant.slug, "name": tenant.name},
    )
    return tenant


def _anchor_values(tenant: Tenant) -> dict[str, object]:
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "status": tenant.status,
        "timezone": tenant.timezone,
        "data_region": tenant.data_region,
        "created_at": tenant.created_at,
    }


def anchor_in_region(session: Session, tenant: Tenant) -> bool:
    """With region databases: write the tenant's row into its region's database too, in this session's
    transaction — the anchor its tenant-owned rows' foreign keys point at. The catalogue's row is the
    authority; the anchor is only written (again, harmlessly) here and by :func:`sync_region_anchors`.
    Returns whether region databases are configured."""
    db: Database | None = session.info.get("db")
    if db is None or not db.regions:
        return False
    db.remember_region(tenant.id, tenant.data_region)  # not committed yet: the routing cannot look it up
    engine = db.engines[tenant.data_region]
    if engine is not db.catalogue_engine:
        stmt = pg_insert(Tenant).values(**_anchor_values(tenant)).on_conflict_do_nothing(index_elements=["id"])
        session.connection(bind_arguments={"bind": engine}).execute(stmt)
    return True


def sync_region_anchors(db: Database) -> int:
    """Write every tenant's anchor row that its region's database lacks (``creditdesk db upgrade`` and
    ``serve`` run it: repairs a tenant whose creation committed in the catalogue but not in its region).
    Returns how many were written."""
    if not db.regions:
        return 0
    written = 0
    with db.session() as session, session.begin():
        for tenant in session.execute(select(Tenant)).scalars():
            engine = db.engines.get(tenant.data_region)
            if engine is None or engine is db.catalogue_engine:
                continue
            stmt = pg_insert(Tenant).values(**_anchor_values(tenant)).on_conflict_do_nothing(index_elements=["id"])
            written += session.connection(bind_arguments={"bind": engine}).execute(stmt).rowcount
    return written


def list_tenants(session: Session, *, caller: Identity) -> list[Tenant]:
    """Platform callers see every tenant; tenant callers see their own."""
    stmt = select(Tenant).order_by(Tenant.created_at)
    if caller.tenant_id is not None:
        stmt = stmt.where(Tenant.id == caller.tenant_id)
    return list(session.execute(stmt).scalars())


def update_tenant(session: Session, *, tenant: Tenant, data: TenantUpdate, actor: Identity) -> Tenant:
    """Rename, suspend or reactivate a tenant."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(tenant, field, value)
    tenant.updated_at = utcnow()
    forget_api_keys()  # a suspended tenant's keys stop working in this process at once
    forget_tenants()
    action = {"suspended": "tenant.suspended", "active": "tenant.reactivated"}.get(
        changes.get("status", ""), "tenant.updated"
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        tenant_id=tenant.id,
        resource_type="tenant",
        resource_id=tenant.id,
        details=changes,
    )
    return tenant


def _check_grantable(actor: Identity, role: str, *, in_tenant: bool) -> None:
    """No privilege escalation: only a platform admin grants platform roles or tenant_admin elsewhere."""
    if in_tenant and Role(role) not in TENANT_ROLES:
        raise Forbidden(f"Role '{role}' cannot be given to a tenant user")
    if not in_tenant and Role(role) not in PLATFORM_ROLES:
        raise Forbidden(f"Role '{role}' cannot be given to a platform user")
    if actor.role != Role.PLATFORM_ADMIN and actor.tenant_id is None and role == Role.PLATFORM_ADMIN:
        raise Forbidden("Only a platform admin can grant platform_admin")


def create_user(session: Session, *, tenant: Tenant, data: UserCreate, actor: Identity) -> UserRead:
    """Create a user in a tenant with a tenant role."""
    _check_grantable(actor, data.role, in_tenant=True)
    user = register_user(
        session,
        actor=actor,
        tenant_id=tenant.id,
        email=data.email,
        name=data.name,
        role=data.role,
        password=data.password,
    )
    return user_read(user, tenant.slug)


def create_platform_user(session: Session, *, data: PlatformUserCreate, actor: Identity) -> UserRead:
    """Create a platform-scoped user (platform admin or platform risk analyst)."""
    _check_grantable(actor, data.role, in_tenant=False)
    user = register_user(
        session, actor=actor, tenant_id=None, email=data.email, name=data.name, role=data.role, password=data.password
    )
    return user_read(user, None)


def list_users(session: Session, *, tenant: Tenant, limit: int, offset: int) -> Page[UserRead]:
    """List a tenant's users."""
    page = paginate(session, select_owned(User, tenant.id).order_by(User.created_at), limit=limit, offset=offset)
    return Page(items=[user_read(u, tenant.slug) for u in page.items], total=page.total, limit=limit, offset=offset)


def update_user(session: Session, *, tenant: Tenant, user_id: str, data: UserUpdate, actor: Identity) -> UserRead:
    """Change a user's name, role, password or active flag; a user cannot demote or deactivate themself."""
    user = get_owned(session, User, user_id, tenant.id, what="User")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "role" in changes:
        _check_grantable(actor, changes["role"], in_tenant=True)
    if user.id == actor.id and (
        changes.get("is_active") is False or ("role" in changes and changes["role"] != user.role)
    ):
        raise Forbidden("You cannot deactivate yourself or change your own role")
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
        changes["password_changed"] = True
    for field in ("name", "role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    user.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="user.updated",
        tenant_id=tenant.id,
        resource_type="user",
        resource_id=user.id,
        details=changes,
    )
    return user_read(user, tenant.slug)


def get_user(session: Session, *, tenant: Tenant, user_id: str) -> UserRead:
    """Return one user of the tenant (404 otherwise)."""
    return user_read(get_owned(session, User, user_id, tenant.id, what="User"), tenant.slug)


def require_tenant_by_id(session: Session, tenant_id: str) -> Tenant:
    """Load a tenant by id or 404."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found")
    return tenant
