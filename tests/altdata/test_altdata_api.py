"""Uploading a bank statement: features and per-row errors over the API."""

from __future__ import annotations

import json

import pytest
from tests.factories import bearer, make_tenant, make_user

STATEMENT = """Date,Narration,Amount,Direction,Balance,Channel
01-01-2025,SALARY ACME LTD,30000,CR,35000,NEFT
03-01-2025,UPI/ZOMATO/food,500,DR,34500,UPI
10-02-2025,SALARY ACME LTD,"50,000.00",credit,84500,
oops,broken row,1,CR,,
01-03-2025,SALARY ACME LTD,40000,C,124500,
"""


@pytest.fixture
def lender(session):
    tenant = make_tenant(session, "ujjwal-microfin")
    officer = bearer(make_user(session, tenant, "field_officer"))
    auditor = bearer(make_user(session, tenant, "auditor"))
    session.commit()
    return tenant.slug, officer, auditor


def test_a_field_officer_uploads_a_csv_statement(client, lender):
    slug, officer, _ = lender
    r = client.post(
        f"/api/v1/tenants/{slug}/alt-data/analyse",
        files={"file": ("statement.csv", STATEMENT, "text/csv")},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == 5 and body["rows_used"] == 4
    assert body["errors"] == [{"row": 4, "field": "date", "message": body["errors"][0]["message"]}]
    features = body["features"]
    assert features["months_covered"] == 3
    assert features["avg_monthly_inflow"] == "40000.00"  # (30,000 + 50,000 + 40,000) / 3, a Decimal
    assert features["upi_txn_per_month"] == 0.33


def test_json_uploads_and_unreadable_statements(client, lender):
    slug, officer, auditor = lender
    url = f"/api/v1/tenants/{slug}/alt-data/analyse"
    rows = [{"date": "2025-01-05", "amount": 1200, "channel": "UPI"}, {"date": "2025-02-05", "amount": -300}]
    r = client.post(url, files={"file": ("upi.json", json.dumps(rows), "application/json")}, headers=officer)
    assert r.status_code == 200 and r.json()["features"]["avg_monthly_inflow"] == "600.00"
    r = client.post(url, files={"file": ("s.csv", "when,what\nx,y\n", "text/csv")}, headers=officer)
    assert r.status_code == 422 and r.json()["error"] == "StatementUnreadable"
    assert "no date column" in r.json()["detail"]
    assert client.post(url, headers=officer).status_code == 422  # no file
    assert client.post(url, files={"file": ("s.csv", STATEMENT, "text/csv")}, headers=auditor).status_code == 403
