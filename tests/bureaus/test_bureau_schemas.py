"""The normalised report: derived attributes computed the same way for every bureau."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from creditdesk.bureaus.schemas import (
    APPLICATION_BUREAU_FIELDS,
    BureauAccount,
    BureauData,
    BureauEnquiry,
    BureauReport,
    add_months,
    months_between,
    normalise_pan,
)

REPORT_DATE = date(2025, 3, 15)


def account(**overrides: object) -> BureauAccount:
    data: dict[str, object] = {
        "account_type": "personal_loan",
        "status": "active",
        "sanctioned_amount": Decimal("100000"),
        "current_balance": Decimal("50000"),
        "opened_on": date(2022, 1, 10),
        "dpd_history": [0] * 24,
    }
    data.update(overrides)
    return BureauAccount.model_validate(data)


def test_derived_attributes_of_a_mixed_file() -> None:
    card = account(
        account_type="credit_card",
        sanctioned_amount=Decimal("200000"),
        current_balance=Decimal("50000"),
        # 30+ DPD in months 2 and 5 (inside 12 months), 90 in month 20 (inside 24), 120 in month 30.
        dpd_history=[0, 0, 45, 0, 0, 30, *[0] * 14, 90, *[0] * 9, 120],
        opened_on=date(2019, 5, 1),
    )
    overdraft = account(account_type="overdraft", sanctioned_amount=Decimal("50000"), current_balance=Decimal("-10"))
    loan = account(dpd_history=[None, 0, 31, *[0] * 10])
    closed = account(status="closed", opened_on=date(2018, 1, 1), current_balance=Decimal(0))
    settled = account(status="settled", opened_on=date(2020, 1, 1), current_balance=Decimal(0))
    enquiries = [
        BureauEnquiry(enquired_on=date(2025, 3, 1)),
        BureauEnquiry(enquired_on=date(2024, 9, 15)),  # exactly six months before: counted
        BureauEnquiry(enquired_on=date(2024, 9, 14)),  # too old
    ]
    report = BureauReport.from_parts(
        bureau="cibil",
        pan="abcpv1234k",
        hit=True,
        score=712,
        report_date=REPORT_DATE,
        accounts=[card, overdraft, loan, closed, settled],
        enquiries=enquiries,
    )
    assert report.pan == "ABCPV1234K"
    assert report.active_accounts == 3
    # Revolving only: (50000 + max(-10, 0)) / (200000 + 50000)
    assert report.utilization == 0.2
    assert report.max_dpd_last_24m == 90
    assert report.dpd_30_last_12m == 3  # card months 2 and 5, loan month 2
    assert report.enquiries_last_6m == 2
    assert report.credit_history_months == months_between(date(2018, 1, 1), REPORT_DATE) == 86
    assert report.written_off is False
    assert report.settled is True


def test_utilisation_falls_back_to_all_active_accounts_without_revolving_credit() -> None:
    report = BureauReport.from_parts(
        bureau="crif",
        pan="ABCPV1234K",
        hit=True,
        score=650,
        report_date=REPORT_DATE,
        accounts=[
            account(sanctioned_amount=Decimal("300000"), current_balance=Decimal("150000")),
            account(sanctioned_amount=Decimal("100000"), current_balance=Decimal("50000")),
            account(status="written_off", sanctioned_amount=Decimal("90000"), current_balance=Decimal("90000")),
        ],
    )
    assert report.utilization == 0.5
    assert report.written_off is True


def test_a_no_hit_has_no_score_no_accounts_and_zero_counts() -> None:
    report = BureauReport.no_hit(bureau="experian", pan="ABCPV1234K", report_date=REPORT_DATE)
    assert report.hit is False
    assert report.to_application_bureau() == {
        "score": None,
        "utilization": None,
        "dpd_30_last_12m": 0,
        "max_dpd_last_24m": 0,
        "enquiries_last_6m": 0,
        "credit_history_months": 0,
        "active_accounts": 0,
        "written_off": None,
    }
    with pytest.raises(ValidationError):
        BureauReport.from_parts(bureau="cibil", pan="ABCPV1234K", hit=False, score=700, report_date=REPORT_DATE)


@pytest.mark.parametrize("score", [299, 901, 0, -1])
def test_scores_outside_300_to_900_are_invalid(score: int) -> None:
    with pytest.raises(ValidationError):
        BureauReport.from_parts(bureau="cibil", pan="ABCPV1234K", hit=True, score=score, report_date=REPORT_DATE)


@pytest.mark.parametrize("pan", ["", "ABCPV1234", "1BCPV1234K", "ABCPV12345", "ABCPV-234K", None])
def test_pans_must_have_the_pan_shape(pan: object) -> None:
    with pytest.raises(ValueError):
        normalise_pan(pan)  # type: ignore[arg-type]


def test_negative_dpd_and_unknown_values_are_invalid() -> None:
    with pytest.raises(ValidationError):
        account(dpd_history=[0, -5])
    with pytest.raises(ValidationError):
        account(status="frozen")
    with pytest.raises(ValidationError):
        account(dpd_history=[0] * 37)


def test_application_block_has_exactly_the_contract_fields_and_round_trips() -> None:
    report = BureauReport.from_parts(
        bureau="cibil", pan="ABCPV1234K", hit=True, score=712, report_date=REPORT_DATE, accounts=[account()]
    )
    block = report.to_application_bureau()
    assert tuple(block) == APPLICATION_BUREAU_FIELDS
    assert BureauData.model_validate(block).model_dump() == block  # the block is what an application may send
    assert block["written_off"] is False
    assert block["score"] == 712 and block["utilization"] == 0.5
    assert BureauReport.model_validate(report.model_dump(mode="json")) == report


def test_month_arithmetic() -> None:
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2024, 8, 31), -6) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 15), -13) == date(2023, 12, 15)
    assert months_between(date(2024, 3, 16), date(2025, 3, 15)) == 11
    assert months_between(date(2025, 4, 1), date(2025, 3, 15)) == 0
