"""Demo seeding: a few hundred recent decisions for the demo tenant, so monitoring has live data.

The applications come from the synthetic book and are decided through the real decision path
(the champion, the default policy, audit and outbox), then back-dated over the last 60 days.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from creditdesk.auth.principal import Identity
from creditdesk.config import Settings
from creditdesk.db import set_tenant_scope, utcnow
from creditdesk.ml.synthetic import generate_book
from creditdesk.scoring.models import Application
from creditdesk.scoring.schemas import ApplicationCreate
from creditdesk.scoring.service import decide_now
from creditdesk.tenancy.deps import TenantContext
from creditdesk.tenancy.models import Tenant, User
from creditdesk.tenancy.permissions import permissions_for
from creditdesk.tenancy.scope import scoped

DEMO_DECISIONS = 300


def seed_applications(session: Session, settings: Settings) -> None:
    """Decide DEMO_DECISIONS synthetic applications for the demo tenant if it has none yet."""
    tenant = session.execute(select(Tenant).where(Tenant.slug == settings.demo_tenant_slug)).scalar_one_or_none()
    if tenant is None:
        return
    set_tenant_scope(session, tenant.id)
    if session.execute(scoped(select(func.count(Application.id)), Application, tenant.id)).scalar_one():
        return
    officer = session.execute(select(User).where(User.email == "officer@demo-nbfc.example")).scalar_one_or_none()
    caller = Identity(
        actor_type="user",
        id=officer.id if officer else "demo",
        email=officer.email if officer else None,
        name="Demo seeding",
        role="field_officer",
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        permissions=permissions_for("field_officer", platform_scoped=False),
    )
    ctx = TenantContext.of(tenant, caller, session)
    book = generate_book(n=DEMO_DECISIONS, seed=2026)
    rnd = random.Random(2026)
    now = utcnow()
    for i, body in enumerate(book.applications()):
        body = json.loads(json.dumps(body, default=str))
        body["external_ref"] = f"DEMO-{i + 1:05d}"
        body["applicant"]["name"] = f"Demo applicant {i + 1}"
        body["pull_bureaus"] = []  # the synthetic book carries each applicant's bureau record: nothing to pull
        response = decide_now(session, ctx=ctx, body=ApplicationCreate.model_validate(body))
        when = now - timedelta(days=rnd.uniform(0, 60))
        session.execute(update(Application).where(Application.id == response["application_id"]).values(created_at=when))
