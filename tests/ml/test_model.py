"""Artifacts, loading, prediction and exact explanations."""

from __future__ import annotations

import copy
import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditdesk.ml.features import build_frame, feature_row
from creditdesk.ml.model import ArtifactIntegrityError, LoadedModel, ModelArtifact, logit
from creditdesk.ml.synthetic import BOOK_AS_OF, generate_book

from .conftest import DATA


@pytest.fixture(scope="module")
def apps():
    return generate_book(n=300, seed=21).applications()


@pytest.fixture(scope="module")
def champion(default_model):
    return LoadedModel.from_artifact(default_model.artifact.to_dict())


def test_shap_contributions_add_up_to_the_log_odds(champion, apps):
    frame = build_frame(apps, as_of=BOOK_AS_OF)
    explanation = champion.explain(frame)
    total = explanation.base_value + explanation.contributions.sum(axis=1)
    np.testing.assert_allclose(total, logit(explanation.pd), atol=1e-6)
    np.testing.assert_allclose(explanation.pd, champion.predict_pd(frame), atol=1e-12)
    assert explanation.contributions.shape == (len(apps), len(champion.feature_names))


def test_single_row_explanation_matches_the_batch_and_adds_up(champion, apps):
    frame = build_frame(apps[:50], as_of=BOOK_AS_OF)
    batch = champion.explain(frame)
    for i, app in enumerate(apps[:50]):
        row = champion.explain_row(feature_row(app, as_of=BOOK_AS_OF))
        assert row.base_value + sum(row.contributions.values()) == pytest.approx(logit(row.pd), abs=1e-6)
        assert row.pd == pytest.approx(batch.pd[i], abs=1e-9)
        assert champion.predict_row(feature_row(app, as_of=BOOK_AS_OF)) == pytest.approx(row.pd, abs=1e-9)
        np.testing.assert_allclose(list(row.contributions.values()), batch.contributions[i], atol=1e-9)


def test_contributions_list_has_the_api_shape(champion, apps):
    items = champion.explain_row(feature_row(apps[0], as_of=BOOK_AS_OF)).as_list()
    assert set(items[0]) == {"feature", "value", "impact"}
    assert abs(items[0]["impact"]) >= abs(items[-1]["impact"])
    json.dumps(items, allow_nan=False)  # NaN feature values become null


def test_scorecard_explains_additively_and_by_points_lost(german_scorecard):
    model = german_scorecard.model
    raw = pd.read_csv(DATA / "german_credit.csv").head(40)
    explanation = model.explain(raw)
    total = explanation.base_value + explanation.contributions.sum(axis=1)
    np.testing.assert_allclose(total, logit(explanation.pd), atol=1e-9)
    assert explanation.points_lost is not None and (explanation.points_lost >= -1e-9).all()
    row = model.explain_row(raw.iloc[0].to_dict())
    assert row.pd == pytest.approx(explanation.pd[0])
    assert row.points_lost is not None and max(row.points_lost.values()) > 0


def test_artifact_round_trips_through_json_dict_and_parts(default_model, apps):
    artifact = default_model.artifact
    frame = build_frame(apps, as_of=BOOK_AS_OF)
    expected = default_model.model.predict_pd(frame)
    from_json = LoadedModel.from_artifact(ModelArtifact.from_json(artifact.to_json()))
    from_parts = LoadedModel.from_artifact(artifact.model_text, artifact.metadata, artifact.checksum)
    stored = json.loads(json.dumps(artifact.to_dict()))  # as a JSON column would hand it back
    from_dict = LoadedModel.from_artifact(stored)
    for model in (from_json, from_parts, from_dict):
        np.testing.assert_array_equal(model.predict_pd(frame), expected)
    assert len(artifact.checksum) == 64 and "pickle" not in artifact.model_text[:200]
    assert artifact.model_text.startswith("tree")


def test_scorecard_artifact_is_plain_json_with_points(german_scorecard):
    spec = json.loads(german_scorecard.artifact.model_text)
    assert {"intercept", "variables", "scale"} <= set(spec)
    var = spec["variables"][0]
    assert {"woe", "points", "coefficient", "bins"} <= set(var)
    clone = LoadedModel.from_artifact(german_scorecard.artifact.to_json())
    raw = pd.read_csv(DATA / "german_credit.csv")
    np.testing.assert_allclose(clone.predict_pd(raw), german_scorecard.model.predict_pd(raw))


