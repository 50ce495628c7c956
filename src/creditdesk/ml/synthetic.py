"""The synthetic book: seeded applicants with a known true PD (DESIGN §7).

Causal structure — every applicant is generated top-down, and nothing downstream leaks upward:

1. **Segment and life stage.** Employment type (salaried, self-employed, gig, farmer, student,
   unemployed) and age. Young applicants, students, gig workers and farmers are more often
   new-to-credit (NTC: no bureau record at all).
2. **Latent traits**, standard normal, shifted by segment:

   * ``ability`` A — earning capacity and financial slack;
   * ``willingness`` W — character: the propensity to repay when able;
   * ``stability`` C — regularity of cash flow (correlated 0.35 with A), the trait that mainly
     alternative data reveals;
   * ``distress`` D ∈ {0, 1} — a recent income shock (job loss, crop failure, medical event).

3. **Application.** Income = segment base · exp(0.40·A + noise); existing EMIs; purpose, amount,
   tenure and rate; the new EMI by amortisation and FOIR follow arithmetically.
4. **True PD** — a known logistic function of the latent traits and the loan burden::

       logit(PD) = β0 − 0.90·A − 1.15·W − 1.30·C + 2.20·D + 2.0·(min(FOIR, 1.2) − 0.40),  β0 = −3.3

   The outcome is ``default ~ Bernoulli(PD)``, so the oracle AUC — AUC of the true PD against the
   outcome — is the best any model can do on this book.
5. **Observations** (what a lender sees), each a noisy reflection of the traits:

   * bureau (absent for NTC): score ≈ 715 + 48·W + 36·A − 75·D (± 8); utilisation rises with low A and
     with D; 30+ DPD counts and max DPD rise with low W and with D; enquiries rise with D; a
     written-off flag (reported by ~60 % of records) for very low W;
   * alternative data (consented bank/UPI aggregates, ~93 % of applicants, ~97 % of NTC): inflow
     ≈ income · exp(0.12·C − 0.35·D); regularity rises with C but falls with seasonality;
     seasonality is high for farmers and gig workers; balance volatility falls with C; bounced
     EMIs rise with low W, low C and D; UPI activity reflects C; the age of the digital footprint
     (phone, e-mail, UPI id), relative to adult life, reflects W — the main window on an NTC
     applicant's character.

   Because C drives PD and is seen almost only through alternative data, a model with alt data
   separates NTC and thin-file applicants that a bureau-only model cannot — the swap-set gain.

The four scenarios of the brief are regions of this latent space, labelled in ``scenario`` and
reproducible one at a time with :func:`persona`:

* ``ntc_upi_22`` — 22, salaried first job, no bureau record, steady UPI inflows: low PD;
* ``farmer_seasonal`` — farmer, seasonal inflows (low regularity, high seasonality) yet a clean
  record: moderate PD that a seasonality-blind model would overstate;
* ``strategic_defaulter`` — high income and inflows, low willingness: DPD, bounced EMIs, high PD;
* ``distressed_restructure`` — a good past payer hit by a shock: rising utilisation, recent DPD,
  falling inflows, many enquiries — high PD, a restructuring candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

from creditdesk.ml.features import build_frame_from_flat

BOOK_AS_OF = date(2025, 1, 1)
TARGET = "default"

SEGMENTS = ("salaried", "self_employed", "gig", "farmer", "student", "unemployed")
SEGMENT_SHARE = (0.46, 0.18, 0.13, 0.15, 0.05, 0.03)
# Per segment: log base income, ability shift, stability shift, NTC propensity, age range.
_INCOME_BASE = {
    "salaried": 42000,
    "self_employed": 50000,
    "gig": 24000,
    "farmer": 20000,
    "student": 12000,
    "unemployed": 9000,
}
_ABILITY_SHIFT = {
    "salaried": 0.2,
    "self_employed": 0.1,
    "gig": -0.2,
    "farmer": -0.2,
    "student": -0.4,
    "unemployed": -1.0,
}
_STABILITY_SHIFT = {
    "salaried": 0.3,
    "self_employed": -0.1,
    "gig": -0.3,
    "farmer": 0.0,
    "student": -0.2,
    "unemployed": -0.8,
}
_NTC_SHIFT = {"salaried": 0.0, "self_employed": 0.2, "gig": 0.6, "farmer": 0.8, "student": 1.5, "unemployed": 0.5}
_AGE_RANGE = {
    "salaried": (21, 60),
    "self_employed": (23, 65),
    "gig": (19, 45),
    "farmer": (22, 68),
    "student": (18, 26),
    "unemployed": (19, 55),
}
_PURPOSES = {
    "salaried": (
        ("personal", 0.40),
        ("vehicle", 0.15),
        ("consumer_durable", 0.15),
        ("home_improvement", 0.12),
        ("medical", 0.06),
        ("education", 0.07),
        ("other", 0.05),
    ),
    "self_employed": (
        ("business", 0.55),
        ("personal", 0.15),
        ("vehicle", 0.12),
        ("home_improvement", 0.10),
        ("other", 0.08),
    ),
    "gig": (("vehicle", 0.35), ("personal", 0.35), ("consumer_durable", 0.20), ("medical", 0.10)),
    "farmer": (("agriculture", 0.70), ("vehicle", 0.10), ("personal", 0.10), ("medical", 0.10)),
    "student": (("education", 0.70), ("consumer_durable", 0.20), ("personal", 0.10)),
    "unemployed": (("personal", 0.60), ("medical", 0.40)),
}
_AMOUNT_MULTIPLE = {
    "personal": 4.0,
    "business": 7.0,
    "education": 8.0,
    "vehicle": 6.0,
    "home_improvement": 6.0,
    "agriculture": 5.0,
    "medical": 3.0,
    "consumer_durable": 2.0,
    "other": 3.0,
}
_BASE_RATE = {
    "personal": 16.0,
    "business": 17.0,
    "education": 11.0,
    "vehicle": 12.0,
    "home_improvement": 14.0,
    "agriculture": 10.0,
    "medical": 15.0,
    "consumer_durable": 18.0,
    "other": 17.0,
}
TENURES = np.array([6, 12, 18, 24, 36, 48, 60])

BETA_0 = -3.3
BETA = {"ability": -0.90, "willingness": -1.15, "stability": -1.30, "distress": 2.2, "foir": 2.0}

_FIRST = (
    "Asha",
    "Rahul",
    "Priya",
    "Arjun",
    "Meera",
    "Vikram",
    "Sunita",
    "Ravi",
    "Kavya",
    "Imran",
    "Lakshmi",
    "Suresh",
    "Neha",
    "Harpreet",
    "Anil",
    "Fatima",
    "Deepak",
    "Pooja",
    "Ganesh",
    "Anjali",
)
_LAST = (
    "Verma",
    "Sharma",
    "Patel",
    "Reddy",
    "Nair",
    "Singh",
    "Khan",
    "Iyer",
    "Das",
    "Gupta",
    "Yadav",
    "Kulkarni",
    "Bose",
    "Menon",
    "Chauhan",
    "Rao",
)
_STATES = (
    "Maharashtra",
    "Karnataka",
    "Tamil Nadu",
    "Uttar Pradesh",
    "Gujarat",
    "West Bengal",
    "Rajasthan",
    "Telangana",
    "Punjab",
    "Kerala",
    "Bihar",
    "Madhya Pradesh",
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass
class SyntheticBook:
    """A generated book: flat application rows, model features, latent traits, true PD and outcome."""

    flat: pd.DataFrame
    frame: pd.DataFrame
    latent: pd.DataFrame
    true_pd: np.ndarray
    outcome: np.ndarray
    scenario: np.ndarray
    as_of: date
    seed: int

    @property
    def oracle_auc(self) -> float:
        """Return the AUC of the true PD against the realised outcome — the best achievable."""
        return float(roc_auc_score(self.outcome, self.true_pd))

    @property
    def default_rate(self) -> float:
        """Return the realised default rate of the book."""
        return float(self.outcome.mean())

    def training_frame(self) -> pd.DataFrame:
        """Return the feature frame with the outcome as the ``default`` column."""
        frame = self.frame.copy()
        frame[TARGET] = self.outcome
        return frame

    def applications(self, rows: slice | None = None) -> list[dict[str, Any]]:
        """Return applications as §5 request bodies (optionally a slice of the book)."""
        flat = self.flat if rows is None else self.flat.iloc[rows]
        return [application_from_flat(rec) for rec in flat.to_dict("records")]


@dataclass
class Persona:
    """One scenario applicant: the §5 body, its latent traits and true PD."""

    name: str
    description: str
    application: dict[str, Any]
    true_pd: float
    latent: dict[str, Any] = field(default_factory=dict)


PERSONAS: dict[str, str] = {
    "ntc_upi_22": "22-year-old salaried first-jobber, no bureau record, steady UPI inflows",
    "farmer_seasonal": "Farmer with seasonal (harvest) inflows and a clean repayment record",
    "strategic_defaulter": "High income and inflows but low willingness to repay",
    "distressed_restructure": "Good past payer hit by an income shock; candidate for restructuring",
}


# --------------------------------------------------------------------------------------------------
# generation


def generate_book(n: int = 20000, seed: int = 0, as_of: date = BOOK_AS_OF) -> SyntheticBook:
    """Generate a reproducible synthetic book of ``n`` applicants with known true PD."""
    rng = np.random.default_rng(seed)
    latent = _draw_latent(n, rng)
    return _realise(latent, rng, as_of, seed)


def persona(name: str, seed: int = 0, as_of: date = BOOK_AS_OF) -> Persona:
    """Return the named scenario applicant (see ``PERSONAS``), generated by the book's own model."""
    if name not in PERSONAS:
        raise KeyError(f"unknown persona {name!r}; choose from {sorted(PERSONAS)}")
    rng = np.random.default_rng([seed, sorted(PERSONAS).index(name)])
    latent = pd.DataFrame([_PERSONA_LATENT[name]])
    book = _realise(latent, rng, as_of, seed)
    app = book.applications()[0]
    app["external_ref"] = f"PERSONA-{name}"
    return Persona(
        name=name,
        description=PERSONAS[name],
        application=app,
        true_pd=float(book.true_pd[0]),
        latent=book.latent.iloc[0].to_dict(),
    )


