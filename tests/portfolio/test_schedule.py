"""EMI, amortisation schedules and the lending ratios, checked against hand-computed figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.ml import features
from creditdesk.portfolio.schedule import add_months, amortisation_schedule, dti, emi, lti, ltv


def test_emi_matches_the_hand_computed_value():
    # ₹1,00,000 at 12 % p.a. for 12 months: r = 1 %, EMI = P·r·1.01¹² / (1.01¹² − 1) = ₹8,884.88
    assert emi(100000, 12, 12) == Decimal("8884.88")
    assert emi(Decimal("100000"), Decimal("12"), 12) == features.emi(100000, 12, 12)  # one definition
    assert emi(120000, 0, 12) == Decimal("10000.00")


def test_schedule_repays_exactly_the_principal_and_the_last_instalment_absorbs_rounding():
    rows = amortisation_schedule(Decimal("100000"), Decimal("12"), 12, date(2025, 2, 10))
    assert [r.seq for r in rows] == list(range(1, 13))
    assert rows[0].interest == Decimal("1000.00") and rows[0].principal == Decimal("7884.88")
    assert all(r.amount == Decimal("8884.88") for r in rows[:-1])
    assert sum(r.principal for r in rows) == Decimal("100000.00")
    assert rows[-1].closing_balance == Decimal("0.00")
    assert rows[-1].amount == rows[-1].principal + rows[-1].interest
    assert abs(rows[-1].amount - Decimal("8884.88")) < Decimal("0.10")  # rounding only
    assert sum(r.interest for r in rows) == sum(r.amount for r in rows) - Decimal("100000")
    assert all(isinstance(r.amount, Decimal) and r.amount.as_tuple().exponent == -2 for r in rows)


def test_due_dates_keep_the_day_and_clamp_to_month_end():
    rows = amortisation_schedule(Decimal("50000"), Decimal("18"), 4, date(2025, 1, 31))
    assert [r.due_on for r in rows] == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 15), -13) == date(2024, 11, 15)


def test_lending_ratios():
    # FOIR: (₹8,000 existing + ₹8,884.88 new) / ₹65,000 = 0.2598
    assert dti(monthly_income=65000, existing_emi=8000, new_emi=Decimal("8884.88")) == Decimal("0.2598")
    assert lti(loan_amount=300000, monthly_income=50000) == Decimal("0.5000")  # ₹3 L / ₹6 L a year
    assert ltv(loan_amount=400000, collateral_value=500000) == Decimal("0.8000")
    assert ltv(loan_amount=400000, collateral_value=0) is None
    assert dti(monthly_income=None, existing_emi=0, new_emi=1000) is None


def test_a_non_positive_principal_is_refused():
    with pytest.raises(ValueError):
        amortisation_schedule(Decimal("0"), Decimal("12"), 12, date(2025, 1, 1))
