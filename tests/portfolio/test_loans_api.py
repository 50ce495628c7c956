"""Disbursing loans and recording payments through the API: schedules, idempotent payments, NPA upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.portfolio.fixtures import make_lender

EMI = Decimal("8884.88")


def disburse(client, lender, **overrides):
    body = {
        "external_ref": "LN-0001",
        "customer": {"name": "Asha Verma", "pan": "ABCPV1234K", "monthly_income": 65000, "existing_emi": 8000},
        "principal": "100000",
        "annual_rate_pct": "12",
        "tenure_months": 12,
        "disbursed_on": "2025-01-10",
        "purpose": "vehicle",
        "pd_at_origination": 0.04,
        "collateral": [{"kind": "vehicle", "value": "125000", "description": "Two-wheeler"}],
        "guarantors": [{"name": "Ravi Verma", "relationship": "spouse"}],
        **overrides,
    }
    r = client.post(f"{lender.base}/portfolio/loans", json=body, headers=lender.headers())
    assert r.status_code == 201, r.text
    return r.json()


def pay(client, lender, loan_id, reference, amount, paid_on, role="admin"):
    return client.post(
        f"{lender.base}/portfolio/loans/{loan_id}/payments",
        json={"reference": reference, "amount": str(amount), "paid_on": paid_on, "channel": "nach"},
        headers=lender.headers(role),
    )


def position(client, lender, loan_id, as_of):
    r = client.get(f"{lender.base}/portfolio/loans/{loan_id}", params={"as_of": as_of}, headers=lender.headers())
    assert r.status_code == 200, r.text
    return r.json()


def test_disbursal_builds_the_schedule_and_ratios(client, session):
    lender = make_lender(session)
    session.commit()
    loan = disburse(client, lender)
    assert loan["emi"] == "8884.88" and loan["first_due_on"] == "2025-02-10" and loan["maturity_on"] == "2026-01-10"
    assert len(loan["schedule"]) == 12
    assert sum(Decimal(i["principal"]) for i in loan["schedule"]) == Decimal("100000.00")
    assert loan["ratios"] == {"emi": "8884.88", "dti": "0.2598", "lti": "0.1282", "ltv": "0.8000"}
    assert loan["collateral"][0]["kind"] == "vehicle" and loan["guarantors"][0]["name"] == "Ravi Verma"
    assert loan["customer_name"] == "Asha Verma" and loan["application_id"] is None
    # as of today the loan has matured unpaid: it is an NPA with every instalment overdue
    today = position(client, lender, loan["id"], date.today().isoformat())
    assert today["asset_class"] in ("substandard", "doubtful_1") and today["overdue_amount"] != "0.00"
    assert (
        client.post(f"{lender.base}/portfolio/loans", json={"principal": "1"}, headers=lender.headers()).status_code
        == 422
    )


def test_replaying_a_payment_reference_does_not_count_twice(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    session.commit()
    loan = disburse(client, lender)
    first = pay(client, lender, loan["id"], "UTR-2025-0001", EMI, "2025-02-10")
    assert first.status_code == 201, first.text
    replay = pay(client, lender, loan["id"], "UTR-2025-0001", EMI, "2025-02-10")
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert pay(client, lender, loan["id"], "UTR-2025-0001", "100", "2025-02-10").status_code == 409
    detail = position(client, lender, loan["id"], "2025-03-01")
    assert detail["paid_amount"] == "8884.88" and len(detail["payments"]) == 1
    assert detail["schedule"][0]["status"] == "paid" and detail["schedule"][0]["paid_on"] == "2025-02-10"
    summary = client.get(
        f"{lender.base}/portfolio/summary", params={"as_of": "2025-03-01"}, headers=lender.headers()
    ).json()
    assert summary["collected_amount"] == "8884.88"
    # the same reference is another tenant's business; another tenant cannot touch this loan
    assert pay(client, other, loan["id"], "UTR-2025-0002", EMI, "2025-03-10").status_code == 404
    # more than what remains payable, a date before disbursal, and a field officer are all refused
    assert pay(client, lender, loan["id"], "UTR-BIG", "200000", "2025-03-10").status_code == 422
    assert pay(client, lender, loan["id"], "UTR-EARLY", EMI, "2024-12-31").status_code == 422
    assert pay(client, lender, loan["id"], "UTR-OFFICER", EMI, "2025-03-10", role="officer").status_code == 403
    assert pay(client, lender, loan["id"], "UTR-AUDITOR", EMI, "2025-03-10", role="auditor").status_code == 403


def test_an_npa_returns_to_standard_only_after_all_arrears_are_paid(client, session):
    lender = make_lender(session)
    session.commit()
    loan = disburse(client, lender)
    for k, day in enumerate(("2025-02-10", "2025-03-10", "2025-04-10"), start=1):
        assert pay(client, lender, loan["id"], f"NACH-{k}", EMI, day).status_code == 201
    assert position(client, lender, loan["id"], "2025-08-07")["asset_class"] == "sma_2"
    npa = position(client, lender, loan["id"], "2025-08-08")  # 91 days counting the due date, 10 May
    assert (npa["dpd"], npa["asset_class"], npa["npa_since"]) == (91, "substandard", "2025-08-08")
    # two EMIs in September: arrears fall to 68 days, but the loan stays an NPA
    assert pay(client, lender, loan["id"], "NACH-4", EMI * 2, "2025-09-15").status_code == 201
    partial = position(client, lender, loan["id"], "2025-09-15")
    assert (partial["dpd"], partial["asset_class"]) == (68, "substandard")
    # every overdue instalment (6 to 9) paid on 20 October: upgraded to Standard that day, not before
    assert pay(client, lender, loan["id"], "NACH-5", EMI * 4, "2025-10-20").status_code == 201
    assert position(client, lender, loan["id"], "2025-10-19")["asset_class"] == "substandard"
    upgraded = position(client, lender, loan["id"], "2025-10-20")
    assert (upgraded["dpd"], upgraded["asset_class"], upgraded["overdue_amount"]) == (0, "standard", "0.00")
    history = client.get(
        f"{lender.base}/portfolio/loans/{loan['id']}/history", params={"as_of": "2025-10-31"}, headers=lender.headers()
    ).json()["points"]
    assert [(p["as_of"], p["asset_class"]) for p in history] == [
        ("2025-01-31", "standard"),
        ("2025-02-28", "standard"),
        ("2025-03-31", "standard"),
        ("2025-04-30", "standard"),
        ("2025-05-31", "sma_0"),
        ("2025-06-30", "sma_1"),
        ("2025-07-31", "sma_2"),
        ("2025-08-31", "substandard"),
        ("2025-09-30", "substandard"),
        ("2025-10-31", "standard"),
    ]


def test_only_an_npa_can_be_marked_loss(client, session):
    lender = make_lender(session)
    session.commit()
    loan = disburse(client, lender)  # never repaid: NPA from 2025-05-12
    url = f"{lender.base}/portfolio/loans/{loan['id']}/loss"
    assert client.post(url, json={"marked_on": "2025-03-01"}, headers=lender.headers()).status_code == 409
    marked = client.post(url, json={"marked_on": "2025-09-01"}, headers=lender.headers())
    assert marked.status_code == 200 and marked.json()["loss_marked_on"] == "2025-09-01"
    assert position(client, lender, loan["id"], "2025-08-31")["asset_class"] == "substandard"
    assert position(client, lender, loan["id"], "2025-09-01")["asset_class"] == "loss"
    loans = client.get(
        f"{lender.base}/portfolio/loans",
        params={"asset_class": "loss", "as_of": "2025-09-01"},
        headers=lender.headers(),
    ).json()
    assert [x["id"] for x in loans["items"]] == [loan["id"]] and loans["total"] == 1


def test_a_loan_is_disbursed_once_from_an_approved_application(client, session):
    from tests.monitoring.scoring_rows import insert_application

    lender = make_lender(session)
    other = make_lender(session)
    session.commit()
    request = {
        "applicant": {"name": "Kavya Nair", "pan": "ABCPN1234K", "monthly_income": 52000, "existing_emi": 0},
        "loan": {"amount": 100000, "tenure_months": 12, "interest_rate": 12, "purpose": "consumer_durable"},
    }
    approved = insert_application(
        session,
        tenant_id=lender.tenant.id,
        features={},
        pd=0.07,
        decision="Approve",
        created_at=datetime.now(UTC),
        request=request,
        model_id="model-7",
    )
    rejected = insert_application(
        session,
        tenant_id=lender.tenant.id,
        features={},
        pd=0.71,
        decision="Reject",
        created_at=datetime.now(UTC),
        request=request,
    )
    foreign = insert_application(
        session,
        tenant_id=other.tenant.id,
        features={},
        pd=0.05,
        decision="Approve",
        created_at=datetime.now(UTC),
        request=request,
    )
    session.commit()
    body = {"principal": "100000", "annual_rate_pct": "12", "tenure_months": 12, "disbursed_on": "2025-01-10"}
    url = f"{lender.base}/portfolio/loans"
    loan = client.post(url, json={**body, "application_id": approved.id}, headers=lender.headers())
    assert loan.status_code == 201, loan.text
    loan = loan.json()
    assert (loan["application_id"], loan["pd_at_origination"], loan["model_id"]) == (approved.id, 0.07, "model-7")
    assert loan["customer_name"] == "Kavya Nair" and loan["purpose"] == "consumer_durable"
    assert client.post(url, json={**body, "application_id": approved.id}, headers=lender.headers()).status_code == 409
    assert client.post(url, json={**body, "application_id": rejected.id}, headers=lender.headers()).status_code == 409
    assert client.post(url, json={**body, "application_id": foreign.id}, headers=lender.headers()).status_code == 404


def test_row_level_security_backs_the_scope_for_loans(db, session, client):
    import pytest
    from sqlalchemy import select

    from creditdesk.db import set_tenant_scope
    from creditdesk.portfolio.models import Instalment, Loan

    if not db.is_postgres:
        pytest.skip("row-level security is a PostgreSQL feature")
    mine, theirs = make_lender(session), make_lender(session)
    session.commit()
    disburse(client, mine)
    disburse(client, theirs, customer={"name": "Other borrower"})
    with db.session() as s:
        set_tenant_scope(s, mine.tenant.id)
        assert len(s.execute(select(Loan.id)).all()) == 1  # deliberately unscoped
        assert len(s.execute(select(Instalment.id)).all()) == 12


def test_concurrent_replays_of_one_payment_count_it_once(client, session):
    import threading

    lender = make_lender(session)
    session.commit()
    loan = disburse(client, lender)
    results: list = []

    def call() -> None:
        results.append(pay(client, lender, loan["id"], "NACH-BATCH-7", EMI, "2025-02-10"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 7 + [201], codes
    assert len({r.json()["id"] for r in results}) == 1
    assert position(client, lender, loan["id"], "2025-02-28")["paid_amount"] == "8884.88"