_PERSONA_LATENT: dict[str, dict[str, Any]] = {
    "ntc_upi_22": {
        "segment": "salaried",
        "age": 22,
        "ability": 0.3,
        "willingness": 0.9,
        "stability": 1.3,
        "distress": 0,
        "ntc": True,
        "has_alt": True,
        "purpose": "consumer_durable",
        "loan_multiple": 1.5,
        "tenure": 12,
        "seasonality": 0.03,
    },
    "farmer_seasonal": {
        "segment": "farmer",
        "age": 41,
        "ability": 0.0,
        "willingness": 0.7,
        "stability": 0.4,
        "distress": 0,
        "ntc": False,
        "has_alt": True,
        "purpose": "agriculture",
        "loan_multiple": 4.0,
        "tenure": 12,
        "seasonality": 0.8,
    },
    "strategic_defaulter": {
        "segment": "self_employed",
        "age": 38,
        "ability": 1.0,
        "willingness": -3.3,
        "stability": 0.3,
        "distress": 0,
        "ntc": False,
        "has_alt": True,
        "purpose": "business",
        "loan_multiple": 6.0,
        "tenure": 36,
        "seasonality": 0.1,
    },
    "distressed_restructure": {
        "segment": "salaried",
        "age": 35,
        "ability": -0.3,
        "willingness": 0.8,
        "stability": -0.9,
        "distress": 1,
        "ntc": False,
        "has_alt": True,
        "purpose": "personal",
        "loan_multiple": 6.0,
        "tenure": 24,
        "seasonality": 0.05,
    },
}


