"""The model report (model card) has a schema: every section training writes survives it, and the API sends it whole."""

from __future__ import annotations

import json

import pytest
from tests.factories import bearer, make_tenant, make_user
from tests.monitoring.scoring_rows import insert_champion

from creditdesk.ml.schemas import ModelReport, NumericDistribution


@pytest.mark.parametrize("trained", ["default_model", "german_lightgbm", "german_scorecard"])
def test_every_section_training_writes_survives_the_schema_unchanged(trained, request):
    stored = json.loads(json.dumps(request.getfixturevalue(trained).report))  # as the registry keeps it: JSON
    report = ModelReport.model_validate(stored)
    assert report.model_dump(mode="json", exclude_unset=True) == stored
    assert len(report.calibration) == 10 and report.fairness is not None and report.feature_importance
    assert report.baseline is not None and report.baseline.score is not None
    assert any(isinstance(d, NumericDistribution) for d in report.baseline.features.values())


def test_the_model_detail_sends_the_card_the_portal_draws(client, session, champion):
    tenant = make_tenant(session)
    analyst = make_user(session, tenant, "risk_analyst")
    session.commit()
    r = client.get(f"/api/v1/tenants/{tenant.slug}/models/{champion.id}", headers=bearer(analyst))
    assert r.status_code == 200, r.text
    card = r.json()["report"]
    assert [row["decile"] for row in card["calibration"]] == list(range(1, 11))
    assert {"mean_pd", "default_rate", "count"} <= set(card["calibration"][0])
    assert {"feature", "importance", "shap_share"} <= set(card["feature_importance"][0])
    assert card["fairness"]["age_band"]["groups"] and "flagged" in card["fairness"]["age_band"]["groups"][0]
    assert card["points_table"] is None  # a LightGBM card has no scorecard section: sent as null, not left out


def test_a_partial_card_is_sent_with_its_missing_sections_empty(client, session):
    tenant = make_tenant(session)
    analyst = make_user(session, tenant, "risk_analyst")
    model = insert_champion(session, tenant_id=tenant.id, baseline={"features": {}, "score": None})
    session.commit()
    r = client.get(f"/api/v1/tenants/{tenant.slug}/models/{model.id}", headers=bearer(analyst))
    assert r.status_code == 200, r.text
    card = r.json()["report"]
    assert card["auc"] == 0.8 and card["calibration"] == [] and card["feature_importance"] == []
    assert card["fairness"] is None and card["baseline"] == {"features": {}, "score": None}
