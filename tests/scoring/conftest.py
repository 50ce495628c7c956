"""Fixtures shared by the scoring tests."""

from __future__ import annotations

import pytest
from tests.factories import make_tenant, make_user


@pytest.fixture
def officer_ctx(session, champion):
    """A tenant and one of its field officers, with the session's champion model registered."""
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, officer


@pytest.fixture
def officer_and_admin(session, champion):
    """A tenant, one of its field officers and its admin, with the session's champion model registered."""
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    return tenant, officer, admin
