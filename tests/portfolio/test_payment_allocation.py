"""Payment allocation: a repayment goes to instalments oldest first, interest before principal.

Through the public API only (disburse, pay, read the loan as of a day), so the arithmetic is checked
where a lender sees it: each instalment's paid amount and status, the outstanding principal, arrears,
DPD, the day a loan closes, and the refusals (future dates, overpayment) that keep the ledger honest.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.portfolio.fixtures import make_lender

from creditdesk.tenancy import clock

EMI = Decimal("8884.88")  # 1,00,000 at 12 % over 12 months; the first instalment's interest is 1,000.00


def _disburse(client, lender) -> dict:
    body = {
        "external_ref": "LN-ALLOC",
        "customer": {"name": "Meera Rao", "pan": "ABCPR1234K", "monthly_income": 90000, "existing_emi": 0},
        "principal": "100000",
        "annual_rate_pct": "12",
        "tenure_months": 12,
        "disbursed_on": "2025-01-10",
        "purpose": "personal",
    }
    r = client.post(f"{lender.base}/portfolio/loans", json=body, headers=lender.headers())
    assert r.status_code == 201, r.text
    return r.json()


def _pay(client, lender, loan_id: str, reference: str, amount, paid_on: str):
    return client.post(
        f"{lender.base}/portfolio/loans/{loan_id}/payments",
        json={"reference": reference, "amount": str(amount), "paid_on": paid_on, "channel": "upi"},
        headers=lender.headers(),
    )


def _as_of(client, lender, loan_id: str, day: str) -> dict:
    r = client.get(f"{lender.base}/portfolio/loans/{loan_id}", params={"as_of": day}, headers=lender.headers())
    assert r.status_code == 200, r.text
    return r.json()


def _statuses(detail: dict, n: int = 3) -> list[tuple[str, str, str | None]]:
    return [(i["status"], i["paid_amount"], i["paid_on"]) for i in detail["schedule"][:n]]


def test_a_payment_pays_interest_before_principal_and_instalments_oldest_first(client, session):
    lender = make_lender(session)
    session.commit()
    loan = _disburse(client, lender)
    first = loan["schedule"][0]
    assert (first["interest"], first["principal"], first["amount"]) == ("1000.00", "7884.88", "8884.88")

    # 600 is less than the first instalment's interest: no principal is repaid yet
    assert _pay(client, lender, loan["id"], "UPI-1", "600", "2025-01-20").status_code == 201
    early = _as_of(client, lender, loan["id"], "2025-01-25")
    assert early["outstanding_principal"] == "100000.00" and early["paid_amount"] == "600.00"
    # part paid before its due date; the second instalment falls due more than a month ahead
    assert _statuses(early) == [("part_paid", "600.00", None), ("upcoming", "0.00", None), ("upcoming", "0.00", None)]

    # 4,400 more: the interest (1,000) is covered, the other 4,000 repays principal
    assert _pay(client, lender, loan["id"], "UPI-2", "4400", "2025-02-01").status_code == 201
    before_due = _as_of(client, lender, loan["id"], "2025-02-05")
    assert before_due["outstanding_principal"] == "96000.00"
    assert (before_due["dpd"], before_due["asset_class"], before_due["overdue_amount"]) == (0, "standard", "0.00")

    # unpaid at the due date's day-end the rest is overdue (10 Feb is day 1); the next one is due within a month
    late = _as_of(client, lender, loan["id"], "2025-02-11")
    assert (late["dpd"], late["asset_class"]) == (2, "sma_0")
    assert late["overdue_amount"] == str(EMI - Decimal("5000"))
    assert _statuses(late) == [("overdue", "5000.00", None), ("due", "0.00", None), ("upcoming", "0.00", None)]

    # one payment clears the arrears and pays the second instalment in advance: both name that day
    catch_up = EMI - Decimal("5000") + EMI
    assert _pay(client, lender, loan["id"], "UPI-3", catch_up, "2025-02-20").status_code == 201
    cleared = _as_of(client, lender, loan["id"], "2025-02-25")
    assert (cleared["dpd"], cleared["asset_class"], cleared["overdue_amount"]) == (0, "standard", "0.00")
    assert _statuses(cleared) == [
        ("paid", "8884.88", "2025-02-20"),
        ("paid", "8884.88", "2025-02-20"),
        ("upcoming", "0.00", None),
    ]
    principal_repaid = sum(Decimal(i["principal"]) for i in loan["schedule"][:2])
    assert Decimal(cleared["outstanding_principal"]) == Decimal("100000.00") - principal_repaid

    # read as of a day before the later payments, the loan shows only what had arrived by then
    assert _as_of(client, lender, loan["id"], "2025-01-25")["paid_amount"] == "600.00"


def test_the_last_payment_closes_the_loan_and_nothing_more_is_accepted(client, session):
    lender = make_lender(session)
    session.commit()
    loan = _disburse(client, lender)
    total_due = sum(Decimal(i["amount"]) for i in loan["schedule"])
    assert _pay(client, lender, loan["id"], "NEFT-1", EMI, "2025-02-10").status_code == 201
    remaining = total_due - EMI

    too_much = _pay(client, lender, loan["id"], "NEFT-2", remaining + Decimal("0.01"), "2025-03-01")
    assert too_much.status_code == 422 and str(remaining) in too_much.json()["detail"]
    assert _pay(client, lender, loan["id"], "NEFT-3", remaining, "2025-03-01").status_code == 201

    closed = _as_of(client, lender, loan["id"], "2025-03-01")
    assert (closed["status"], closed["closed_on"]) == ("closed", "2025-03-01")
    assert closed["outstanding_principal"] == "0.00" and closed["paid_amount"] == str(total_due)
    assert {i["status"] for i in closed["schedule"]} == {"paid"}
    assert closed["schedule"][-1]["paid_on"] == "2025-03-01"
    # a closed loan has nothing left to pay
    assert _pay(client, lender, loan["id"], "NEFT-4", "1", "2025-03-02").status_code == 422

    audit = client.get(f"{lender.base}/audit", params={"action": "payment.recorded"}, headers=lender.headers()).json()
    assert audit["total"] == 2
    assert {e["details"]["reference"] for e in audit["items"]} == {"NEFT-1", "NEFT-3"}


def test_a_payment_dated_after_the_tenants_today_is_refused(client, session):
    lender = make_lender(session)
    session.commit()
    loan = _disburse(client, lender)
    tomorrow = (clock.today(lender.tenant) + timedelta(days=1)).isoformat()
    refused = _pay(client, lender, loan["id"], "UPI-FUTURE", "100", tomorrow)
    assert refused.status_code == 422 and "future" in refused.json()["detail"]
    today = clock.today(lender.tenant).isoformat()
    assert _pay(client, lender, loan["id"], "UPI-TODAY", "100", today).status_code == 201
