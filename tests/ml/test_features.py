"""Features: one definition for training and serving."""

from __future__ import annotations

import copy
import json
import math
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from creditdesk.ml.features import (
    FEATURE_NAMES,
    FEATURES,
    FEATURES_BY_NAME,
    build_frame,
    build_frame_from_flat,
    emi,
    feature_row,
)
from creditdesk.ml.synthetic import generate_book

from .conftest import DATA

AS_OF = date(2025, 1, 1)


@pytest.fixture()
def sample() -> dict:
    return json.loads((DATA / "sample_application.json").read_text())


def test_emi_matches_the_hand_computed_value():
    assert emi(100000, 12, 12) == Decimal("8884.88")
    assert emi(Decimal("100000"), "12", 12) == Decimal("8884.88")


def test_emi_at_zero_rate_is_principal_over_months_and_rounds_to_paise():
    assert emi(100000, 0, 12) == Decimal("8333.33")
    assert emi("300000.00", 16.5, 24).as_tuple().exponent == -2


def test_emi_rejects_a_non_positive_tenure():
    with pytest.raises(ValueError):
        emi(1000, 10, 0)


def test_sample_application_derives_foir_lti_and_age(sample):
    row = feature_row(sample, as_of=AS_OF)
    new_emi = float(emi(300000, 16.5, 24))
    assert row["emi"] == pytest.approx(new_emi)
    assert row["foir"] == pytest.approx((8000 + new_emi) / 65000)
    assert row["loan_to_income"] == pytest.approx(300000 / (65000 * 12))
    assert row["age"] == 26  # born 1998-04-12, birthday not yet reached on 2025-01-01
    assert row["new_to_credit"] == 0
    assert row["bureau_score"] == 712
    assert row["alt_inflow_to_income"] == pytest.approx(70000 / 65000)
    assert row["city_tier"] == "1" and row["employment_type"] == "salaried"


def test_age_counts_completed_years_on_the_birthday(sample):
    sample["applicant"]["date_of_birth"] = "2000-01-01"
    assert feature_row(sample, as_of=date(2025, 1, 1))["age"] == 25
    assert feature_row(sample, as_of=date(2024, 12, 31))["age"] == 24


def test_money_accepts_decimal_and_strings(sample):
    as_strings = copy.deepcopy(sample)
    as_strings["applicant"]["monthly_income"] = "65,000.00"
    as_strings["applicant"]["existing_emi"] = Decimal("8000")
    as_strings["loan"]["amount"] = "300000"
    assert feature_row(as_strings, as_of=AS_OF) == pytest.approx(feature_row(sample, as_of=AS_OF), nan_ok=True)


def test_new_to_credit_applicant_keeps_bureau_fields_missing(sample):
    del sample["bureau"]
    row = feature_row(sample, as_of=AS_OF)
    assert row["new_to_credit"] == 1
    assert all(math.isnan(row[name]) for name in FEATURE_NAMES if name.startswith("bureau_"))
    frame = build_frame([sample], as_of=AS_OF)
    assert frame["bureau_score"].isna().all() and frame["new_to_credit"].iloc[0] == 1


def test_bureau_without_score_is_new_to_credit(sample):
    sample["bureau"] = {"enquiries_last_6m": 3}
    row = feature_row(sample, as_of=AS_OF)
    assert row["new_to_credit"] == 1 and row["bureau_enquiries_last_6m"] == 3


def test_missing_and_unknown_values_stay_missing(sample):
    sample["applicant"]["monthly_income"] = None
    sample["applicant"]["employment_type"] = "astronaut"
    row = feature_row(sample, as_of=AS_OF)
    assert math.isnan(row["foir"]) and math.isnan(row["loan_to_income"])
    assert row["employment_type"] is None


def test_written_off_flag_when_present(sample):
    sample["bureau"]["written_off"] = True
    assert feature_row(sample, as_of=AS_OF)["bureau_written_off"] == 1
    del sample["bureau"]["written_off"]
    assert math.isnan(feature_row(sample, as_of=AS_OF)["bureau_written_off"])


def test_feature_catalogue_declares_monotone_directions():
    assert [f.name for f in FEATURES] == FEATURE_NAMES
    assert FEATURES_BY_NAME["bureau_score"].direction == -1
    assert FEATURES_BY_NAME["bureau_dpd_30_last_12m"].direction == +1
    assert FEATURES_BY_NAME["bureau_max_dpd_last_24m"].direction == +1
    assert FEATURES_BY_NAME["bureau_utilization"].direction == +1
    assert FEATURES_BY_NAME["foir"].direction == +1
    assert {f.kind for f in FEATURES} == {"numeric", "categorical"}
    assert all(f.levels for f in FEATURES if f.kind == "categorical")


def test_batch_frame_equals_single_row_path():
    apps = generate_book(n=400, seed=5).applications()
    frame = build_frame(apps, as_of=AS_OF)
    rows = pd.DataFrame([feature_row(app, as_of=AS_OF) for app in apps])
    assert list(frame.columns) == FEATURE_NAMES
    for name in FEATURE_NAMES:
        if FEATURES_BY_NAME[name].kind == "categorical":
            batch = frame[name].astype(object).where(frame[name].notna(), None).tolist()
            assert batch == rows[name].tolist(), name
        else:
            np.testing.assert_allclose(frame[name], rows[name].astype(float), rtol=1e-12, err_msg=name)


def test_flat_batch_rows_give_the_same_features():
    book = generate_book(n=300, seed=6)
    nested = build_frame(book.applications(), as_of=AS_OF)
    flat = build_frame_from_flat(book.flat, as_of=AS_OF)
    pd.testing.assert_frame_equal(nested, flat)
