"""Score scales."""

from __future__ import annotations

import math

import pytest

from creditdesk.ml import scales


def test_score_is_round_100_times_one_minus_pd():
    assert scales.score(0.57) == 43
    assert scales.score(0.0) == 100 and scales.score(1.0) == 0
    assert scales.score(0.125) == 88  # 87.5 rounds half up
    assert scales.score(0.004) == 100


def test_credit_score_anchor_and_points_to_double_odds():
    anchor_pd = 1 / (1 + scales.ANCHOR_ODDS)
    assert scales.credit_points(anchor_pd) == pytest.approx(700)
    doubled_pd = 1 / (1 + 2 * scales.ANCHOR_ODDS)
    assert scales.credit_points(doubled_pd) - scales.credit_points(anchor_pd) == pytest.approx(scales.PDO)
    assert scales.credit_score(anchor_pd) == 700
    expected_offset = 700 - 50 / math.log(2) * math.log(30)
    assert abs(scales.OFFSET - expected_offset) < 1e-9


def test_credit_score_is_clamped_and_monotone():
    assert scales.credit_score(0.999) == 300 and scales.credit_score(1e-9) == 900
    pds = [0.001, 0.01, 0.05, 0.1, 0.3, 0.6, 0.9]
    scores = [scales.credit_score(p) for p in pds]
    assert scores == sorted(scores, reverse=True)
    assert all(300 <= s <= 900 for s in scores)
    assert scales.pd_from_credit_score(scales.credit_points(0.07)) == pytest.approx(0.07)
