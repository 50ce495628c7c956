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
