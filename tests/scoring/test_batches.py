"""Batch scoring: preview with row errors, background job with progress, results in input order."""

from __future__ import annotations

import csv
import io
import json
import random
import time
from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user, wait_for_job

COLUMNS = [
    "external_ref",
    "name",
    "pan",
    "date_of_birth",
    "employment_type",
    "employment_years",
    "monthly_income",
    "existing_emi",
    "residence_type",
    "city_tier",
    "loan_amount",
    "tenure_months",
    "interest_rate",
    "purpose",
    "bureau_score",
    "bureau_utilization",
    "bureau_dpd_30_last_12m",
    "alt_avg_monthly_inflow",
    "alt_inflow_regularity",
]


def make_csv(n: int, bad_row: int | None = None, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for i in range(1, n + 1):
        income = rnd.randint(15, 200) * 1000
        row = [
            f"B-{i:04d}",
            f"Applicant {i}",
            f"ABCPV{1000 + i % 9000:04d}K",
            f"{rnd.randint(1965, 2003)}-0{rnd.randint(1, 9)}-15",
            rnd.choice(["salaried", "self_employed", "gig", "farmer"]),
            rnd.randint(0, 20),
            income,
            rnd.randint(0, 3) * 2000,
            rnd.choice(["rented", "owned"]),
            rnd.choice([1, 2, 3]),
            rnd.randint(5, 50) * 10000,
            rnd.choice([12, 24, 36]),
            16.5,
            "personal",
            rnd.choice(["", str(rnd.randint(550, 850))]),
            round(rnd.random(), 2),
            rnd.choice([0, 0, 1]),
            income + rnd.randint(-5000, 5000),
            round(rnd.random(), 2),
        ]
        if i == bad_row:
            row[6] = "-12000"  # negative income
            row[11] = "twelve"  # tenure not a number
        w.writerow(row)
    return buf.getvalue().encode()


@pytest.fixture
def officer_ctx(session, champion):
    tenant = make_tenant(session)
    officer = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, officer


def test_preview_flags_the_bad_row(client, officer_ctx):
    tenant, officer = officer_ctx
    files = {"file": ("apps.csv", make_csv(60, bad_row=18), "text/csv")}
    r = client.post(f"/api/v1/tenants/{tenant.slug}/batches/preview", files=files, headers=bearer(officer))
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["rows"] == 60 and p["valid_rows"] == 59 and len(p["preview"]) == 20
    assert {e["row"] for e in p["errors"]} == {18}
    assert {e["field"] for e in p["errors"]} == {"monthly_income", "tenure_months"}
    assert p["unknown_columns"] == []


def test_unknown_columns_are_reported(client, officer_ctx):
    tenant, officer = officer_ctx
    data = make_csv(3).decode().replace("external_ref", "external_ref", 1).splitlines()
    data[0] += ",favourite_colour"
    data[1:] = [line + ",blue" for line in data[1:]]
    files = {"file": ("apps.csv", "\n".join(data).encode(), "text/csv")}
    p = client.post(f"/api/v1/tenants/{tenant.slug}/batches/preview", files=files, headers=bearer(officer)).json()
    assert p["unknown_columns"] == ["favourite_colour"]


def test_500_rows_one_malformed(client, officer_ctx):
    tenant, officer = officer_ctx
    files = {"file": ("apps.csv", make_csv(500, bad_row=18), "text/csv")}
    r = client.post(f"/api/v1/tenants/{tenant.slug}/batches", files=files, headers=bearer(officer))
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["rows"] == 500
    seen_progress = set()
    url = f"/api/v1/tenants/{tenant.slug}/batches/{created['batch_id']}"
    for _ in range(3000):
        status = client.get(url, headers=bearer(officer)).json()
        seen_progress.add(status["progress"])
        if status["status"] in ("succeeded", "failed", "dead"):
            break
        time.sleep(0.02)
    job = wait_for_job(client, tenant.slug, created["job_id"], bearer(officer), timeout=180)
    status = client.get(url, headers=bearer(officer)).json()
    assert any(0 < p < 1 for p in seen_progress), seen_progress  # progress was visible while it ran
    assert job["status"] == "succeeded"
    assert status["done"] == 499 and status["failed"] == 1 and status["progress"] == 1.0
    res = client.get(
        f"/api/v1/tenants/{tenant.slug}/batches/{created['batch_id']}/results.csv", headers=bearer(officer)
    )
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert len(rows) == 500 and [int(r["row"]) for r in rows] == list(range(1, 501))
    bad = rows[17]
    assert bad["decision"] == "" and "monthly_income" in bad["error"] and bad["external_ref"] == "B-0018"
    decided = [r for r in rows if r["decision"]]
    assert len(decided) == 499 and all(r["application_id"] and r["reason_1"] for r in decided)
    assert {r["decision"] for r in decided} <= {"Approve", "Review", "Reject"}


def test_json_and_xlsx_batches(client, officer_ctx):
    from openpyxl import Workbook

    tenant, officer = officer_ctx
    sample = json.loads(Path("data/sample_application.json").read_text())
    sample.pop("pull_bureaus")
    body = json.dumps([sample, {"applicant": {"name": "x"}}]).encode()
    p = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches/preview",
        files={"file": ("a.json", body, "application/json")},
        headers=bearer(officer),
    ).json()
    assert p["rows"] == 2 and p["valid_rows"] == 1 and all(e["row"] == 2 for e in p["errors"])

    wb = Workbook()
    ws = wb.active
    rows = list(csv.reader(io.StringIO(make_csv(5).decode())))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches",
        files={"file": ("a.xlsx", buf.getvalue(), "application/octet-stream")},
        headers=bearer(officer),
    )
    assert r.status_code == 202, r.text
    job = wait_for_job(client, tenant.slug, r.json()["job_id"], bearer(officer), timeout=120)
    assert job["status"] == "succeeded" and job["result"]["done"] == 5


def test_bad_files(client, officer_ctx, monkeypatch):
    tenant, officer = officer_ctx
    url = f"/api/v1/tenants/{tenant.slug}/batches/preview"
    assert client.post(url, files={"file": ("a.txt", b"x", "text/plain")}, headers=bearer(officer)).status_code == 422
    assert (
        client.post(url, files={"file": ("a.json", b"{", "application/json")}, headers=bearer(officer)).status_code
        == 422
    )
    from creditdesk.config import get_settings

    monkeypatch.setattr(get_settings(), "max_batch_rows", 10)
    r = client.post(url, files={"file": ("a.csv", make_csv(11), "text/csv")}, headers=bearer(officer))
    assert r.status_code == 413 and "limit" in r.json()["detail"]
