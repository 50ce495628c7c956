"""Demo users and the demo tenant (DESIGN §6)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.config import Settings
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.permissions import Role
from creditdesk.tenancy.service import register_user

PLATFORM_USERS = [
    ("admin@creditdesk.demo", "Priya Admin", Role.PLATFORM_ADMIN),
    ("analyst@creditdesk.demo", "Rahul Analyst", Role.RISK_ANALYST),
]
TENANT_USERS = [
    ("admin@demo-nbfc.example", "Meera Iyer", Role.TENANT_ADMIN),
    ("officer@demo-nbfc.example", "Arjun Field", Role.FIELD_OFFICER),
    ("auditor@demo-nbfc.example", "Kavita Audit", Role.AUDITOR),
]


def seed_users(session: Session, settings: Settings) -> None:
    """Create the demo tenant and the five demo users if they are missing."""
    password = settings.demo_password.get_secret_value()
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        tenant = Tenant(slug=settings.demo_tenant_slug, name="Demo NBFC Ltd", timezone=settings.default_timezone)
        session.add(tenant)
        session.flush()
        audit.record(
            session,
            actor=audit.SYSTEM,
            action="tenant.created",
            tenant_id=None,
            resource_type="tenant",
            resource_id=tenant.id,
            details={"slug": tenant.slug, "seed": "demo"},
        )
    for email, name, role in PLATFORM_USERS + TENANT_USERS:
        if session.execute(select(User.id).where(User.email == email)).first():
            continue
        tenant_id = None if (email, name, role) in PLATFORM_USERS else tenant.id
        register_user(
            session,
            actor=audit.SYSTEM,
            tenant_id=tenant_id,
            email=email,
            name=name,
            role=role,
            password=password,
            note={"seed": "demo"},
        )
