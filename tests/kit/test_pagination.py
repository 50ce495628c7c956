"""#12 item 4: every numeric query parameter is bounded — offset=2**63 is a 422 naming it, never an OverflowError."""

from __future__ import annotations

import pytest
from tests.factories import bearer, make_tenant, make_user

HUGE = "9223372036854775808"  # 2**63: one past a database's 64-bit OFFSET


@pytest.fixture
def callers(session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    root = make_user(session, None, "platform_admin")
    session.commit()
    return tenant, bearer(admin), bearer(root)


def test_huge_offsets_are_422_on_every_list(client, callers):
    tenant, admin, root = callers
    base = f"/api/v1/tenants/{tenant.slug}"
    lists = [
        (f"{base}/applications", admin),
        (f"{base}/users", admin),
        (f"{base}/audit", admin),
        (f"{base}/batches", admin),
        ("/api/v1/audit", root),
        ("/api/v1/ops/dead-letters", root),
    ]
    for url, headers in lists:
        assert client.get(url, headers=headers).status_code == 200, url
        for query in (f"offset={HUGE}", f"limit={HUGE}", "offset=-1", f"offset=1{HUGE}"):
            r = client.get(f"{url}?{query}", headers=headers)
            assert r.status_code == 422, (url, query, r.text)
            body = r.json()
            assert {"error", "detail", "request_id"} <= set(body)
            assert query.split("=")[0] in r.text, (url, query, body)


def test_every_numeric_query_parameter_declares_its_bounds(client):
    """The API document is the inventory: an integer or number in a query without ``maximum`` is a future 500."""
    unbounded = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] != "query":
                    continue
                schemas = [param["schema"], *param["schema"].get("anyOf", [])]
                numeric = [s for s in schemas if s.get("type") in ("integer", "number")]
                if numeric and not all("maximum" in s or "exclusiveMaximum" in s for s in numeric):
                    unbounded.append(f"{method.upper()} {path} ?{param['name']}")
    assert not unbounded, unbounded
