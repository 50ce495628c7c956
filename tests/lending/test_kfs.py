"""The Key Fact Statement: built from the terms, the portfolio's schedule, the APR, the tenant's facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from creditdesk.lending.apr import AprError, Charge, apr_for_terms
from creditdesk.lending.kfs import GrievanceOfficer, KfsSettings, LoanTerms, build_kfs
from creditdesk.portfolio.schedule import amortisation_schedule

FEE = Charge.percent_of("Processing fee", Decimal("100000"), Decimal("2"))
TERMS = LoanTerms(
    reference="APP-0001",
    borrower_name="Asha Rao",
    amount=Decimal("100000"),
    tenure_months=12,
    interest_rate=Decimal("16.5"),
    charges=(FEE,),
)
OFFICER = GrievanceOfficer(name="Meera Iyer", phone="+91 22 4000 1234", email="grievance@lender.in")
SETTINGS = KfsSettings(lender_name="Sahyadri Finance", cooling_off_days=5, grievance_officer=OFFICER)
FRIDAY = date(2024, 10, 4)


def test_the_kfs_states_the_terms_the_schedule_and_the_apr() -> None:
    kfs = build_kfs(TERMS, settings=SETTINGS, today=FRIDAY)
    assert (
        kfs.apr
        == Decimal("21.11")
        == apr_for_terms(
            principal=TERMS.amount, annual_rate_pct=TERMS.interest_rate, tenure_months=12, charges=[FEE]
        ).apr
    )
    assert kfs.sanctioned_amount == Decimal("100000.00")
    assert kfs.upfront_charges == Decimal("2360.00") and kfs.net_disbursed_amount == Decimal("97640.00")
    assert kfs.emi == Decimal("9096.76") and kfs.instalment_count == 12
    assert kfs.total_interest == Decimal("9161.16")
    assert kfs.total_amount_payable == Decimal("100000") + Decimal("9161.16") + Decimal("2360")
    assert kfs.disbursal_on == FRIDAY and kfs.first_due_on == date(2024, 11, 4)
    assert kfs.valid_until == date(2024, 10, 9)  # 3 working days after a Friday: Mon, Tue, Wed
    assert kfs.cooling_off_days == 5 and kfs.grievance_officer == OFFICER
    assert kfs.lender_name == "Sahyadri Finance" and "recovery agents" in kfs.recovery_agents
    assert [c.name for c in kfs.charges] == ["Processing fee"]
    assert kfs.charges[0].gst == Decimal("360.00") and kfs.charges[0].collected == "deducted from the disbursement"


def test_the_schedule_is_the_portfolios_amortisation_schedule() -> None:
    kfs = build_kfs(TERMS, today=FRIDAY)
    rows = amortisation_schedule(TERMS.amount, TERMS.interest_rate, 12, date(2024, 11, 4))
    assert [(r.seq, r.due_on, r.principal, r.interest, r.amount, r.closing_balance) for r in rows] == [
        (s.seq, s.due_on, s.principal, s.interest, s.instalment, s.closing_balance) for s in kfs.schedule
    ]
    assert kfs.schedule[0].opening_balance == Decimal("100000.00")
    assert sum(s.principal for s in kfs.schedule) == TERMS.amount
    assert kfs.schedule[-1].closing_balance == 0


def test_defaults_serve_a_tenant_without_settings() -> None:
    kfs = build_kfs(TERMS, where="Asia/Kolkata")
    assert kfs.cooling_off_days == 3
    assert kfs.grievance_officer.email
    assert len(kfs.contingent_charges) >= 3
    assert kfs.valid_until > kfs.generated_on


def test_the_content_hash_identifies_the_statement() -> None:
    kfs = build_kfs(TERMS, settings=SETTINGS, today=FRIDAY)
    again = build_kfs(TERMS, settings=SETTINGS, today=FRIDAY)
    assert len(kfs.content_hash) == 64 and kfs.content_hash == again.content_hash == kfs.computed_hash()
    assert '"content_hash"' not in kfs.canonical_json()
    changed_rate = build_kfs(
        TERMS.model_copy(update={"interest_rate": Decimal("16.75")}), settings=SETTINGS, today=FRIDAY
    )
    other_officer = build_kfs(TERMS, today=FRIDAY)
    assert len({kfs.content_hash, changed_rate.content_hash, other_officer.content_hash}) == 3
    tampered = kfs.model_copy(update={"apr": Decimal("9.99")})
    assert tampered.computed_hash() != tampered.content_hash


def test_fees_collected_later_and_bad_dates() -> None:
    later = Charge(name="Documentation", amount=Decimal("500"), collected_with=1, recurrence="one_time")
    kfs = build_kfs(TERMS.model_copy(update={"charges": (FEE, later)}), today=FRIDAY)
    assert kfs.charges[1].collected == "with instalment 1"
    assert kfs.total_charges == Decimal("2360.00") + Decimal("590.00")
    assert kfs.upfront_charges == Decimal("2360.00") and kfs.apr > Decimal("21.11")
    with pytest.raises(AprError, match="first instalment"):
        build_kfs(TERMS.model_copy(update={"first_due_on": FRIDAY}), today=FRIDAY)


def test_terms_are_validated() -> None:
    with pytest.raises(ValidationError):
        LoanTerms(reference="A", borrower_name="B", amount=Decimal(0), tenure_months=12, interest_rate=Decimal(10))
    with pytest.raises(ValidationError):
        LoanTerms(reference="A", borrower_name="B", amount=Decimal(1), tenure_months=0, interest_rate=Decimal(10))
    with pytest.raises(ValidationError):
        GrievanceOfficer(name="X", phone="123456", email="not-an-email")