def _draw_latent(n: int, rng: np.random.Generator) -> pd.DataFrame:
    segment = rng.choice(np.array(SEGMENTS), size=n, p=np.array(SEGMENT_SHARE))
    lo = np.array([_AGE_RANGE[s][0] for s in segment])
    hi = np.array([_AGE_RANGE[s][1] for s in segment])
    # Skewed towards the young end of each segment's range, like a real applicant pool.
    age = np.floor(lo + (hi - lo) * rng.beta(1.6, 2.6, size=n)).astype(int)
    ability = rng.normal(size=n) + np.array([_ABILITY_SHIFT[s] for s in segment])
    willingness = rng.normal(size=n)
    stability = 0.35 * ability + np.sqrt(1 - 0.35**2) * rng.normal(size=n)
    stability += np.array([_STABILITY_SHIFT[s] for s in segment])
    distress = (rng.random(n) < 0.06).astype(int)
    ntc_logit = 0.1 - 0.16 * (age - 21) + np.array([_NTC_SHIFT[s] for s in segment])
    ntc = rng.random(n) < _sigmoid(ntc_logit)
    has_alt = rng.random(n) < np.where(ntc, 0.97, 0.93)
    purpose = np.empty(n, dtype=object)
    for seg in SEGMENTS:
        mask = segment == seg
        names, probs = zip(*_PURPOSES[seg], strict=True)
        purpose[mask] = rng.choice(np.array(names), size=int(mask.sum()), p=np.array(probs))
    loan_multiple = np.array([_AMOUNT_MULTIPLE[p] for p in purpose]) * np.exp(rng.normal(0, 0.45, size=n))
    tenure = np.zeros(n, dtype=int)  # 0: chosen from the amount below
    seasonality = np.full(n, np.nan)
    return pd.DataFrame(
        {
            "segment": segment,
            "age": age,
            "ability": ability,
            "willingness": willingness,
            "stability": stability,
            "distress": distress,
            "ntc": ntc,
            "has_alt": has_alt,
            "purpose": purpose,
            "loan_multiple": loan_multiple,
            "tenure": tenure,
            "seasonality": seasonality,
        }
    )


