"""Merging several bureaus' reports into one application bureau block."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.bureaus.merge import MergeRule, merge_reports, no_hit_block, parse_rule
from creditdesk.bureaus.schemas import BureauReport

TODAY = date(2025, 3, 15)


def report(bureau: str, **fields: object) -> BureauReport:
    """A hit with explicit derived fields (as if parsed), defaults of a clean file."""
    data: dict[str, object] = {
        "bureau": bureau,
        "pan": "ABCPV1234K",
        "hit": True,
        "score": 700,
        "report_date": TODAY,
        "active_accounts": 3,
        "utilization": 0.4,
        "max_dpd_last_24m": 0,
        "dpd_30_last_12m": 0,
        "enquiries_last_6m": 1,
        "credit_history_months": 48,
        "written_off": False,
        "settled": False,
    }
    data.update(fields)
    return BureauReport.model_validate(data)


CIBIL = report("cibil", score=720, utilization=0.30, max_dpd_last_24m=0, dpd_30_last_12m=0,
               enquiries_last_6m=2, credit_history_months=60, active_accounts=3)  # fmt: skip
EXPERIAN = report("experian", score=701, utilization=0.45, max_dpd_last_24m=30, dpd_30_last_12m=1,
                  enquiries_last_6m=3, credit_history_months=58, active_accounts=4)  # fmt: skip
CRIF = report("crif", score=690, utilization=None, max_dpd_last_24m=15, dpd_30_last_12m=0,
              enquiries_last_6m=1, credit_history_months=61, active_accounts=3)  # fmt: skip
NO_HIT = BureauReport.no_hit(bureau="crif", pan="ABCPV1234K", report_date=TODAY)


def test_conservative_takes_the_worst_case_per_attribute() -> None:
    assert merge_reports([CIBIL, EXPERIAN, CRIF], "conservative") == {
        "score": 690,
        "utilization": 0.45,
        "dpd_30_last_12m": 1,
        "max_dpd_last_24m": 30,
        "enquiries_last_6m": 3,
        "credit_history_months": 58,
        "active_accounts": 4,
        "written_off": False,
    }


def test_conservative_is_the_default() -> None:
    assert merge_reports([CIBIL, EXPERIAN]) == merge_reports([CIBIL, EXPERIAN], MergeRule())


def test_primary_takes_the_first_hit_in_priority_order() -> None:
    assert merge_reports([CRIF, EXPERIAN, CIBIL], "primary") == CIBIL.to_application_bureau()
    rule = MergeRule(strategy="primary", priority=("crif", "cibil"))
    assert merge_reports([CIBIL, CRIF], rule)["score"] == 690  # type: ignore[index]
    # The preferred bureau had no record: fall through to the next hit.
    assert merge_reports([NO_HIT, EXPERIAN], rule)["score"] == 701  # type: ignore[index]


def test_average_means_scores_but_keeps_the_worst_delinquency() -> None:
    merged = merge_reports([CIBIL, EXPERIAN, CRIF], "average")
    assert merged == {
        "score": 704,  # (720 + 701 + 690) / 3 = 703.67
        "utilization": 0.375,  # mean of the two reported: (0.30 + 0.45) / 2
        "dpd_30_last_12m": 1,
        "max_dpd_last_24m": 30,
        "enquiries_last_6m": 2,
        "credit_history_months": 60,  # 59.67 rounds half up
        "active_accounts": 3,  # 3.33
        "written_off": False,
    }


@pytest.mark.parametrize("strategy", ["conservative", "average"])
def test_an_account_written_off_or_settled_at_any_bureau_marks_the_block(strategy: str) -> None:
    """The block's 8th field: the model's bureau_written_off and the default knock-out read it."""
    assert merge_reports([CIBIL, report("crif", written_off=True)], strategy)["written_off"] is True  # type: ignore[index]
    assert merge_reports([CIBIL, report("crif", settled=True)], strategy)["written_off"] is True  # type: ignore[index]
    assert merge_reports([CIBIL, EXPERIAN], strategy)["written_off"] is False  # type: ignore[index]


def test_average_rounds_half_up() -> None:
    merged = merge_reports([report("cibil", score=700), report("crif", score=701)], "average")
    assert merged["score"] == 701  # type: ignore[index]


def test_hits_win_over_no_hits_and_only_no_hits_mean_new_to_credit() -> None:
    assert merge_reports([NO_HIT, CIBIL], "conservative")["score"] == 720  # type: ignore[index]
    assert merge_reports([NO_HIT], "average") == no_hit_block()


def test_no_reports_merge_to_none() -> None:
    assert merge_reports([], "conservative") is None


def test_rules_are_parsed_from_config() -> None:
    assert parse_rule(None) == MergeRule()
    assert parse_rule("average").strategy == "average"
    assert parse_rule({"strategy": "primary", "priority": ["experian"]}) == MergeRule("primary", ("experian",))
    with pytest.raises(ValueError):
        parse_rule("optimistic")


def test_merged_block_keeps_decimals_out() -> None:
    merged = merge_reports([CIBIL], "conservative")
    assert not any(isinstance(v, Decimal) for v in merged.values())  # type: ignore[union-attr]