def test_tampering_is_detected(default_model):
    artifact = default_model.artifact
    edited_text = artifact.model_text.replace("leaf_value=", "leaf_value=1", 1)
    edited_meta = copy.deepcopy(artifact.metadata)
    edited_meta["features"][0]["direction"] = 1
    for bad in (
        replace(artifact, model_text=edited_text),
        replace(artifact, metadata=edited_meta),
        replace(artifact, checksum="0" * 64),
    ):
        with pytest.raises(ArtifactIntegrityError):
            LoadedModel.from_artifact(bad)
    with pytest.raises(ArtifactIntegrityError):
        LoadedModel.from_artifact(artifact.model_text, artifact.metadata, None)


def test_unknown_categories_and_absent_columns_score_as_missing(champion, apps):
    row = feature_row(apps[0], as_of=BOOK_AS_OF)
    row["purpose"] = "space travel"
    assert 0 < champion.predict_row(row) < 1
    assert 0 < champion.predict_pd(pd.DataFrame([{"bureau_score": 700}]))[0] < 1


# --------------------------------------------------------------------------------------------------
# the default model's promise: a worse bureau record never lowers PD

_applicant = st.fixed_dictionaries(
    {
        "date_of_birth": st.dates(
            min_value=pd.Timestamp("1955-01-01").date(), max_value=pd.Timestamp("2003-12-31").date()
        ).map(lambda d: d.isoformat()),
        "employment_type": st.sampled_from(["salaried", "self_employed", "gig", "farmer", "student"]),
        "employment_years": st.integers(0, 30),
        "monthly_income": st.integers(5000, 400000),
        "existing_emi": st.integers(0, 60000),
        "residence_type": st.sampled_from(["owned", "rented", "family"]),
        "city_tier": st.sampled_from([1, 2, 3]),
    }
)
_loan = st.fixed_dictionaries(
    {
        "amount": st.integers(10000, 2000000),
        "tenure_months": st.sampled_from([6, 12, 24, 36, 60]),
        "interest_rate": st.floats(9, 26).map(lambda r: round(r, 2)),
        "purpose": st.sampled_from(["personal", "business", "vehicle", "agriculture", "education"]),
    }
)
_bureau = st.fixed_dictionaries(
    {
        "score": st.integers(300, 900),
        "utilization": st.floats(0, 1),
        "dpd_30_last_12m": st.integers(0, 6),
        "max_dpd_last_24m": st.integers(0, 180),
        "enquiries_last_6m": st.integers(0, 10),
        "credit_history_months": st.integers(3, 300),
        "active_accounts": st.integers(1, 8),
    }
)
_alt = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "avg_monthly_inflow": st.integers(3000, 400000),
            "inflow_regularity": st.floats(0, 1),
            "bounced_emis_last_6m": st.integers(0, 5),
            "upi_txn_per_month": st.integers(0, 120),
        }
    ),
)
_worsening = st.fixed_dictionaries(
    {
        "score": st.integers(0, 300),
        "utilization": st.floats(0, 0.8),
        "dpd_30_last_12m": st.integers(0, 4),
        "max_dpd_last_24m": st.integers(0, 120),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applicant=_applicant, loan=_loan, bureau=_bureau, alt=_alt, worse=_worsening)
def test_a_worse_bureau_record_never_lowers_pd(champion, applicant, loan, bureau, alt, worse):
    app = {"applicant": applicant, "loan": loan, "bureau": bureau}
    if alt is not None:
        app["alt_data"] = alt
    worse_bureau = {
        **bureau,
        "score": max(300, bureau["score"] - worse["score"]),
        "utilization": bureau["utilization"] + worse["utilization"],
        "dpd_30_last_12m": bureau["dpd_30_last_12m"] + worse["dpd_30_last_12m"],
        "max_dpd_last_24m": bureau["max_dpd_last_24m"] + worse["max_dpd_last_24m"],
    }
    before = champion.predict_row(feature_row(app, as_of=BOOK_AS_OF))
    after = champion.predict_row(feature_row({**app, "bureau": worse_bureau}, as_of=BOOK_AS_OF))
    assert after >= before - 1e-12
    assert not math.isnan(after)
