"""Monitoring's trends over the book: delinquency, model performance as outcomes land, the NPA forecast.

Pure functions of a :class:`~creditdesk.portfolio.book.Book` and a day, returning JSON-ready dicts;
``service.py`` caches them per ledger version with the portfolio's own reports (see
``portfolio/reports.py``), so a repayment shows up in them on the very next read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from creditdesk.ml import evaluation
from creditdesk.portfolio.analytics import horizon_days, month_ends, origination_cohorts, ratio, rounded
from creditdesk.portfolio.book import ASSET_CLASS_LABELS, ASSET_CLASSES, Book, BookState, rupees, to_day
from creditdesk.portfolio.schedule import month_key

# --------------------------------------------------------------------------------------------------
# delinquency


def delinquency(book: Book, as_of: date, months: int = 24) -> dict[str, Any]:
    """Return 30+/60+/90+ DPD rates by count and by outstanding, per month end."""
    rows = [_delinquency_row(point, book.state(point)) for point in month_ends(book, as_of, months)]
    return {
        "as_of": as_of,
        "definition": "share of active loans (and of their outstanding principal) more than "
        "30 / 60 / 90 days past due at each month end",
        "months": [row for row in rows if row is not None],
    }


def _delinquency_row(point: date, st: BookState) -> dict[str, Any] | None:
    active = st.active
    loans = int(active.sum())
    if loans == 0:
        return None
    amount = float(st.outstanding[active].sum())
    row: dict[str, Any] = {
        "month": month_key(point),
        "as_of": point,
        "loans": loans,
        "outstanding": rupees(int(amount)),
    }
    for limit in (30, 60, 90):
        over = active & (st.dpd > limit)
        row[f"dpd{limit}_rate"] = rounded(over.sum() / loans)
        row[f"dpd{limit}_amount_rate"] = rounded(ratio(float(st.outstanding[over].sum()), amount) or 0.0)
    row["gross_npa_ratio"] = rounded(ratio(float(st.outstanding[st.npa].sum()), amount) or 0.0)
    return row


# --------------------------------------------------------------------------------------------------
# model performance as outcomes land


def performance(book: Book, as_of: date, horizon_months: int = 12) -> dict[str, Any]:
    """Return AUC, KS and calibration of the origination PD against realised defaults within the horizon."""
    day = to_day(as_of)
    ends = horizon_days(book, horizon_months)
    has_pd = np.isfinite(book.pd)
    observed = (book.disbursed_on <= day) & (ends <= day) & has_pd
    y = (book.first_over[90] <= ends).astype(int)
    months = []
    for key, idx in origination_cohorts(book, (book.disbursed_on <= day) & has_pd).items():
        seen = (book.first_over[90][idx] <= np.minimum(ends[idx], day)).astype(int)
        months.append({"month": key, "complete": bool((ends[idx] <= day).all()), **_metrics(seen, book.pd[idx], 30)})
    return {
        "as_of": as_of,
        "horizon_months": horizon_months,
        "definition": f"default = 90+ DPD (NPA) within {horizon_months} months of disbursal; PD = the PD at "
        "origination; months are origination cohorts (complete once every loan has been on book for the horizon)",
        "overall": _metrics(y[observed], book.pd[observed]),
        "calibration": _calibration(y[observed], book.pd[observed]) if observed.sum() >= 10 else [],
        "months": months,
    }


def _calibration(y: np.ndarray, pd_: np.ndarray) -> list[dict[str, Any]]:
    """Return realised against predicted defaults by PD decile, with the binomial z of each decile."""
    rows = []
    for row in evaluation.calibration_by_decile(y, pd_):
        mean_pd = row["mean_pd"] or 0.0
        se = math.sqrt(max(mean_pd * (1 - mean_pd), 1e-9) / row["count"])
        rate = row["default_rate"] or 0.0
        rows.append(
            {
                **row,
                "defaults": round(rate * row["count"]),
                "expected_defaults": rounded(mean_pd * row["count"], 2),
                "standard_error": rounded(se),
                "z": rounded((rate - mean_pd) / se),
            }
        )
    return rows


def _metrics(y: np.ndarray, pd_: np.ndarray, min_rows: int = 10) -> dict[str, Any]:
    n = len(y)
    both = n >= min_rows and 0 < int(y.sum()) < n
    return {
        "loans": n,
        "defaults": int(y.sum()),
        "default_rate": rounded(float(y.mean())) if n else None,
        "mean_pd": rounded(float(pd_.mean())) if n else None,
        "auc": rounded(evaluation.auc(y, pd_)) if both else None,
        "ks": rounded(evaluation.ks(y, pd_)) if both else None,
        "gini": rounded(evaluation.gini(y, pd_)) if both else None,
    }


# --------------------------------------------------------------------------------------------------
# NPA forecast

FORECAST_METHOD = (
    "For each active, not-yet-NPA loan: P(NPA within {h} days) = r_b × PD_i / mean PD_b, capped at 1, where b is "
    "the loan's bucket today (Standard, SMA-0, SMA-1, SMA-2), r_b is the share of loans in bucket b at each of the "
    "last {m} month ends (with {h} days of follow-up) that became NPA within {h} days, and PD_i is the loan's PD at "
    "origination. A bucket with fewer than {k} historical observations uses a prior flow rate instead "
    "(SMA-0 5 %, SMA-1 35 %, SMA-2 65 %; Standard: 1 − (1 − PD_i)^({h}/365)). "
    "Expected loans = Σ P; expected amount = Σ P × outstanding principal today."
)
PRIOR_FLOW = {"sma_0": 0.05, "sma_1": 0.35, "sma_2": 0.65}
#: the performing buckets a loan can flow to NPA from: Standard, SMA-0, SMA-1, SMA-2 (asset classes 0–3)
PERFORMING_BUCKETS = 4


@dataclass(frozen=True)
class FlowHistory:
    """Per performing bucket: loans seen in it at past month ends, and how many became NPA within the horizon."""

    observations: np.ndarray
    hits: np.ndarray


@dataclass(frozen=True)
class BucketForecast:
    """One bucket's expected flow to NPA, with the rate it used and where that rate came from."""

    row: dict[str, Any]
    loans: int
    outstanding: int
    expected_loans: float
    expected_amount: float


