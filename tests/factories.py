"""Typed factories for tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy.orm import Session

from creditdesk.auth import tokens
from creditdesk.config import get_settings
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.service import add_user

PASSWORD = "Sturdy-pass-2026"
_seq = itertools.count(1)


def make_tenant(session: Session, slug: str | None = None, *, status: str = "active") -> Tenant:
    """Insert a tenant and flush."""
    n = next(_seq)
    tenant = Tenant(slug=slug or f"lender-{n}", name=f"Lender {n}", status=status)
    session.add(tenant)
    session.flush()
    return tenant


def make_user(
    session: Session, tenant: Tenant | None, role: str, email: str | None = None, password: str = PASSWORD
) -> User:
    """Insert a user (platform-scoped when tenant is None) and flush."""
    email = email or f"{role}-{next(_seq)}@{tenant.slug if tenant else 'platform'}.example"
    return add_user(
        session, tenant_id=tenant.id if tenant else None, email=email, name=role.title(), role=role, password=password
    )


def bearer(user: User) -> dict[str, str]:
    """Authorization header with a fresh access token for a user."""
    token = tokens.issue(
        typ="access",
        subject=user.id,
        family_id=f"test-{user.id}",
        lifetime=timedelta(minutes=get_settings().access_token_minutes),
        extra={"role": user.role},
    )
    return {"Authorization": f"Bearer {token.token}"}


def wait_for_job(client, tenant_slug: str | None, job_id: str, headers: dict[str, str], timeout: float = 60.0) -> dict:
    """Poll a job until it reaches a terminal status (or fail after ``timeout`` seconds)."""
    import time

    from sqlalchemy import select

    from creditdesk.db import get_database
    from creditdesk.worker.models import Job

    deadline = time.time() + timeout
    while time.time() < deadline:
        if tenant_slug:
            job = client.get(f"/api/v1/tenants/{tenant_slug}/jobs/{job_id}", headers=headers).json()
        else:
            with get_database().session() as s:
                row = s.execute(select(Job).where(Job.id == job_id)).scalar_one()
                job = {
                    "status": row.status,
                    "attempts": row.attempts,
                    "error": row.error,
                    "progress": row.progress,
                    "result": row.result,
                }
        if job["status"] in ("succeeded", "failed", "dead"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s: {job}")