@dataclass(frozen=True)
class _Traits:
    """The latent traits a book is realised from, one entry per applicant (the spec of :func:`_realise`)."""

    segment: np.ndarray
    age: np.ndarray
    ability: np.ndarray
    willingness: np.ndarray
    stability: np.ndarray
    distress: np.ndarray
    ntc: np.ndarray  # new to credit: no bureau record
    has_alt: np.ndarray  # bank-statement / UPI data available
    purpose: np.ndarray
    loan_multiple: np.ndarray  # loan amount in months of income
    tenure: np.ndarray  # a preset tenure, or 0: chosen from the amount
    seasonality: np.ndarray  # a preset income seasonality, or NaN: drawn for the segment

    @classmethod
    def of(cls, latent: pd.DataFrame) -> _Traits:
        """Read the traits from a latent table (drawn by :func:`_draw_latent` or a persona's)."""
        return cls(
            segment=latent["segment"].to_numpy(),
            age=latent["age"].to_numpy(dtype=int),
            ability=latent["ability"].to_numpy(dtype=float),
            willingness=latent["willingness"].to_numpy(dtype=float),
            stability=latent["stability"].to_numpy(dtype=float),
            distress=latent["distress"].to_numpy(dtype=float),
            ntc=latent["ntc"].to_numpy(dtype=bool),
            has_alt=latent["has_alt"].to_numpy(dtype=bool),
            purpose=latent["purpose"].to_numpy(),
            loan_multiple=latent["loan_multiple"].to_numpy(dtype=float),
            tenure=latent["tenure"].to_numpy(dtype=int),
            seasonality=latent["seasonality"].to_numpy(dtype=float),
        )


@dataclass(frozen=True)
class _Application:
    """The applicant's declared income and employment, and the loan asked for."""

    income: np.ndarray
    employment_years: np.ndarray
    existing_emi: np.ndarray
    amount: np.ndarray
    tenure: np.ndarray
    rate: np.ndarray
    foir: np.ndarray  # fixed obligations (existing + new EMI) to income
    city_tier: np.ndarray
    residence: np.ndarray


