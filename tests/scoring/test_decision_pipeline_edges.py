"""The decision pipeline's edges that a request rarely reaches: stale caches, a challenger that cannot
score applications, an all-"no record" bureau answer, legacy stored responses, numpy feature values."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from creditdesk.ml.registry import ModelRef
from creditdesk.scoring import pipeline
from creditdesk.scoring.schemas import ApplicationCreate

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "data" / "sample_application.json").read_text())
CHAMPION = ModelRef(id="m-1", version=1, checksum="c1", feature_set="application", traffic=0.0)
CUSTOM = ModelRef(id="m-2", version=2, checksum="c2", feature_set="custom", traffic=0.5)


def _cached(monkeypatch, refs, loaded):
    monkeypatch.setattr(pipeline.policies, "cached", lambda tenant_id: "policy v3")
    monkeypatch.setattr(pipeline.registry, "cached_refs", lambda tenant_id: refs)
    monkeypatch.setattr(pipeline.registry, "cached_model", lambda ref: loaded.get(ref.id) if ref else None)


def test_a_challenger_trained_on_a_custom_dataset_never_scores_applications(monkeypatch):
    _cached(monkeypatch, (CHAMPION, CUSTOM), {"m-1": "champion model", "m-2": "custom model"})
    rt = pipeline.runtime(None, tenant_id="t-1")
    assert rt is not None and rt.policy == "policy v3"
    assert (rt.models.champion, rt.models.champion_model) == (CHAMPION, "champion model")
    assert rt.models.challenger is None and rt.models.challenger_model is None  # not even in shadow


def test_a_model_missing_from_the_process_cache_means_the_runtime_must_be_read_again(monkeypatch):
    _cached(monkeypatch, (CHAMPION, None), {})
    assert pipeline.runtime(None, tenant_id="t-1") is None


def test_every_bureau_answering_no_record_makes_the_applicant_new_to_credit(monkeypatch):
    answer = SimpleNamespace(
        all_failed=False,
        merged={"score": None, "utilization": 0.0, "enquiries_last_6m": 2},
        results=[{"bureau": "cibil", "ok": True, "hit": False}],
    )
    monkeypatch.setattr(pipeline, "pull_for_application", lambda session, **kwargs: answer)
    body = ApplicationCreate.model_validate({**SAMPLE, "pull_bureaus": ["cibil"], "bureau": {"score": 750}})
    (prepared,) = pipeline.prepare(object(), tenant_id="t-1", bodies=[body], rule=None)
    assert prepared.bureau_status == "no_record"
    assert "score" not in prepared.data["bureau"]  # a typed score does not survive "no record"
    assert prepared.data["bureau"]["enquiries_last_6m"] == 2 and prepared.pulls == tuple(answer.results)


def test_nothing_to_explain_costs_nothing():
    assert pipeline.explain_many(None, [], as_of=date(2026, 1, 1)) == []  # the model is never touched


def test_a_response_stored_before_identities_were_sealed_replays_as_stored():
    stored = {"application_id": "a-1", "decision": "Approve", "inputs": {"applicant": {"name": "Asha"}}}
    assert pipeline.open_response(stored, tenant_id="t-1") == stored


def test_feature_values_are_stored_as_plain_json_numbers():
    assert pipeline._clean(np.float64(0.25)) == 0.25 and type(pipeline._clean(np.float64(0.25))) is float
    assert pipeline._clean(np.int64(3)) == 3 and type(pipeline._clean(np.int64(3))) is int
    assert pipeline._clean(np.float64("nan")) is None and pipeline._clean(float("nan")) is None
    assert pipeline._clean("salaried") == "salaried"
