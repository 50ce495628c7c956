"""The loan-book engine's small parts: amounts in paise, loans by id, class names, DPD buckets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from creditdesk.portfolio.book import (
    NEVER,
    Book,
    InstalmentFacts,
    LoanFacts,
    PaymentFacts,
    dpd_bucket,
    paise,
    rupees,
    to_date,
)


def test_amounts_become_exact_paise_whatever_their_type():
    assert paise(Decimal("8884.88")) == 888488
    assert paise("8884.88") == 888488 and paise(100) == 10000 and paise("0.005") == 0  # half to even
    assert rupees(888488) == Decimal("8884.88") and rupees(np.int64(5)) == Decimal("0.05")
    assert to_date(NEVER) is None and to_date(date(2025, 1, 10).toordinal()) == date(2025, 1, 10)


def test_dpd_buckets_split_at_thirty_sixty_and_ninety():
    assert dpd_bucket(np.array([0, 1, 30, 31, 60, 61, 90, 91])).tolist() == [0, 1, 1, 2, 2, 3, 3, 4]


def test_a_book_built_from_plain_rows_finds_loans_by_id_and_names_their_classes():
    loans = [
        LoanFacts("paid-up", date(2025, 1, 1), "1000", None, None),
        LoanFacts("late", date(2025, 1, 1), "1000", 0.1, None, secured=True),
        LoanFacts("later", date(2025, 6, 1), "1000", 0.1, None),
    ]
    instalments = [
        InstalmentFacts(loan, 1, date(2025, 2, 1), "1000", "10", "1010") for loan in ("paid-up", "late", "later")
    ]
    payments = [PaymentFacts("paid-up", date(2025, 2, 1), "1010"), PaymentFacts("unknown", date(2025, 2, 1), "5")]
    book = Book.build(loans, instalments, payments)
    assert book.index == {"paid-up": 0, "late": 1, "later": 2} and book.index is book.index  # built once
    state = book.state(date(2025, 3, 15))
    assert state.class_names() == [
        None,
        "sma_1",
        None,
    ]  # closed, 43 days past due (1 Feb is the first), not yet disbursed
    assert state.dpd.tolist() == [0, 43, 0] and state.closed.tolist() == [True, False, False]
    assert rupees(state.arrears[book.index["late"]]) == Decimal("1010.00")
    assert np.isnan(book.pd[0]) and book.secured.tolist() == [False, True, False]