def npa_forecast(
    book: Book, as_of: date, *, horizon: int = 90, lookback_months: int = 6, min_observations: int = 20
) -> dict[str, Any]:
    """Return loans and amount expected to become NPA within ``horizon`` days, by bucket, with the method."""
    st = book.state(as_of)
    fallback_pd = float(np.nanmean(book.pd)) if np.isfinite(book.pd).any() else 0.05
    pd_ = np.where(np.isfinite(book.pd), book.pd, fallback_pd)
    history = _flow_history(book, as_of, horizon=horizon, lookback_months=lookback_months)
    buckets = [
        _bucket_forecast(
            st, b, pd_, history, horizon=horizon, fallback_pd=fallback_pd, min_observations=min_observations
        )
        for b in range(PERFORMING_BUCKETS)
    ]
    expected_amount = sum(f.expected_amount for f in buckets)
    current_npa = int(st.outstanding[st.npa].sum())
    return {
        "as_of": as_of,
        "horizon_days": horizon,
        "method": FORECAST_METHOD.format(h=horizon, m=lookback_months, k=min_observations),
        "buckets": [f.row for f in buckets],
        "total": {
            "loans": sum(f.loans for f in buckets),
            "outstanding": rupees(sum(f.outstanding for f in buckets)),
            "expected_loans": rounded(sum(f.expected_loans for f in buckets), 2),
            "expected_amount": rupees(round(expected_amount)),
        },
        "current_npa_outstanding": rupees(current_npa),
        "projected_gross_npa_ratio": rounded(
            ratio(current_npa + expected_amount, int(st.outstanding[st.active].sum()))
        ),
    }


def _flow_history(book: Book, as_of: date, *, horizon: int, lookback_months: int) -> FlowHistory:
    """Count the empirical flow to NPA by bucket at past month ends with a full horizon of follow-up."""
    day = to_day(as_of)
    obs = np.zeros(PERFORMING_BUCKETS)
    hits = np.zeros(PERFORMING_BUCKETS)
    points = [p for p in month_ends(book, as_of, lookback_months + 6) if to_day(p) + horizon <= day][-lookback_months:]
    for point in points:
        past = book.state(point)
        entering = (book.s_start > past.day) & (book.s_start <= past.day + horizon)
        became = np.zeros(book.size, dtype=bool)
        became[book.s_loan[entering]] = True
        for b in range(PERFORMING_BUCKETS):
            members = past.active & (past.asset_class == b)
            obs[b] += members.sum()
            hits[b] += (members & became).sum()
    return FlowHistory(observations=obs, hits=hits)


def _bucket_forecast(
    st: BookState,
    b: int,
    pd_: np.ndarray,
    history: FlowHistory,
    *,
    horizon: int,
    fallback_pd: float,
    min_observations: int,
) -> BucketForecast:
    """Return the expected flow to NPA of the loans in bucket ``b`` today."""
    name = ASSET_CLASSES[b]
    members = st.active & (st.asset_class == b)
    rate: float | None
    if history.observations[b] >= min_observations:
        rate, source = float(history.hits[b] / history.observations[b]), "history"
    else:
        rate, source = PRIOR_FLOW.get(name), "prior"
    if rate is None:  # Standard without history: the PD over the horizon
        prob = 1.0 - np.power(1.0 - np.clip(pd_[members], 0.0, 0.999), horizon / 365.0)
    else:
        mean_pd = float(pd_[members].mean()) if members.any() else fallback_pd
        prob = np.clip(rate * pd_[members] / (mean_pd or fallback_pd), 0.0, 1.0)
    expected_loans = float(prob.sum())
    expected_amount = float((prob * st.outstanding[members]).sum())
    outstanding = int(st.outstanding[members].sum())
    row = {
        "bucket": name,
        "label": ASSET_CLASS_LABELS[name],
        "loans": int(members.sum()),
        "outstanding": rupees(outstanding),
        "flow_rate": rounded(rate),
        "observations": int(history.observations[b]),
        "source": source,
        "expected_loans": rounded(expected_loans, 2),
        "expected_amount": rupees(round(expected_amount)),
    }
    return BucketForecast(row, int(members.sum()), outstanding, expected_loans, expected_amount)