# Each phase below draws from the one generator in a fixed order: keep the order of the draws (and
# of the phases in _realise), or every seeded book, persona and trained metric changes.


def _realise(latent: pd.DataFrame, rng: np.random.Generator, as_of: date, seed: int) -> SyntheticBook:
    """Realise latent traits into applications, bureau and alternative data, a true PD and an outcome."""
    traits = _Traits.of(latent)
    n = len(latent)
    app = _application(traits, rng)
    true_pd, outcome = _true_pd_and_outcome(traits, app.foir, rng)
    bureau = _bureau(traits, rng)
    season, alt = _alternative_data(traits, app.income, rng)
    identity = _identity(traits, rng, as_of, seed)
    flat = pd.DataFrame(
        {
            **identity,
            "employment_type": traits.segment,
            "employment_years": app.employment_years.astype(float),
            "monthly_income": app.income,
            "existing_emi": app.existing_emi,
            "residence_type": app.residence,
            "city_tier": app.city_tier,
            "state": rng.choice(np.array(_STATES), n),
            "loan_amount": app.amount,
            "tenure_months": app.tenure.astype(int),
            "interest_rate": app.rate,
            "purpose": traits.purpose,
            **bureau,
            **alt,
        }
    )
    scenario = _scenarios(traits, season)
    latent_out = latent[["segment", "age", "ability", "willingness", "stability", "distress", "ntc", "has_alt"]]
    latent_out = latent_out.assign(true_pd=true_pd, scenario=scenario)
    return SyntheticBook(
        flat=flat,
        frame=build_frame_from_flat(flat, as_of=as_of),
        latent=latent_out.reset_index(drop=True),
        true_pd=true_pd,
        outcome=outcome,
        scenario=scenario,
        as_of=as_of,
        seed=seed,
    )


def _application(t: _Traits, rng: np.random.Generator) -> _Application:
    """Income, employment, existing EMIs, the loan (amount, tenure, rate), city tier and residence."""
    n, seg, age, a, d = len(t.segment), t.segment, t.age, t.ability, t.distress
    base = np.array([_INCOME_BASE[s] for s in seg], dtype=float)
    income = np.round(base * np.exp(0.40 * a + 0.012 * (age - 30) + rng.normal(0, 0.12, n)), -2)
    income = np.maximum(income, 3000.0)
    employment_years = np.minimum(
        np.maximum(age - 20, 0), np.round(rng.gamma(2.0, 2.0 + 0.5 * np.maximum(a, -1) + 1.0, n))
    )
    employment_years = np.where(np.isin(seg, ("student", "unemployed")), 0, employment_years)
    existing_ratio = np.clip(rng.normal(0.14, 0.08, n) + 0.08 * d, 0.0, 0.5)
    existing_emi = np.where(t.ntc, 0.0, np.round(income * existing_ratio * (rng.random(n) < 0.7), -2))
    amount = np.round(income * t.loan_multiple, -3)
    amount = np.maximum(amount, 10000.0)
    idx = np.clip(np.round(np.log2(np.maximum(amount / income, 1.0)) + rng.integers(-1, 2, n)), 0, 6)
    tenure = np.where(t.tenure > 0, t.tenure, TENURES[idx.astype(int)])
    rate = np.array([_BASE_RATE[p] for p in t.purpose]) + rng.normal(0, 1.2, n)
    rate = np.round(np.clip(rate, 9.0, 26.0) * 4) / 4
    r = rate / 1200.0
    growth = (1 + r) ** tenure
    new_emi = np.round(amount * r * growth / (growth - 1), 2)
    foir = (existing_emi + new_emi) / income

    tier_p = np.where(seg == "farmer", 0.0, 0.45)
    u = rng.random(n)
    city_tier = np.where(u < tier_p, 1, np.where(u < tier_p + 0.3, 2, 3))
    own_p = _sigmoid(-2.2 + 0.07 * (age - 22) + 0.4 * a + np.where(seg == "farmer", 1.5, 0.0))
    v = rng.random(n)
    residence = np.where(v < own_p, "owned", np.where(v < own_p + np.where(age < 28, 0.45, 0.1), "family", "rented"))
    residence = np.where((seg == "salaried") & (rng.random(n) < 0.04), "company_provided", residence)
    return _Application(income, employment_years, existing_emi, amount, tenure, rate, foir, city_tier, residence)


