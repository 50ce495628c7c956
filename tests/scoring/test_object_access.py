"""#12 item 3: "own" means the same for every resource a field officer creates — applications, batches, jobs.

Another officer asking for them by id gets 404 (never 403: existence must not leak); callers with
``applications:read`` (tenant admin, analyst; the auditor for what their role may open) see them all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.factories import bearer, make_tenant, make_user, wait_for_job
from tests.scoring.test_batches import make_csv


@pytest.fixture
def lender(session, champion):
    tenant = make_tenant(session)
    people = {role: make_user(session, tenant, role) for role in ("tenant_admin", "risk_analyst", "auditor")}
    people["owner"] = make_user(session, tenant, "field_officer")
    people["colleague"] = make_user(session, tenant, "field_officer")
    session.commit()
    return tenant, people


@pytest.fixture
def submitted(client, lender):
    """The owner's batch (scored to the end) and one application, with the urls that read them."""
    tenant, people = lender
    base = f"/api/v1/tenants/{tenant.slug}"
    owner = bearer(people["owner"])
    batch = client.post(f"{base}/batches", files={"file": ("a.csv", make_csv(3))}, headers=owner).json()
    assert wait_for_job(client, tenant.slug, batch["job_id"], owner)["status"] == "succeeded"
    body = json.loads(Path("data/sample_application.json").read_text())
    body.pop("pull_bureaus")
    application = client.post(f"{base}/applications", json=body, headers=owner).json()
    return (
        base,
        batch,
        {
            "batch": f"{base}/batches/{batch['batch_id']}",
            "results": f"{base}/batches/{batch['batch_id']}/results.csv",
            "job": f"{base}/jobs/{batch['job_id']}",
            "application": f"{base}/applications/{application['application_id']}",
        },
    )


def test_another_officer_gets_404_for_each_resource_by_id(client, lender, submitted):
    _, people = lender
    _, batch, urls = submitted
    for name, url in urls.items():
        assert client.get(url, headers=bearer(people["owner"])).status_code == 200, name
        r = client.get(url, headers=bearer(people["colleague"]))
        assert r.status_code == 404, (name, r.text)
        assert r.json()["error"] == "NotFound" and batch["batch_id"] not in r.text


def test_another_officer_does_not_see_the_batch_in_lists(client, lender, submitted):
    _, people = lender
    base, batch, _ = submitted
    mine = client.get(f"{base}/batches", headers=bearer(people["owner"])).json()
    theirs = client.get(f"{base}/batches", headers=bearer(people["colleague"])).json()
    assert [b["batch_id"] for b in mine["items"]] == [batch["batch_id"]]
    assert theirs["items"] == [] and theirs["total"] == 0
    assert client.get(f"{base}/applications", headers=bearer(people["colleague"])).json()["total"] == 0


@pytest.mark.parametrize("role", ["tenant_admin", "risk_analyst"])
def test_readers_of_every_application_still_see_every_batch_and_job(client, lender, submitted, role):
    _, people = lender
    base, batch, urls = submitted
    for name, url in urls.items():
        assert client.get(url, headers=bearer(people[role])).status_code == 200, name
    listed = client.get(f"{base}/batches", headers=bearer(people[role])).json()
    assert [b["batch_id"] for b in listed["items"]] == [batch["batch_id"]]


def test_the_auditor_reads_jobs_and_applications_but_sends_no_batches(client, lender, submitted):
    _, people = lender
    _, _, urls = submitted
    auditor = bearer(people["auditor"])
    assert client.get(urls["job"], headers=auditor).status_code == 200
    assert client.get(urls["application"], headers=auditor).status_code == 200
    assert client.get(urls["batch"], headers=auditor).status_code == 403  # batches:create, not ownership


def test_another_tenants_officer_gets_404_too(client, session, submitted):
    _, _, urls = submitted
    stranger = make_user(session, make_tenant(session), "tenant_admin")
    session.commit()
    for name, url in urls.items():
        assert client.get(url, headers=bearer(stranger)).status_code == 404, name
