"""Batch scoring: preview with row errors, background job with progress, results in input order."""

from __future__ import annotations

import csv
import io
import json
import random
import time
from pathlib import Path

from openpyxl import Workbook
from tests.factories import bearer, make_tenant, make_user, wait_for_job

from creditdesk.config import get_settings

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
    monkeypatch.setattr(get_settings(), "max_batch_rows", 10)
    r = client.post(url, files={"file": ("a.csv", make_csv(11), "text/csv")}, headers=bearer(officer))
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_batch_history_lists_each_batch_with_its_progress_and_reopens_its_results(client, session, officer_ctx):
    tenant, officer = officer_ctx
    other = make_user(session, tenant, "field_officer")
    admin = make_user(session, tenant, "tenant_admin")
    session.commit()
    url = f"/api/v1/tenants/{tenant.slug}/batches"
    first = client.post(url, files={"file": ("a.csv", make_csv(5), "text/csv")}, headers=bearer(officer)).json()
    second = client.post(
        url, files={"file": ("b.csv", make_csv(7, bad_row=2), "text/csv")}, headers=bearer(officer)
    ).json()
    theirs = client.post(url, files={"file": ("c.csv", make_csv(3), "text/csv")}, headers=bearer(other)).json()
    for created, who in ((first, officer), (second, officer), (theirs, other)):
        wait_for_job(client, tenant.slug, created["job_id"], bearer(who))

    mine = client.get(url, headers=bearer(officer)).json()
    assert [b["batch_id"] for b in mine["items"]] == [second["batch_id"], first["batch_id"]]  # newest first
    assert mine["total"] == 2  # a field officer sees the batches they sent
    latest = mine["items"][0]
    assert (latest["filename"], latest["rows"], latest["done"], latest["failed"]) == ("b.csv", 7, 6, 1)
    assert latest["status"] == "succeeded" and latest["progress"] == 1.0
    assert client.get(url, headers=bearer(admin)).json()["total"] == 3  # the tenant admin sees them all
    again = client.get(f"{url}/{latest['batch_id']}/results.csv", headers=bearer(officer))
    assert again.status_code == 200 and len(list(csv.DictReader(io.StringIO(again.text)))) == 7

    outsider = make_user(session, make_tenant(session), "tenant_admin")
    session.commit()
    assert client.get(url, headers=bearer(outsider)).status_code == 404


def test_results_carry_knockouts_limit_and_expected_loss(client, officer_ctx):
    tenant, officer = officer_ctx
    rows = make_csv(2).decode().splitlines()
    young = rows[2].split(",")
    young[3] = "2008-01-15"  # under 21: the default policy's knock-out rejects
    data = "\n".join([rows[0], rows[1], ",".join(young)]).encode()
    created = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches", files={"file": ("k.csv", data, "text/csv")}, headers=bearer(officer)
    ).json()
    wait_for_job(client, tenant.slug, created["job_id"], bearer(officer))
    res = client.get(
        f"/api/v1/tenants/{tenant.slug}/batches/{created['batch_id']}/results.csv", headers=bearer(officer)
    )
    out = list(csv.DictReader(io.StringIO(res.text)))
    assert {"expected_loss", "credit_limit", "knockouts"} <= set(out[0])
    assert out[1]["decision"] == "Reject" and out[1]["knockouts"] == "minimum_age"
    assert out[1]["credit_limit"] == "0.00" and float(out[1]["expected_loss"]) > 0
    assert out[0]["knockouts"] == "" and float(out[0]["expected_loss"]) > 0


def test_the_template_validates_and_errors_are_in_plain_words(client, officer_ctx):
    tenant, officer = officer_ctx
    r = client.get(f"/api/v1/tenants/{tenant.slug}/batches/template.csv", headers=bearer(officer))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    template = r.text
    header = template.splitlines()[0].split(",")
    assert {"pan", "date_of_birth", "loan_amount", "bureau_score", "alt_upi_txn_per_month"} <= set(header)
    preview = f"/api/v1/tenants/{tenant.slug}/batches/preview"
    ok = client.post(preview, files={"file": ("t.csv", template, "text/csv")}, headers=bearer(officer)).json()
    assert ok["valid_rows"] == 1 and ok["errors"] == [] and ok["unknown_columns"] == []

    example = dict(zip(header, list(csv.reader(io.StringIO(template)))[1], strict=True))
    bad = {**example, "pan": "ABC123", "date_of_birth": "1990-02-31", "employment_type": "banker"}
    body = ",".join(header) + "\n" + ",".join(bad[c] for c in header) + "\n"
    errors = client.post(preview, files={"file": ("t.csv", body, "text/csv")}, headers=bearer(officer)).json()["errors"]
    by_field = {e["field"]: e["message"] for e in errors}
    assert all(e["row"] == 1 for e in errors)
    assert by_field["pan"].startswith("must be a PAN: 5 letters, 4 digits, 1 letter") and "'ABC123'" in by_field["pan"]
    assert by_field["date_of_birth"].startswith("must be a real date written DD/MM/YYYY or YYYY-MM-DD")
    assert by_field["employment_type"].startswith("must be one of") and "'salaried'" in by_field["employment_type"]
    assert "String should match pattern" not in str(errors)  # no raw validator text

    # dates as Indian spreadsheets write them are read; an impossible day is named with what was given
    for written, ok_rows in (("12/04/1998", 1), ("1-4-1998", 1), ("31/02/1990", 0)):
        row = {**example, "date_of_birth": written}
        body = ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"
        answer = client.post(preview, files={"file": ("t.csv", body, "text/csv")}, headers=bearer(officer)).json()
        assert answer["valid_rows"] == ok_rows, answer["errors"]
        if not ok_rows:
            assert "'31/02/1990'" in answer["errors"][0]["message"]
