"""Reason codes from contributions."""

from __future__ import annotations

import math

from creditdesk.ml.explain import positive_factors, reason_text, reasons
from creditdesk.ml.features import feature_row
from creditdesk.ml.model import RowExplanation
from creditdesk.ml.synthetic import BOOK_AS_OF, persona


def test_reasons_are_the_strongest_pushes_towards_default_without_duplicates():
    contributions = {
        "bureau_score": 0.41,
        "bureau_dpd_30_last_12m": 0.30,
        "bureau_max_dpd_last_24m": 0.29,  # same text as the line above: reported once
        "foir": 0.2,
        "bureau_utilization": 0.1,
        "alt_inflow_regularity": -0.5,
    }
    values = {"bureau_score": 590, "bureau_dpd_30_last_12m": 2, "bureau_max_dpd_last_24m": 60, "foir": 0.7}
    assert reasons(contributions, values=values) == [
        "Low bureau score",
        "Recent delinquency",
        "High EMI to income ratio",
    ]
    assert positive_factors(contributions, values={"alt_inflow_regularity": 0.95}) == ["Regular income inflows"]


def test_api_contribution_list_is_accepted():
    items = [
        {"feature": "bureau_utilization", "value": 0.9, "impact": 0.3},
        {"feature": "bureau_enquiries_last_6m", "value": 7, "impact": 0.2},
        {"feature": "alt_bounced_emis_last_6m", "value": 2, "impact": 0.25},
    ]
    assert reasons(items) == ["High credit utilization", "Bounced EMIs", "Many recent enquiries"]


def test_missing_bureau_reads_as_no_credit_history_and_is_never_a_strength():
    contributions = {
        "bureau_score": 0.2,
        "bureau_credit_history_months": 0.1,
        "new_to_credit": 0.05,
        "bureau_utilization": -0.1,
    }
    values = {
        "bureau_score": math.nan,
        "bureau_credit_history_months": math.nan,
        "new_to_credit": 1.0,
        "bureau_utilization": math.nan,
    }
    assert reasons(contributions, values=values) == ["No credit history"]
    assert positive_factors(contributions, values=values) == []


def test_unknown_features_get_a_text_from_their_name():
    assert reason_text("status_of_existing_checking_account", "< 0 DM") == (
        "Status of existing checking account: unfavourable value"
    )
    assert reasons({"duration_in_month": 0.4}) == ["Duration in month: unfavourable value"]


def test_scorecard_reasons_rank_by_points_lost():
    row = RowExplanation(
        pd=0.2,
        base_value=-1.0,
        contributions={"a_feature": 0.5, "bureau_score": 0.1},
        values={"a_feature": 1, "bureau_score": 600},
        points_lost={"a_feature": 5.0, "bureau_score": 40.0},
    )
    assert reasons(row, n=1) == ["Low bureau score"]


def test_default_model_explains_a_strategic_defaulter_with_bureau_reasons(default_model):
    app = persona("strategic_defaulter").application
    explanation = default_model.model.explain_row(feature_row(app, as_of=BOOK_AS_OF))
    texts = reasons(explanation)
    assert len(texts) == 3 and "Low bureau score" in texts
    ntc = persona("ntc_upi_22").application
    good = default_model.model.explain_row(feature_row(ntc, as_of=BOOK_AS_OF))
    assert len(positive_factors(good)) == 3
