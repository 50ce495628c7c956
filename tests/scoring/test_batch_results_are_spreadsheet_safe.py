"""#12 item 1: references such as =HYPERLINK(…) come back in results.csv as text, never as formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from tests.factories import bearer, wait_for_job
from tests.scoring.test_batches import COLUMNS, make_csv

from creditdesk.kit.tabular import FORMULA_TRIGGERS

HOSTILE_REFS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1"]


def _hostile_csv() -> bytes:
    rows = list(csv.reader(io.StringIO(make_csv(len(HOSTILE_REFS)).decode())))
    ref = COLUMNS.index("external_ref")
    for row, hostile in zip(rows[1:], HOSTILE_REFS, strict=True):
        row[ref] = hostile
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def _hostile_json() -> bytes:
    sample = json.loads(Path("data/sample_application.json").read_text())
    sample.pop("pull_bureaus")
    return json.dumps([{**sample, "external_ref": ref} for ref in HOSTILE_REFS]).encode()


def _as_spreadsheet(results_csv: str) -> Workbook:
    """Open results.csv as a spreadsheet would: every cell of the file into a workbook, saved and reloaded."""
    workbook = Workbook()
    for row in csv.reader(io.StringIO(results_csv)):
        workbook.active.append(row)  # openpyxl makes any text starting with "=" a formula
    buf = io.BytesIO()
    workbook.save(buf)
    return load_workbook(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize(("filename", "content"), [("refs.csv", _hostile_csv()), ("refs.json", _hostile_json())])
def test_hostile_references_are_written_as_text(client, officer_ctx, filename, content):
    tenant, officer = officer_ctx
    r = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches", files={"file": (filename, content)}, headers=bearer(officer)
    )
    assert r.status_code == 202, r.text
    job = wait_for_job(client, tenant.slug, r.json()["job_id"], bearer(officer), timeout=120)
    assert job["status"] == "succeeded"
    res = client.get(
        f"/api/v1/tenants/{tenant.slug}/batches/{r.json()['batch_id']}/results.csv", headers=bearer(officer)
    )
    assert res.status_code == 200

    rows = list(csv.DictReader(io.StringIO(res.text)))
    refs = [row["external_ref"] for row in rows]
    assert all(ref.startswith("'") for ref in refs), refs
    # as the file holds them: the quote, then the reference (a CSV upload trims the tab; the quote stays)
    assert refs[:4] == ["'" + ref for ref in HOSTILE_REFS[:4]] and refs[4] in ("'=1+1", "'\t=1+1")
    assert all(row["decision"] in ("Approve", "Review", "Reject") for row in rows)
    assert all(0 < float(row["pd"]) < 1 and row["score"].isdigit() for row in rows)  # numbers stay numbers

    sheet = _as_spreadsheet(res.text).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and all(cell.data_type != "f" for cell in cells)
    assert not [cell.value for cell in cells if str(cell.value).startswith(FORMULA_TRIGGERS)]


def test_the_template_round_trips_its_quoted_phone_number(client, officer_ctx):
    tenant, officer = officer_ctx
    template = client.get(f"/api/v1/tenants/{tenant.slug}/batches/template.csv", headers=bearer(officer)).text
    assert ",'+919812345678," in template  # "+91…" would be a formula to a spreadsheet
    p = client.post(
        f"/api/v1/tenants/{tenant.slug}/batches/preview",
        files={"file": ("template.csv", template.encode())},
        headers=bearer(officer),
    ).json()
    assert p["valid_rows"] == 1 and p["preview"][0]["phone"] == "+919812345678"
