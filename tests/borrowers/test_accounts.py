"""A borrower's accounts: what they owe, what is due next, how late, and what that means — the loan book's
own figures (portfolio), never a second computation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.borrowers.conftest import Borrower, as_borrower, disburse, sign_in

from creditdesk.audit.service import SYSTEM
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import PaymentCreate
from creditdesk.tenancy import clock

PRIYA = "+917700011223"


def test_accounts_show_dues_days_past_due_and_the_rbi_class_in_words(client, session, codes, lenders):
    bank = lenders["asha"].tenant
    today = clock.today(bank)
    late = disburse(session, bank, PRIYA, disbursed_on=today - timedelta(days=45), name="Priya Nair")
    disburse(session, bank, "+917700011299", disbursed_on=today - timedelta(days=5), name="Priya's sister")
    session.commit()
    priya = Borrower(bank, PRIYA, late.customer_id, late.id)
    headers = as_borrower(sign_in(client, codes, priya))

    items = client.get("/api/v1/me/accounts", headers=headers).json()["items"]
    assert [a["id"] for a in items] == [late.id]
    account = items[0]
    book = portfolio.loan_detail(session, tenant=bank, loan_id=late.id, as_of=today)
    session.commit()
    assert Decimal(account["outstanding_principal"]) == book["outstanding_principal"] == Decimal("120000.00")
    assert account["dpd"] == book["dpd"] > 0
    assert (account["rbi_class"], account["rbi_class_label"]) == ("sma_0", "SMA-0")
    assert "overdue" in account["standing"] and "30 days" in account["standing"]
    first = book["schedule"][0]
    assert account["next_due_on"] == first["due_on"].isoformat()
    assert Decimal(account["next_due_amount"]) == first["amount"] == Decimal(account["emi"])
    assert Decimal(account["overdue_amount"]) == first["amount"]
    assert Decimal(account["principal"]) == Decimal("120000.00") and account["status"] == "active"

    # the borrower pays the overdue instalment: up to date, the next one due
    payment = PaymentCreate(reference="UTR-PRIYA-1", amount=first["amount"], paid_on=today)
    portfolio.record_payment(session, tenant=bank, loan_id=late.id, data=payment, actor=SYSTEM)
    session.commit()
    detail = client.get(f"/api/v1/me/accounts/{late.id}", headers=headers).json()
    assert (detail["dpd"], detail["rbi_class"], detail["overdue_amount"]) == (0, "standard", "0.00")
    assert detail["standing"].startswith("Up to date")
    assert detail["next_due_on"] == book["schedule"][1]["due_on"].isoformat()
    assert [i["status"] for i in detail["instalments"][:3]] == ["paid", "due", "upcoming"]
    assert len(detail["instalments"]) == 12 and Decimal(detail["paid_amount"]) == first["amount"]
    assert set(detail["instalments"][0]) >= {
        "seq",
        "due_on",
        "amount",
        "principal",
        "interest",
        "paid_amount",
        "status",
    }


def test_an_account_shows_nothing_of_other_people(client, codes, lenders):
    """No guarantor, no other customer, no model internals: only what the borrower needs about their loan."""
    asha = lenders["asha"]
    detail = client.get(f"/api/v1/me/accounts/{asha.loan_id}", headers=as_borrower(sign_in(client, codes, asha))).json()
    assert not {"guarantors", "customer_name", "pd_at_origination", "model_id", "collateral", "ratios"} & set(detail)
