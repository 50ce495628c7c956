"""RBI's worked example of SMA and NPA dates, through the book and through the loan's HTTP route.

Source: RBI circular RBI/2021-2022/125, DOR.STR.REC.68/21.04.048/2021-22 of 12 November 2021
(clarifications on the Prudential Norms on Income Recognition, Asset Classification and
Provisioning, IRACP) and the Master Circular on IRACP norms. Its example, in our words: a loan due
on 31 March and not paid by that day's day-end process is overdue from 31 March; still overdue, it
is tagged SMA-1 at the day-end of 30 April, SMA-2 at the day-end of 30 May and NPA at the day-end of
29 June. The same circular: an NPA goes back to Standard only once the *entire* arrears of interest
and principal are paid, so a part payment leaves it an NPA.

So the due date is the first day overdue: DPD at the end of day D = D − due date + 1.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.portfolio.fixtures import make_lender

from creditdesk.portfolio.book import ASSET_CLASSES, Book, InstalmentFacts, LoanFacts, PaymentFacts
from creditdesk.portfolio.schedule import amortisation_schedule
from creditdesk.tenancy import clock

DUE = date(2026, 3, 31)  # the first instalment; the next ones fall due 30 Apr, 31 May, 30 Jun, …
SCHEDULE = amortisation_schedule(Decimal("100000"), Decimal("12"), 12, DUE)
EMI = SCHEDULE[0].amount  # 8,884.88

#: (day, DPD at that day's end, class) — RBI's dates and the day before each of them
WORKED_EXAMPLE = [
    (date(2026, 3, 30), 0, "standard"),
    (date(2026, 3, 31), 1, "sma_0"),  # not paid by the due date's day-end: overdue from 31 March
    (date(2026, 4, 1), 2, "sma_0"),
    (date(2026, 4, 29), 30, "sma_0"),
    (date(2026, 4, 30), 31, "sma_1"),  # RBI: SMA-1 on 30 April
    (date(2026, 5, 29), 60, "sma_1"),
    (date(2026, 5, 30), 61, "sma_2"),  # RBI: SMA-2 on 30 May
    (date(2026, 6, 28), 90, "sma_2"),
    (date(2026, 6, 29), 91, "substandard"),  # RBI: NPA on 29 June
]


def _book(payments: list[tuple[date, Decimal]]) -> Book:
    loan = LoanFacts("L1", date(2026, 2, 28), Decimal("100000"), 0.05, None)
    rows = [InstalmentFacts("L1", r.seq, r.due_on, r.principal, r.interest, r.amount) for r in SCHEDULE]
    return Book.build([loan], rows, [PaymentFacts("L1", day, amount) for day, amount in payments])


def test_the_book_classifies_the_unpaid_31_march_instalment_on_rbis_dates():
    book = _book([])
    for day, dpd, name in WORKED_EXAMPLE:
        state = book.state(day)
        assert (int(state.dpd[0]), ASSET_CLASSES[int(state.asset_class[0])]) == (dpd, name), day
    npa = book.state(date(2026, 6, 29))
    assert npa.npa[0] and date.fromordinal(int(npa.npa_since[0])) == date(2026, 6, 29)
    assert int(book.first_over[90][0]) == date(2026, 6, 29).toordinal()  # "90+" = NPA by age, the same day
    assert int(book.first_over[30][0]) == date(2026, 4, 30).toordinal()


def test_paid_on_the_due_date_it_is_never_overdue():
    book = _book([(DUE, EMI)])  # counted at that day's end, before the day-end classification
    assert int(book.state(DUE).dpd[0]) == 0 and ASSET_CLASSES[int(book.state(DUE).asset_class[0])] == "standard"


def test_a_part_payment_does_not_upgrade_an_npa_only_the_entire_arrears_do():
    part = (date(2026, 7, 10), EMI * 3)  # the March, April and May instalments; June's still unpaid
    book = _book([part])
    state = book.state(date(2026, 7, 10))
    assert int(state.dpd[0]) == 11 and ASSET_CLASSES[int(state.asset_class[0])] == "substandard"
    rest = (date(2026, 7, 20), EMI)  # June's: no arrears of interest or principal left (July's due 31 July)
    book = _book([part, rest])
    assert ASSET_CLASSES[int(book.state(date(2026, 7, 19)).asset_class[0])] == "substandard"
    assert ASSET_CLASSES[int(book.state(date(2026, 7, 20)).asset_class[0])] == "standard"


# --------------------------------------------------------------------------------------------------
# the same example where a lender sees it: GET portfolio/loans/{id}, as of a day or as of "today"


def _disburse(client, lender) -> dict:
    body = {
        "external_ref": "LN-RBI-EXAMPLE",
        "customer": {"name": "Anil Kumar", "pan": "ABCPK4321L", "monthly_income": 80000, "existing_emi": 0},
        "principal": "100000",
        "annual_rate_pct": "12",
        "tenure_months": 12,
        "disbursed_on": "2026-02-28",
        "first_due_on": DUE.isoformat(),
        "purpose": "personal",
    }
    r = client.post(f"{lender.base}/portfolio/loans", json=body, headers=lender.headers())
    assert r.status_code == 201, r.text
    return r.json()


def _loan(client, lender, loan_id: str, as_of: date | None = None) -> dict:
    params = {"as_of": as_of.isoformat()} if as_of else {}
    r = client.get(f"{lender.base}/portfolio/loans/{loan_id}", params=params, headers=lender.headers())
    assert r.status_code == 200, r.text
    return r.json()


def test_the_loan_route_shows_rbis_dates_and_keeps_an_npa_until_the_arrears_are_paid(client, session, monkeypatch):
    lender = make_lender(session)
    session.commit()
    loan = _disburse(client, lender)
    assert loan["schedule"][0]["due_on"] == "2026-03-31"
    for day, dpd, name in WORKED_EXAMPLE:
        shown = _loan(client, lender, loan["id"], day)
        assert (shown["dpd"], shown["asset_class"]) == (dpd, name), day
    assert _loan(client, lender, loan["id"], DUE)["schedule"][0]["status"] == "overdue"  # at its day-end
    npa = _loan(client, lender, loan["id"], date(2026, 6, 29))
    assert (npa["asset_class_label"], npa["npa_since"]) == ("Sub-standard", "2026-06-29")
    assert Decimal(npa["overdue_amount"]) == sum((r.amount for r in SCHEDULE[:3]), Decimal(0))  # 31 Mar–31 May

    # "today" is the tenant clock's: on 30 April the default view is that day's SMA-1
    monkeypatch.setattr(clock, "today", lambda where: date(2026, 4, 30))
    assert (_loan(client, lender, loan["id"])["dpd"], _loan(client, lender, loan["id"])["asset_class"]) == (31, "sma_1")
    listed = client.get(
        f"{lender.base}/portfolio/loans", params={"asset_class": "sma_1"}, headers=lender.headers()
    ).json()
    assert [x["id"] for x in listed["items"]] == [loan["id"]]

    # on 10 July three of the four overdue instalments are paid: a part payment, still an NPA
    monkeypatch.setattr(clock, "today", lambda where: date(2026, 7, 20))
    pay = {"reference": "UTR-RBI-1", "amount": str(EMI * 3), "paid_on": "2026-07-10", "channel": "upi"}
    assert (
        client.post(
            f"{lender.base}/portfolio/loans/{loan['id']}/payments", json=pay, headers=lender.headers()
        ).status_code
        == 201
    )
    part = _loan(client, lender, loan["id"], date(2026, 7, 10))
    assert (part["dpd"], part["asset_class"], part["overdue_amount"]) == (11, "substandard", str(SCHEDULE[3].amount))
    # the rest on 20 July: the entire arrears of interest and principal are paid, upgraded that day
    pay = {"reference": "UTR-RBI-2", "amount": str(SCHEDULE[3].amount), "paid_on": "2026-07-20", "channel": "upi"}
    assert (
        client.post(
            f"{lender.base}/portfolio/loans/{loan['id']}/payments", json=pay, headers=lender.headers()
        ).status_code
        == 201
    )
    assert _loan(client, lender, loan["id"], date(2026, 7, 19))["asset_class"] == "substandard"
    today = _loan(client, lender, loan["id"])
    assert (today["as_of"], today["dpd"], today["asset_class"], today["npa_since"]) == (
        "2026-07-20",
        0,
        "standard",
        None,
    )


@pytest.mark.parametrize("day", [date(2026, 4, 30), date(2026, 5, 30), date(2026, 6, 29)])
def test_each_rbi_date_is_the_first_day_of_its_class(day):
    book = _book([])
    before, on = book.state(day.toordinal() - 1), book.state(day)
    assert int(on.asset_class[0]) == int(before.asset_class[0]) + 1
