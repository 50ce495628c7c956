"""Reason codes from contributions."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from creditdesk.ml.explain import (
    NO_SIGNIFICANT_ADVERSE,
    adverse_reasons,
    label,
    positive_factors,
    reason_text,
    reasons,
)
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


# ---- adverse-action reasons against a good reference ------------------------------------------------

FEATURES = ["bureau_score", "foir", "city_tier", "employment_type", "alt_bounced_emis_last_6m", "my_column"]


@settings(max_examples=200, deadline=None)
@given(
    impacts=st.lists(st.floats(-3, 3, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)),
    refs=st.lists(st.floats(-3, 0, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)),
    min_impact=st.floats(0, 1),
)
def test_each_adverse_reason_costs_at_least_as_much_as_the_next_and_at_least_the_minimum(impacts, refs, min_impact):
    row = RowExplanation(0.3, -1.0, dict(zip(FEATURES, impacts, strict=True)), {"bureau_score": 640, "city_tier": 3})
    listed = adverse_reasons(row, reference=dict(zip(FEATURES, refs, strict=True)), min_impact=min_impact)
    costs = [item["impact"] for item in listed]
    assert costs == sorted(costs, reverse=True)
    assert all(c >= min_impact - 1e-6 for c in costs)
    assert len({item["reason"] for item in listed}) == len(listed) <= 4
    for item in listed:
        i = FEATURES.index(item["feature"])
        assert math.isclose(item["impact"], impacts[i] - refs[i], abs_tol=1e-5)


def test_costs_below_the_minimum_give_no_significant_adverse_factor():
    row = RowExplanation(0.4, -1.0, {"employment_type": 0.04, "city_tier": 0.03, "foir": -0.2}, {})
    assert adverse_reasons(row, reference=None, min_impact=0.1) == []
    assert NO_SIGNIFICANT_ADVERSE == "No significant adverse factor"


def test_a_feature_that_costs_the_good_reference_as_much_is_not_a_reason():
    row = RowExplanation(0.4, -1.0, {"bureau_score": 0.6, "foir": 0.5}, {"bureau_score": 700, "foir": 0.6})
    listed = adverse_reasons(row, reference={"bureau_score": 0.55, "foir": -0.1}, min_impact=0.1)
    assert [(i["feature"], i["reason"], round(i["impact"], 2)) for i in listed] == [
        ("foir", "High EMI to income ratio", 0.6)
    ]
    assert listed[0]["label"] == "EMIs to income (FOIR)"


def test_neutral_features_are_worded_with_the_applicants_value():
    assert reason_text("employment_type", "self_employed") == "Type of employment (self employed)"
    assert reason_text("city_tier", 3.0) == "Location (tier-3 city)"
    assert reason_text("purpose", None) == "Purpose of the loan"
    assert label("bureau_utilization") == "Credit utilisation" and label("my_column") == "My column"


def test_a_trained_model_carries_its_good_reference(trained_default, german_scorecard):
    ref = trained_default.model.reason_reference
    assert ref is not None and set(ref) == set(trained_default.model.feature_names)
    sc = german_scorecard.model
    assert sc.reason_reference is not None and set(sc.reason_reference) == set(sc.feature_names)


def test_a_salaried_tier_1_applicant_is_not_told_employment_or_city_count_against_them(trained_default):
    app = persona("strategic_defaulter").application
    app = {**app, "applicant": {**app["applicant"], "employment_type": "salaried", "city_tier": 1}}
    model = trained_default.model
    explanation = model.explain_row(feature_row(app, as_of=BOOK_AS_OF))
    listed = adverse_reasons(explanation, reference=model.reason_reference, min_impact=0.1)
    assert listed, "a strategic defaulter has adverse factors"
    assert not {"employment_type", "city_tier"} & {i["feature"] for i in listed}
