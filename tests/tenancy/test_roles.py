"""Roles and permissions are defined once: the request bodies' role names, the enum, and /auth/me."""

from __future__ import annotations

from typing import get_args

import pytest
from tests.factories import bearer, make_tenant, make_user

from creditdesk.errors import Forbidden
from creditdesk.tenancy.permissions import (
    PLATFORM_ROLES,
    TENANT_ROLES,
    Permission,
    Role,
    RoleName,
    permissions_for,
    require,
)


def test_the_role_names_of_request_bodies_are_the_roles():
    assert set(get_args(RoleName)) == {r.value for r in Role}
    assert set(Role) == PLATFORM_ROLES | TENANT_ROLES


def test_require_refuses_a_caller_without_the_permission_with_the_one_message():
    class Auditor:
        role = "auditor"
        permissions = permissions_for("auditor", platform_scoped=False)

    require(Auditor(), Permission.AUDIT_READ)
    with pytest.raises(Forbidden, match=r"Your role \(auditor\) does not allow this action \(users:manage\)"):
        require(Auditor(), Permission.USERS_MANAGE)


def test_me_lists_permission_names_and_the_document_names_the_enum(client, session):
    tenant = make_tenant(session)
    auditor = make_user(session, tenant, "auditor")
    session.commit()
    me = client.get("/api/v1/auth/me", headers=bearer(auditor)).json()
    assert me["permissions"] == sorted(p.value for p in permissions_for("auditor", platform_scoped=False))
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    assert spec["MeOut"]["properties"]["permissions"]["items"] == {"$ref": "#/components/schemas/Permission"}
    assert spec["Permission"]["enum"] == [p.value for p in Permission]
