"""The synthetic book: seeded, known true PD, recognisable scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from creditdesk.ml.features import build_frame
from creditdesk.ml.synthetic import BOOK_AS_OF, PERSONAS, generate_book, persona


@pytest.fixture(scope="module")
def book():
    return generate_book(n=20000, seed=11)


def test_same_seed_same_book_and_different_seed_different_book():
    a, b, c = generate_book(500, seed=1), generate_book(500, seed=1), generate_book(500, seed=2)
    assert a.flat.equals(b.flat) and np.array_equal(a.outcome, b.outcome)
    assert not a.flat.equals(c.flat)


def test_default_rate_is_in_the_realistic_band(book):
    assert 0.08 <= book.default_rate <= 0.15
    assert abs(book.true_pd.mean() - book.default_rate) < 0.01


def test_outcome_follows_the_true_pd(book):
    # The oracle ranks well but not perfectly: outcomes are Bernoulli draws from the true PD.
    assert 0.85 < book.oracle_auc < 0.95
    high = book.true_pd > np.quantile(book.true_pd, 0.9)
    low = book.true_pd < np.quantile(book.true_pd, 0.1)
    assert book.outcome[high].mean() > 10 * book.outcome[low].mean()


def test_book_contains_new_to_credit_farmers_and_gig_workers(book):
    ntc = book.frame["new_to_credit"] == 1
    assert 0.15 < ntc.mean() < 0.35
    assert book.frame.loc[ntc, "bureau_score"].isna().all()
    kinds = book.frame["employment_type"].value_counts(normalize=True)
    assert kinds["farmer"] > 0.1 and kinds["gig"] > 0.1
    farmers = book.frame["employment_type"] == "farmer"
    assert book.frame.loc[farmers, "alt_income_seasonality"].median() > 0.5


def test_all_four_scenarios_are_present_and_labelled(book):
    counts = {name: int((book.scenario == name).sum()) for name in set(book.scenario)}
    for name in ("ntc_upi", "farmer_seasonal", "strategic_defaulter", "distressed_restructure"):
        assert counts.get(name, 0) > 50, name
    pd_by = {name: book.true_pd[book.scenario == name].mean() for name in counts}
    assert pd_by["distressed_restructure"] > 2 * pd_by["regular"]
    strategic = book.scenario == "strategic_defaulter"
    assert book.frame.loc[strategic, "monthly_income"].median() > book.frame["monthly_income"].median()


def test_alternative_data_reflects_the_hidden_stability_trait(book):
    has_alt = book.frame["alt_inflow_regularity"].notna().to_numpy()
    stability = book.latent["stability"].to_numpy()
    regular = book.frame["alt_balance_volatility"].to_numpy()
    assert np.corrcoef(stability[has_alt], np.log(regular[has_alt]))[0, 1] < -0.6


def test_applications_are_valid_request_bodies(book):
    apps = book.applications(slice(0, 200))
    assert all({"applicant", "loan"} <= set(app) for app in apps)
    ntc = [app for app in apps if "bureau" not in app]
    assert ntc and all("score" in app["bureau"] for app in apps if "bureau" in app)
    rebuilt = build_frame(apps, as_of=BOOK_AS_OF)
    np.testing.assert_allclose(rebuilt["foir"], book.frame["foir"].iloc[:200])


def test_personas_are_recognisable():
    ntc = persona("ntc_upi_22")
    assert "bureau" not in ntc.application
    assert ntc.latent["age"] == 22 and ntc.application["applicant"]["date_of_birth"].startswith("2002")
    assert ntc.application["alt_data"]["inflow_regularity"] > 0.85
    assert ntc.application["alt_data"]["upi_txn_per_month"] >= 20
    assert ntc.true_pd < 0.05

    farmer = persona("farmer_seasonal")
    assert farmer.application["applicant"]["employment_type"] == "farmer"
    assert farmer.application["alt_data"]["income_seasonality"] >= 0.7
    assert farmer.application["alt_data"]["inflow_regularity"] < 0.6  # seasonal, not unreliable
    assert farmer.true_pd < 0.10

    strategic = persona("strategic_defaulter")
    assert strategic.latent["ability"] > 0.5 and strategic.latent["willingness"] < -2
    assert strategic.application["applicant"]["monthly_income"] > 60000
    assert strategic.true_pd > 0.2

    distressed = persona("distressed_restructure")
    assert distressed.latent["distress"] == 1 and distressed.latent["willingness"] > 0
    assert distressed.true_pd > 0.25


def test_personas_are_reproducible_and_names_are_checked():
    assert persona("farmer_seasonal", seed=3).application == persona("farmer_seasonal", seed=3).application
    assert set(PERSONAS) == {"ntc_upi_22", "farmer_seasonal", "strategic_defaulter", "distressed_restructure"}
    with pytest.raises(KeyError):
        persona("unknown")