def _true_pd_and_outcome(t: _Traits, foir: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The true PD (the book's logistic model of the traits and FOIR) and the outcome drawn from it."""
    logit = (
        BETA_0
        + BETA["ability"] * t.ability
        + BETA["willingness"] * t.willingness
        + BETA["stability"] * t.stability
        + BETA["distress"] * t.distress
        + BETA["foir"] * (np.minimum(foir, 1.2) - 0.40)
    )
    true_pd = _sigmoid(logit)
    outcome = (rng.random(len(true_pd)) < true_pd).astype(int)
    return true_pd, outcome


def _bureau(t: _Traits, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The bureau columns (``bureau_*``), empty (NaN) for applicants new to credit."""
    n, age, a, w, d = len(t.segment), t.age, t.ability, t.willingness, t.distress
    history = np.clip(np.round((age - 19) * 12 * rng.uniform(0.15, 0.9, n)), 3, None)
    score = np.clip(np.round(715 + 48 * w + 36 * a - 75 * d + rng.normal(0, 8, n)), 300, 900)
    utilization = np.clip(_sigmoid(-0.4 - 0.75 * a - 0.25 * w + 1.4 * d + rng.normal(0, 0.3, n)), 0, 1)
    utilization = np.round(utilization, 3)
    dpd30 = rng.poisson(np.exp(-2.3 - 0.95 * w - 0.3 * a + 1.9 * d))
    minor = rng.random(n) < _sigmoid(-2.0 - 0.6 * w)
    max_dpd = np.where(
        dpd30 > 0,
        np.minimum(30 * dpd30 + rng.integers(0, 30, n), 180),
        np.where(minor, rng.integers(1, 30, n), 0),
    )
    enquiries = rng.poisson(np.exp(0.1 - 0.25 * a + 1.1 * d))
    active = 1 + rng.poisson(np.exp(0.3 + 0.25 * a))
    written_off = (rng.random(n) < _sigmoid(-5.0 - 1.6 * w)).astype(float)
    written_off = np.where(rng.random(n) < 0.6, written_off, np.nan)
    columns = {
        "score": score,
        "utilization": utilization,
        "dpd_30_last_12m": dpd30,
        "max_dpd_last_24m": max_dpd,
        "enquiries_last_6m": enquiries,
        "credit_history_months": history,
        "active_accounts": active,
        "written_off": written_off,
    }
    return {f"bureau_{name}": np.where(t.ntc, np.nan, values.astype(float)) for name, values in columns.items()}


def _alternative_data(
    t: _Traits, income: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Income seasonality, and the alternative-data columns (``alt_*``), NaN where there is no such data."""
    n, seg, age, w, c, d = len(t.segment), t.segment, t.age, t.willingness, t.stability, t.distress
    drawn = np.select(
        [seg == "farmer", seg == "gig", seg == "self_employed"],
        [rng.uniform(0.5, 0.9, n), rng.uniform(0.15, 0.45, n), rng.uniform(0.05, 0.3, n)],
        rng.uniform(0.0, 0.12, n),
    )
    season = np.round(np.where(np.isnan(t.seasonality), drawn, t.seasonality), 3)
    inflow = np.round(income * np.exp(0.12 * c - 0.35 * d + rng.normal(0, 0.06, n)), -2)
    regularity = np.round(_sigmoid(1.6 + 1.1 * c - 3.0 * season - 0.6 * d + rng.normal(0, 0.08, n)), 3)
    volatility = np.round(np.exp(-0.8 - 0.45 * c + 0.8 * season + 0.5 * d + rng.normal(0, 0.08, n)), 3)
    bounced = rng.poisson(np.exp(-1.8 - 0.8 * w - 0.5 * c + 1.2 * d))
    upi = rng.poisson(np.exp(3.2 + 0.25 * c - 0.012 * (age - 22) + rng.normal(0, 0.15, n)))
    footprint = np.round(np.clip((age - 16) * 12 * _sigmoid(0.4 + 0.8 * w + rng.normal(0, 0.25, n)), 1, None))
    columns = {
        "avg_monthly_inflow": inflow,
        "inflow_regularity": regularity,
        "bounced_emis_last_6m": bounced,
        "upi_txn_per_month": upi,
        "balance_volatility": volatility,
        "income_seasonality": season,
        "digital_footprint_months": footprint,
    }
    return season, {
        f"alt_{name}": np.where(t.has_alt, values.astype(float), np.nan) for name, values in columns.items()
    }


def _identity(t: _Traits, rng: np.random.Generator, as_of: date, seed: int) -> dict[str, list[str]]:
    """Reference, name, PAN and date of birth (consistent with the age at ``as_of``) of each applicant."""
    n = len(t.segment)
    days = rng.integers(1, 365, n)
    dob = [as_of - timedelta(days=int(365.25 * years) + int(extra)) for years, extra in zip(t.age, days, strict=True)]
    first = rng.integers(0, len(_FIRST), n)
    last = rng.integers(0, len(_LAST), n)
    letters = rng.integers(0, 26, (n, 4))
    digits = rng.integers(0, 10000, n)
    pans = [
        "".join(chr(65 + x) for x in lt[:3]) + "P" + _LAST[ln][0] + f"{dg:04d}" + chr(65 + lt[3])
        for lt, ln, dg in zip(letters, last, digits, strict=True)
    ]
    return {
        "external_ref": [f"SYN-{seed}-{i:06d}" for i in range(n)],
        "name": [f"{_FIRST[f]} {_LAST[s]}" for f, s in zip(first, last, strict=True)],
        "pan": pans,
        "date_of_birth": [x.isoformat() for x in dob],
    }


def _scenarios(t: _Traits, season: np.ndarray) -> np.ndarray:
    """Label each applicant with the scenario it falls in (the personas' families), else ``regular``."""
    scenario = np.full(len(t.segment), "regular", dtype=object)
    scenario[t.ntc & t.has_alt & (t.age <= 25)] = "ntc_upi"
    scenario[(t.segment == "farmer") & (season >= 0.5)] = "farmer_seasonal"
    scenario[(t.ability > 0.5) & (t.willingness < -1.8)] = "strategic_defaulter"
    scenario[t.distress == 1] = "distressed_restructure"
    return scenario


# --------------------------------------------------------------------------------------------------
# flat row → §5 body


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def application_from_flat(rec: Mapping[str, Any]) -> dict[str, Any]:
    """Return the §5 request body for one flat batch row (missing sections are omitted)."""
    applicant_keys = (
        "name",
        "pan",
        "date_of_birth",
        "employment_type",
        "employment_years",
        "monthly_income",
        "existing_emi",
        "residence_type",
        "city_tier",
        "state",
    )
    applicant = {k: _plain(rec[k]) for k in applicant_keys if k in rec and _present(rec[k])}
    app: dict[str, Any] = {}
    if _present(rec.get("external_ref")):
        app["external_ref"] = rec["external_ref"]
    app["applicant"] = applicant
    app["loan"] = {
        "amount": _plain(rec["loan_amount"]),
        "tenure_months": _plain(rec["tenure_months"]),
        "interest_rate": _plain(rec["interest_rate"]),
        "purpose": rec["purpose"],
    }
    bureau = {k[len("bureau_") :]: _plain(v) for k, v in rec.items() if k.startswith("bureau_") and _present(v)}
    if "score" in bureau:
        if "written_off" in bureau:
            bureau["written_off"] = bool(bureau["written_off"])
        app["bureau"] = bureau
    alt = {k[len("alt_") :]: _plain(v) for k, v in rec.items() if k.startswith("alt_") and _present(v)}
    if alt:
        app["alt_data"] = alt
    return app
