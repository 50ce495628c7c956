"""Charges (bounce, penal) in the book engine and where a payment goes when a loan has them.

The order (docs/portfolio-monitoring.md, "Payment allocation"): instalments already due, oldest
first, interest before principal; then charges levied by the payment's day, oldest first; then
instalments not yet due. Penal charges are not capitalised (RBI/2023-24/53,
DoR.MCS.REC.28/01.01.001/2023-24, 18 August 2023): they stay in their own ledger at face value, are
never added to principal and bear no interest — and, not being arrears of interest or principal,
they move neither DPD nor the asset class.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from creditdesk.portfolio.book import (
    ASSET_CLASSES,
    Book,
    ChargeFacts,
    InstalmentFacts,
    LoanFacts,
    PaymentFacts,
    rupees,
)
from creditdesk.portfolio.schedule import amortisation_schedule

SCHEDULE = amortisation_schedule(Decimal("100000"), Decimal("12"), 12, date(2026, 3, 31))
EMI = SCHEDULE[0].amount  # 8,884.88: 1,000.00 interest and 7,884.88 principal
BOUNCE = ChargeFacts("L1", date(2026, 3, 31), "bounce", Decimal("500"))  # the 31 March debit bounced


def _book(payments: list[tuple[date, Decimal]], charges: list[ChargeFacts]) -> Book:
    loans = [
        LoanFacts("L1", date(2026, 2, 28), Decimal("100000"), 0.05, None),
        LoanFacts("L2", date(2026, 2, 28), Decimal("100000"), 0.05, None),  # no charges: untouched
    ]
    rows = [
        InstalmentFacts(x, r.seq, r.due_on, r.principal, r.interest, r.amount) for x in ("L1", "L2") for r in SCHEDULE
    ]
    pays = [PaymentFacts(x, day, amount) for x in ("L1", "L2") for day, amount in payments]
    return Book.build(loans, rows, pays, charges)


def _klass(book: Book, day: date, i: int = 0) -> str:
    return ASSET_CLASSES[int(book.state(day).asset_class[i])]


def test_a_payment_of_the_emi_after_a_bounce_pays_the_emi_not_the_charge():
    book = _book([(date(2026, 4, 3), EMI)], [BOUNCE])
    state = book.state(date(2026, 4, 3))
    assert (int(state.dpd[0]), _klass(book, date(2026, 4, 3))) == (0, "standard")  # the instalment is paid
    assert rupees(state.charges[0]) == Decimal("500.00") and rupees(state.charges_due[0]) == Decimal("500.00")
    assert rupees(state.paid[0]) == EMI and state.arrears[0] == 0
    # the loan without charges is positioned exactly the same way
    assert state.outstanding[0] == state.outstanding[1] and state.dpd[1] == 0


def test_what_is_left_after_the_dues_pays_charges_before_any_advance():
    paid = EMI + Decimal("500") + Decimal("1000")
    book = _book([(date(2026, 4, 3), paid)], [BOUNCE])
    state = book.state(date(2026, 4, 3))
    assert state.charges_due[0] == 0 and rupees(state.charges_paid[0]) == Decimal("500.00")
    assert book.p_instalments[0] == int((EMI + 1000) * 100)  # 1,000 paid ahead on the April instalment
    april = book.state(date(2026, 4, 30))
    assert rupees(april.arrears[0]) == EMI - Decimal("1000")  # its rest is overdue at the day-end
    assert book.charge_cover(date(2026, 4, 3)).tolist() == [50000]


def test_charges_are_paid_oldest_first_and_a_payment_never_pays_a_later_charge():
    penal = ChargeFacts("L1", date(2026, 4, 15), "penal", Decimal("200"))
    # 1 March: two EMIs in advance, before any charge; 20 April: 400 beyond April's instalment
    book = _book([(date(2026, 3, 1), EMI * 2), (date(2026, 4, 20), Decimal("400"))], [penal, BOUNCE])
    assert book.p_instalments[0] == int(EMI * 2 * 100)  # nothing was levied on 1 March
    assert book.charge_cover(date(2026, 3, 31)).tolist() == [0, 0]  # bounce levied, unpaid
    assert book.charge_cover(date(2026, 4, 20)).tolist() == [40000, 0]  # the bounce (31 Mar) first
    assert book.c_kind.tolist() == [0, 1] and rupees(book.state(date(2026, 4, 20)).charges_due[0]) == Decimal("300.00")


def test_penal_charges_are_not_capitalised_and_bear_no_interest():
    penal = [ChargeFacts("L1", date(2026, 4, 1), "penal", Decimal("750"))]
    with_charge, without = _book([], penal), _book([], [])
    for day in (date(2026, 4, 1), date(2026, 7, 1), date(2027, 6, 1)):
        a, b = with_charge.state(day), without.state(day)
        assert rupees(a.charges_due[0]) == Decimal("750.00")  # the face amount, months later: no interest on it
        assert a.outstanding[0] == b.outstanding[0] and a.arrears[0] == b.arrears[0]  # not added to principal
        assert a.dpd[0] == b.dpd[0] and a.asset_class[0] == b.asset_class[0]  # not arrears for DPD either


def test_an_npa_is_upgraded_when_interest_and_principal_arrears_are_paid_even_with_charges_due():
    charges = [BOUNCE, ChargeFacts("L1", date(2026, 4, 30), "bounce", Decimal("500"))]
    arrears = sum((r.amount for r in SCHEDULE[:4]), Decimal(0))  # 31 Mar, 30 Apr, 31 May, 30 Jun
    book = _book([(date(2026, 7, 10), arrears)], charges)
    assert _klass(book, date(2026, 7, 9)) == "substandard"
    state = book.state(date(2026, 7, 10))
    assert (_klass(book, date(2026, 7, 10)), int(state.dpd[0])) == ("standard", 0)
    assert rupees(state.charges_due[0]) == Decimal("1000.00")


def test_a_loan_closes_only_once_its_charges_are_paid_too():
    total = sum((r.amount for r in SCHEDULE), Decimal(0))
    late = ChargeFacts("L1", date(2026, 4, 2), "penal", Decimal("500"))  # levied after the loan was paid off
    book = _book([(date(2026, 4, 1), total)], [late])
    assert book.state(date(2026, 4, 1)).closed[0]
    state = book.state(date(2026, 4, 2))
    assert not state.closed[0] and state.active[0] and state.outstanding[0] == 0 and state.dpd[0] == 0
    assert state.closed[1]  # the same payments close the loan without charges
    book = _book([(date(2026, 4, 1), total), (date(2026, 4, 3), Decimal("500"))], [late])
    assert book.p_instalments.tolist()[:2] == [int(total * 100), 0]  # the second payment paid the charge
    assert book.state(date(2026, 4, 3)).closed[0]

    # paid the same day as the charge, the whole amount settles the charge first from what is beyond the dues
    book = _book([(date(2026, 4, 1), total)], [BOUNCE])
    state = book.state(date(2026, 4, 1))
    assert state.charges_due[0] == 0 and rupees(state.outstanding[0]) == Decimal("500.00")
    assert not state.closed[0] and state.arrears[0] == 0  # 500 of the last instalment remains, not yet due


def test_a_charge_needs_a_known_kind_and_a_positive_amount():
    with pytest.raises(ValueError, match="unknown charge kind"):
        _book([], [ChargeFacts("L1", date(2026, 4, 1), "late_fee_interest", Decimal("10"))])
    with pytest.raises(ValueError, match="positive"):
        _book([], [ChargeFacts("L1", date(2026, 4, 1), "penal", Decimal("0"))])
    ignored = _book([], [ChargeFacts("elsewhere", date(2026, 4, 1), "penal", Decimal("10"))])
    assert len(ignored.c_loan) == 0 and np.array_equal(ignored.p_instalments, ignored.p_amount)
