"""Metrics, drift baselines, fairness and the swap-set analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creditdesk.ml import evaluation as ev


def test_metrics_on_a_perfect_and_a_useless_ranking():
    y = np.array([0, 0, 1, 1])
    assert ev.auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ev.gini(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ev.ks(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ev.auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert ev.brier(y, [0, 0, 1, 1]) == 0.0
    assert ev.brier(y, [0.5] * 4) == 0.25


def test_ks_is_the_largest_gap_between_cumulative_distributions():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    pd_ = np.clip(0.3 + 0.2 * y + rng.normal(0, 0.15, 4000), 0, 1)
    goods, bads = np.sort(pd_[y == 0]), np.sort(pd_[y == 1])
    grid = np.unique(pd_)
    gap = np.max(
        np.abs(np.searchsorted(goods, grid, "right") / len(goods) - np.searchsorted(bads, grid, "right") / len(bads))
    )
    assert ev.ks(y, pd_) == pytest.approx(gap, abs=1e-9)


def test_calibration_deciles_cover_every_row():
    rng = np.random.default_rng(1)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    rows = ev.calibration_by_decile(y, p)
    assert [r["decile"] for r in rows] == list(range(1, 11))
    assert sum(r["count"] for r in rows) == 1000
    assert rows[0]["mean_pd"] < rows[-1]["mean_pd"]
    assert abs(rows[-1]["default_rate"] - rows[-1]["mean_pd"]) < 0.1


def test_confusion_uses_the_policy_thresholds():
    y = np.array([0, 1, 0, 1, 1])
    out = ev.confusion_at_thresholds(y, np.array([0.1, 0.29, 0.3, 0.59, 0.6]))
    assert out["bands"]["Approve"]["count"] == 2 and out["bands"]["Approve"]["defaults"] == 1
    assert out["bands"]["Review"]["count"] == 2 and out["bands"]["Reject"]["count"] == 1
    assert out["approve_vs_rest"] == {"true_positive": 2, "false_positive": 1, "true_negative": 1, "false_negative": 1}


def test_psi_is_zero_for_the_same_population_and_large_for_a_shift():
    rng = np.random.default_rng(2)
    baseline = ev.distribution(rng.normal(700, 50, 20000))
    same = ev.drift(baseline, rng.normal(700, 50, 5000))
    shifted = ev.drift(baseline, rng.normal(640, 50, 5000))
    assert same < 0.02 and shifted > 0.25
    assert ev.psi_level(same) == "ok" and ev.psi_level(shifted) == "alert"
    assert ev.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    with pytest.raises(ValueError):
        ev.psi([0.5, 0.5], [1.0])


def test_baselines_keep_missing_values_and_categorical_levels():
    frame = pd.DataFrame({"score": [700, np.nan, 650, 800] * 50, "tier": ["1", "2", None, "1"] * 50})
    base = ev.baselines(frame, {"score": "numeric", "tier": "categorical"}, np.linspace(0, 1, 200))
    score, tier = base["features"]["score"], base["features"]["tier"]
    assert score["missing"] == pytest.approx(0.25) and sum(score["proportions"]) + score["missing"] == pytest.approx(1)
    assert tier["levels"][0] == "1" and tier["missing"] == pytest.approx(0.25)
    assert ev.drift(tier, ["1", "2", None, "1"] * 10) == pytest.approx(0, abs=1e-9)
    assert ev.drift(tier, ["3"] * 40) > 1  # an unseen level is drift
    assert sum(base["score"]["proportions"]) == pytest.approx(1)


def test_gender_and_age_band_parsing():
    assert ev.gender_of("female : divorced/separated/married") == "female"
    assert ev.gender_of("male : single") == "male"
    assert ev.gender_of("F") == "female" and ev.gender_of("M") == "male" and ev.gender_of(None) == "unknown"
    assert ev.find_gender_column(["age", "personal_status_and_sex"]) == "personal_status_and_sex"
    assert ev.find_age_column(["Age_in_years", "x"]) == "Age_in_years"
    assert [ev.age_band(a) for a in (19, 25, 44, 59, 61, None)] == ["<25", "25-34", "35-44", "45-59", "60+", "unknown"]


def test_fairness_flags_groups_below_four_fifths():
    n = 200
    groups = np.array(["female"] * n + ["male"] * n)
    pd_ = np.concatenate([np.full(n, 0.1), np.full(n, 0.1)])
    pd_[: n // 2] = 0.5  # half the women are not approved: ratio 0.5
    y = np.tile([0, 1], n)
    out = ev.group_fairness(y, pd_, groups)
    by = {g["group"]: g for g in out["groups"]}
    assert by["female"]["approval_rate_ratio"] == pytest.approx(0.5) and by["female"]["flagged"]
    assert not by["male"]["flagged"] and out["flagged"] == ["female"]


def test_swap_set_counts_approvals_at_equal_bad_rate():
    rng = np.random.default_rng(3)
    truth = rng.random(5000)
    y = (rng.random(5000) < truth * 0.3).astype(int)
    sharp = truth + rng.normal(0, 0.05, 5000)
    blunt = truth + rng.normal(0, 0.5, 5000)
    out = ev.swap_set(sharp, blunt, y)
    assert out["approvals_a"] > out["approvals_b"] and out["gain"] > 0
    assert out["bad_rate_a"] <= out["target_bad_rate"] + 1e-12
    assert out["swap_in"]["count"] - out["swap_out"]["count"] == out["approvals_a"] - out["approvals_b"]
    assert ev.approvals_at_bad_rate(np.array([0.1, 0.2, 0.3]), np.array([0, 1, 0]), 0.0) == 1
    assert len(ev.swap_set_curve(sharp, blunt, y)) == 3
