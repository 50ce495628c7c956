"""Portfolio analytics over a :class:`~creditdesk.portfolio.book.Book`: pure functions returning JSON-ready dicts.

Summary, NPA breakdown, delinquency trend, vintage curves, roll rates, repayment statistics, model
performance as outcomes land, and the 90-day NPA forecast. Month-end positions are recomputed from
the ledger each time (see ``book.py``), so a back-dated payment corrects every trend it touches.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from creditdesk.ml import evaluation
from creditdesk.portfolio.book import (
    ASSET_CLASS_LABELS,
    ASSET_CLASSES,
    DPD_BUCKETS,
    NEVER,
    NPA_CLASSES,
    PROVISION_RATES,
    UNSECURED_PROVISION_RATES,
    Book,
    BookState,
    dpd_bucket,
    rupees,
    to_day,
)
from creditdesk.portfolio.schedule import add_months, month_end, month_key

DEFAULT_LGD = 0.6
DEFAULT_DEFINITION = "90+ DPD (NPA) within 12 months of disbursal"


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _round(value: float | None, places: int = 6) -> float | None:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return round(float(value), places)


def month_ends(book: Book, as_of: date, months: int) -> list[date]:
    """Return up to ``months`` month ends ending with ``as_of`` (the current month's point is ``as_of``)."""
    if book.size == 0:
        return []
    first = date.fromordinal(int(book.disbursed_on.min()))
    points: list[date] = []
    cursor = as_of
    while len(points) < months and cursor >= date(first.year, first.month, 1):
        points.append(cursor)
        cursor = month_end(date(cursor.year, cursor.month, 1) - timedelta(days=1))
    return points[::-1]


def _provisions(book: Book, state: BookState) -> np.ndarray:
    """Return the minimum provision (paise, float) per loan by asset class and security."""
    secured = np.array([PROVISION_RATES[c] for c in ASSET_CLASSES])
    unsecured = np.array([UNSECURED_PROVISION_RATES[c] for c in ASSET_CLASSES])
    cls = np.maximum(state.asset_class, 0)
    rate = np.where(book.secured, secured[cls], unsecured[cls])
    return np.where(state.active, state.outstanding * rate, 0.0)


def horizon_days(book: Book, months: int) -> np.ndarray:
    """Return, per loan, the day ``months`` after disbursal."""
    return np.array(
        [to_day(add_months(date.fromordinal(int(d)), months)) for d in book.disbursed_on.tolist()], dtype=np.int64
    )


# --------------------------------------------------------------------------------------------------
# summary and NPA


def summary(book: Book, as_of: date, *, approvals: dict[str, Any] | None = None, lgd: float = DEFAULT_LGD) -> dict:
    """Return the portfolio headline figures at the end of ``as_of``."""
    st = book.state(as_of)
    day = st.day
    outstanding = int(st.outstanding.sum())
    npa = st.npa
    npa_amount = int(st.outstanding[npa].sum())
    provisions = _provisions(book, st)
    npa_prov = float(provisions[npa].sum())
    pd_ = np.where(np.isnan(book.pd), np.nanmean(book.pd) if np.isfinite(book.pd).any() else 0.0, book.pd)
    observed = st.disbursed & (horizon_days(book, 12) <= day)
    defaults_12m = observed & (book.first_over[90] <= horizon_days(book, 12))
    ever_default = st.disbursed & book.defaulted_by(day)
    weights = st.outstanding[st.active].astype(float)
    return {
        "as_of": as_of,
        "loans": {"total": int(st.disbursed.sum()), "active": int(st.active.sum()), "closed": int(st.closed.sum())},
        "disbursed_amount": rupees(book.principal[st.disbursed].sum()),
        "outstanding_principal": rupees(outstanding),
        "collected_amount": rupees(st.paid[st.disbursed].sum()),
        "overdue_amount": rupees(st.arrears.sum()),
        "gross_npa": {
            "loans": int(npa.sum()),
            "outstanding": rupees(npa_amount),
            "ratio": _round(_ratio(npa_amount, outstanding)),
        },
        "net_npa": {
            "provisions": rupees(round(npa_prov)),
            "ratio": _round(_ratio(npa_amount - npa_prov, outstanding - npa_prov)),
        },
        "provisions_total": rupees(round(float(provisions.sum()))),
        "default_rate": _round(_ratio(int(ever_default.sum()), int(st.disbursed.sum()))),
        "default_rate_12m": _round(_ratio(int(defaults_12m.sum()), int(observed.sum()))),
        "default_definition": "ever 90+ DPD (NPA); default_rate_12m: "
        + DEFAULT_DEFINITION
        + ", over loans disbursed at least 12 months ago",
        "average_pd": _round(float(np.average(pd_[st.active], weights=weights)) if weights.sum() else None),
        "expected_loss": rupees(round(float((pd_[st.active] * weights).sum() * lgd))),
        "lgd": lgd,
        "applications": (approvals or {}).get("applications"),
        "approval_rate": (approvals or {}).get("approval_rate"),
    }


def npa_breakdown(book: Book, as_of: date) -> dict[str, Any]:
    """Return active loans by RBI asset class (count and outstanding), adding up to the totals."""
    st = book.state(as_of)
    rows = []
    for i, name in enumerate(ASSET_CLASSES):
        mask = st.active & (st.asset_class == i)
        rows.append(
            {
                "asset_class": name,
                "label": ASSET_CLASS_LABELS[name],
                "npa": name in NPA_CLASSES,
                "loans": int(mask.sum()),
                "outstanding": rupees(st.outstanding[mask].sum()),
            }
        )
    total_amount = int(st.outstanding[st.active].sum())
    npa = st.npa
    npa_amount = int(st.outstanding[npa].sum())
    doubtful = st.active & np.isin(
        st.asset_class, [ASSET_CLASSES.index(c) for c in ("doubtful_1", "doubtful_2", "doubtful_3")]
    )
    sma = st.active & np.isin(st.asset_class, [1, 2, 3])
    return {
        "as_of": as_of,
        "classes": rows,
        "totals": {"loans": int(st.active.sum()), "outstanding": rupees(total_amount)},
        "groups": {
            "standard": _group(st, st.active & (st.asset_class == 0)),
            "sma": _group(st, sma),
            "npa": _group(st, npa),
            "doubtful": _group(st, doubtful),
        },
        "gross_npa_ratio": _round(_ratio(npa_amount, total_amount)),
    }


def _group(st: BookState, mask: np.ndarray) -> dict[str, Any]:
    return {"loans": int(mask.sum()), "outstanding": rupees(st.outstanding[mask].sum())}


# --------------------------------------------------------------------------------------------------
# trends


def delinquency(book: Book, as_of: date, months: int = 24) -> dict[str, Any]:
    """Return 30+/60+/90+ DPD rates by count and by outstanding, per month end."""
    out = []
    for point in month_ends(book, as_of, months):
        st = book.state(point)
        active = st.active
        loans = int(active.sum())
        if loans == 0:
            continue
        amount = float(st.outstanding[active].sum())
        row: dict[str, Any] = {
            "month": month_key(point),
            "as_of": point,
            "loans": loans,
            "outstanding": rupees(int(amount)),
        }
        for limit in (30, 60, 90):
            over = active & (st.dpd > limit)
            row[f"dpd{limit}_rate"] = _round(over.sum() / loans)
            row[f"dpd{limit}_amount_rate"] = _round(_ratio(float(st.outstanding[over].sum()), amount) or 0.0)
        npa = st.npa
        row["gross_npa_ratio"] = _round(_ratio(float(st.outstanding[npa].sum()), amount) or 0.0)
        out.append(row)
    return {
        "as_of": as_of,
        "definition": "share of active loans (and of their outstanding principal) more than "
        "30 / 60 / 90 days past due at each month end",
        "months": out,
    }


def vintage(book: Book, as_of: date, max_mob: int = 24) -> dict[str, Any]:
    """Return cumulative ever-30+ and ever-90+ rates by origination month and months on book."""
    day = to_day(as_of)
    disbursed = book.disbursed_on <= day
    cohorts: dict[str, list[int]] = {}
    for i, d in enumerate(book.disbursed_on.tolist()):
        if disbursed[i]:
            cohorts.setdefault(month_key(date.fromordinal(d)), []).append(i)
    out = []
    for key in sorted(cohorts):
        idx = np.array(cohorts[key])
        start = date(int(key[:4]), int(key[5:]), 1)
        curve = []
        for mob in range(1, max_mob + 1):
            point = month_end(add_months(start, mob))
            if point > as_of:
                break
            pday = to_day(point)
            curve.append(
                {
                    "mob": mob,
                    "dpd30_rate": _round(float((book.first_over[30][idx] <= pday).mean())),
                    "dpd90_rate": _round(float((book.first_over[90][idx] <= pday).mean())),
                }
            )
        out.append(
            {
                "origination_month": key,
                "loans": len(idx),
                "amount": rupees(book.principal[idx].sum()),
                "curve": curve,
            }
        )
    return {
        "as_of": as_of,
        "definition": "share of a month's disbursals that were ever more than 30 (90) days "
        "past due by the end of each month on book",
        "vintages": out,
    }


def roll_rates(book: Book, as_of: date, months: int = 6) -> dict[str, Any]:
    """Return the month-to-month transition matrix between DPD buckets, pooled over recent months."""
    points = month_ends(book, as_of, months + 1)
    to_names = [*DPD_BUCKETS, "closed"]
    counts = np.zeros((len(DPD_BUCKETS), len(to_names)), dtype=np.int64)
    for before, after in zip(points, points[1:], strict=False):
        s0, s1 = book.state(before), book.state(after)
        src = dpd_bucket(s0.dpd)
        dst = np.where(s1.closed, len(DPD_BUCKETS), dpd_bucket(s1.dpd))
        mask = s0.active
        np.add.at(counts, (src[mask], dst[mask]), 1)
    rows = []
    for i, name in enumerate(DPD_BUCKETS):
        total = int(counts[i].sum())
        rows.append(
            {
                "from": name,
                "loans": total,
                "counts": {to: int(counts[i, j]) for j, to in enumerate(to_names)},
                "rates": {to: _round(counts[i, j] / total) if total else None for j, to in enumerate(to_names)},
            }
        )
    return {
        "as_of": as_of,
        "transitions": max(len(points) - 1, 0),
        "from_month": month_key(points[0]) if points else None,
        "buckets": list(DPD_BUCKETS),
        "to_buckets": to_names,
        "rows": rows,
    }


def repayments(book: Book, as_of: date, months: int = 12) -> dict[str, Any]:
    """Return repayment behaviour: instalments paid on time / late / unpaid, collection efficiency by month."""
    day = to_day(as_of)
    due_mask = book.i_due <= day
    # paid by each instalment's due date, and by as_of
    p_cum = np.concatenate([[0], np.cumsum(book.p_amount)])
    p_first = np.searchsorted(book.p_loan, np.arange(book.size))
    key_scale = np.int64(1 << 32)
    p_key = book.p_loan * key_scale + book.p_on
    paid_by_due = (
        p_cum[np.searchsorted(p_key, book.i_loan * key_scale + book.i_due, side="right")] - p_cum[p_first[book.i_loan]]
    )
    paid_by_now = (
        p_cum[np.searchsorted(p_key, book.i_loan * key_scale + day, side="right")] - p_cum[p_first[book.i_loan]]
    )
    need = book.i_cum_before + book.i_amount
    on_time = due_mask & (paid_by_due >= need)
    paid_late = due_mask & ~on_time & (paid_by_now >= need)
    unpaid = due_mask & (paid_by_now < need)
    amount_due = int(book.i_amount[due_mask].sum())
    collected = int(book.p_amount[book.p_on <= day].sum())
    monthly = []
    for point in month_ends(book, as_of, months):
        start = to_day(date(point.year, point.month, 1))
        in_month = (book.i_due >= start) & (book.i_due <= to_day(point))
        got = (book.p_on >= start) & (book.p_on <= to_day(point))
        due_amt = int(book.i_amount[in_month].sum())
        got_amt = int(book.p_amount[got].sum())
        monthly.append(
            {
                "month": month_key(point),
                "instalments_due": int(in_month.sum()),
                "amount_due": rupees(due_amt),
                "collected": rupees(got_amt),
                "collection_efficiency": _round(_ratio(got_amt, due_amt)),
                "on_time_rate": _round(_ratio(int((in_month & on_time).sum()), int(in_month.sum()))),
            }
        )
    count = int(due_mask.sum())
    return {
        "as_of": as_of,
        "instalments_due": count,
        "paid_on_time": int(on_time.sum()),
        "paid_late": int(paid_late.sum()),
        "unpaid": int(unpaid.sum()),
        "on_time_rate": _round(_ratio(int(on_time.sum()), count)),
        "amount_due": rupees(amount_due),
        "amount_collected": rupees(collected),
        "collection_efficiency": _round(_ratio(collected, amount_due)),
        "months": monthly,
    }


# --------------------------------------------------------------------------------------------------
# model performance as outcomes land


def performance(book: Book, as_of: date, horizon_months: int = 12) -> dict[str, Any]:
    """Return AUC, KS and calibration of the origination PD against realised defaults within the horizon."""
    day = to_day(as_of)
    ends = horizon_days(book, horizon_months)
    has_pd = np.isfinite(book.pd)
    observed = (book.disbursed_on <= day) & (ends <= day) & has_pd
    y = (book.first_over[90] <= ends).astype(int)
    overall = _metrics(y[observed], book.pd[observed])
    calibration = []
    if observed.sum() >= 10:
        for row in evaluation.calibration_by_decile(y[observed], book.pd[observed]):
            mean_pd = row["mean_pd"] or 0.0
            se = math.sqrt(max(mean_pd * (1 - mean_pd), 1e-9) / row["count"])
            rate = row["default_rate"] or 0.0
            calibration.append(
                {
                    **row,
                    "defaults": round(rate * row["count"]),
                    "expected_defaults": _round(mean_pd * row["count"], 2),
                    "standard_error": _round(se),
                    "z": _round((rate - mean_pd) / se),
                }
            )
    months = []
    cohorts: dict[str, list[int]] = {}
    for i, d in enumerate(book.disbursed_on.tolist()):
        if d <= day and has_pd[i]:
            cohorts.setdefault(month_key(date.fromordinal(d)), []).append(i)
    for key in sorted(cohorts):
        idx = np.array(cohorts[key])
        complete = bool((ends[idx] <= day).all())
        seen = (book.first_over[90][idx] <= np.minimum(ends[idx], day)).astype(int)
        months.append(
            {
                "month": key,
                "complete": complete,
                **_metrics(seen, book.pd[idx], min_rows=30),
            }
        )
    return {
        "as_of": as_of,
        "horizon_months": horizon_months,
        "definition": f"default = 90+ DPD (NPA) within {horizon_months} months of disbursal; PD = the PD at "
        "origination; months are origination cohorts (complete once every loan has been on book for the horizon)",
        "overall": overall,
        "calibration": calibration,
        "months": months,
    }


def _metrics(y: np.ndarray, pd_: np.ndarray, min_rows: int = 10) -> dict[str, Any]:
    n = len(y)
    both = n >= min_rows and 0 < int(y.sum()) < n
    return {
        "loans": n,
        "defaults": int(y.sum()),
        "default_rate": _round(float(y.mean())) if n else None,
        "mean_pd": _round(float(pd_.mean())) if n else None,
        "auc": _round(evaluation.auc(y, pd_)) if both else None,
        "ks": _round(evaluation.ks(y, pd_)) if both else None,
        "gini": _round(evaluation.gini(y, pd_)) if both else None,
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


def npa_forecast(
    book: Book, as_of: date, *, horizon: int = 90, lookback_months: int = 6, min_observations: int = 20
) -> dict[str, Any]:
    """Return loans and amount expected to become NPA within ``horizon`` days, by bucket, with the method."""
    st = book.state(as_of)
    day = st.day
    fallback_pd = float(np.nanmean(book.pd)) if np.isfinite(book.pd).any() else 0.05
    pd_ = np.where(np.isfinite(book.pd), book.pd, fallback_pd)
    hazard = 1.0 - np.power(1.0 - np.clip(pd_, 0.0, 0.999), horizon / 365.0)
    # empirical flow to NPA by bucket at past month ends with a full horizon of follow-up
    obs = np.zeros(4)
    hits = np.zeros(4)
    points = [p for p in month_ends(book, as_of, lookback_months + 6) if to_day(p) + horizon <= day][-lookback_months:]
    for point in points:
        past = book.state(point)
        pday = past.day
        entering = (book.s_start > pday) & (book.s_start <= pday + horizon)
        became = np.zeros(book.size, dtype=bool)
        became[book.s_loan[entering]] = True
        for b in range(4):
            members = past.active & (past.asset_class == b)
            obs[b] += members.sum()
            hits[b] += (members & became).sum()
    buckets = []
    total = {"loans": 0, "outstanding": 0, "expected_loans": 0.0, "expected_amount": 0.0}
    for b in range(4):
        name = ASSET_CLASSES[b]
        members = st.active & (st.asset_class == b)
        if obs[b] >= min_observations:
            rate, source = float(hits[b] / obs[b]), "history"
        else:
            rate, source = PRIOR_FLOW.get(name), "prior"
        if rate is None:  # Standard without history: the PD over the horizon
            prob = hazard[members]
        else:
            mean_pd = float(pd_[members].mean()) if members.any() else fallback_pd
            prob = np.clip(rate * pd_[members] / (mean_pd or fallback_pd), 0.0, 1.0)
        expected_loans = float(prob.sum())
        expected_amount = float((prob * st.outstanding[members]).sum())
        buckets.append(
            {
                "bucket": name,
                "label": ASSET_CLASS_LABELS[name],
                "loans": int(members.sum()),
                "outstanding": rupees(st.outstanding[members].sum()),
                "flow_rate": _round(rate),
                "observations": int(obs[b]),
                "source": source,
                "expected_loans": _round(expected_loans, 2),
                "expected_amount": rupees(round(expected_amount)),
            }
        )
        total["loans"] += int(members.sum())
        total["outstanding"] += int(st.outstanding[members].sum())
        total["expected_loans"] += expected_loans
        total["expected_amount"] += expected_amount
    current_npa = int(st.outstanding[st.npa].sum())
    all_outstanding = int(st.outstanding[st.active].sum())
    return {
        "as_of": as_of,
        "horizon_days": horizon,
        "method": FORECAST_METHOD.format(h=horizon, m=lookback_months, k=min_observations),
        "buckets": buckets,
        "total": {
            "loans": total["loans"],
            "outstanding": rupees(total["outstanding"]),
            "expected_loans": _round(total["expected_loans"], 2),
            "expected_amount": rupees(round(total["expected_amount"])),
        },
        "current_npa_outstanding": rupees(current_npa),
        "projected_gross_npa_ratio": _round(_ratio(current_npa + total["expected_amount"], all_outstanding)),
    }


def never_to_none(value: int) -> date | None:
    """Return an ordinal day as a date, or None for NEVER."""
    return None if value >= NEVER else date.fromordinal(int(value))
