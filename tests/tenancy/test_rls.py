"""PostgreSQL row-level security: a query that forgets the tenant scope still sees only its tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.factories import make_tenant, make_user

from creditdesk.db import set_tenant_scope
from creditdesk.tenancy.models import User


def test_forgotten_scope_still_sees_only_own_rows(db, session):
    if not db.is_postgres:
        pytest.skip("row-level security is a PostgreSQL feature")
    a = make_tenant(session)
    b = make_tenant(session)
    for _ in range(2):
        make_user(session, a, "field_officer")
    make_user(session, b, "auditor")
    session.commit()

    with db.session() as s:
        set_tenant_scope(s, a.id)
        # deliberately unscoped query
        emails = s.execute(select(User.email)).scalars().all()
        assert len(emails) == 2 and all(a.slug in e for e in emails)
        # writing a row for another tenant is refused too
        s.add(User(tenant_id=b.id, email="intruder@x.example", name="I", role="auditor", password_hash="x"))
        with pytest.raises(Exception, match="row-level security"):
            s.flush()
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 3  # all-tenants scope
