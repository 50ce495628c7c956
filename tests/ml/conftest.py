"""Shared, expensive fixtures: each model is trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditdesk.ml.synthetic import TARGET, generate_book
from creditdesk.ml.training import TrainingResult, TrainingSpec, train, train_default_model

DATA = Path(__file__).resolve().parents[2] / "data"
GERMAN = DATA / "german_credit.csv"


@pytest.fixture(scope="session")
def default_model() -> TrainingResult:
    """The demo champion with its bureau-only swap-set challenger (synthetic book, 40k rows)."""
    return train_default_model(seed=0, n=40000)


@pytest.fixture(scope="session")
def german_lightgbm() -> TrainingResult:
    """LightGBM trained on German Credit with default settings."""
    return train(GERMAN, TrainingSpec("creditability", algorithm="lightgbm"))


@pytest.fixture(scope="session")
def german_scorecard() -> TrainingResult:
    """Scorecard trained on German Credit with default settings."""
    return train(GERMAN, TrainingSpec("creditability", algorithm="scorecard"))


@pytest.fixture(scope="session")
def synthetic_scorecard() -> TrainingResult:
    """Scorecard trained on a 30k synthetic book."""
    book = generate_book(n=30000, seed=0)
    table = book.training_frame()
    table["true_pd"] = book.true_pd
    return train(table, TrainingSpec(TARGET, algorithm="scorecard", oracle_pd="true_pd"))
