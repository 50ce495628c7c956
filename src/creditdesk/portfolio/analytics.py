"""Portfolio analytics over a :class:`~creditdesk.portfolio.book.Book`: pure functions returning JSON-ready dicts.

Summary, NPA breakdown, vintage curves, roll rates and repayment statistics, and the helpers the
book's other readers share (month ends, origination cohorts, JSON-safe ratios). Month-end positions
are recomputed from the ledger each time (see ``book.py``), so a back-dated payment corrects every
trend it touches. Monitoring's trends over the book (delinquency, model performance, NPA forecast)
are in ``monitoring/analytics.py``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from creditdesk.portfolio.book import (
    ASSET_CLASS_LABELS,
    ASSET_CLASSES,
    DPD_BUCKETS,
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


def ratio(numerator: float, denominator: float) -> float | None:
    """Return numerator ÷ denominator as a float, or None when the denominator is zero."""
    return None if not denominator else float(numerator) / float(denominator)


def rounded(value: float | None, places: int = 6) -> float | None:
    """Return a JSON-safe rounded float (None for None, NaN and infinity)."""
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


def origination_cohorts(book: Book, include: np.ndarray) -> dict[str, np.ndarray]:
    """Return the included loans' indices by origination month ("YYYY-MM"), oldest month first."""
    cohorts: dict[str, list[int]] = {}
    for i in np.flatnonzero(include).tolist():
        cohorts.setdefault(month_key(date.fromordinal(int(book.disbursed_on[i]))), []).append(i)
    return {key: np.array(cohorts[key]) for key in sorted(cohorts)}


def horizon_days(book: Book, months: int) -> np.ndarray:
    """Return, per loan, the day ``months`` after disbursal."""
    return np.array(
        [to_day(add_months(date.fromordinal(int(d)), months)) for d in book.disbursed_on.tolist()], dtype=np.int64
    )


# --------------------------------------------------------------------------------------------------
# summary and NPA


def summary(book: Book, as_of: date, *, lgd: float = DEFAULT_LGD) -> dict[str, Any]:
    """Return the portfolio headline figures at the end of ``as_of`` (the approval rate is added by ``reports``)."""
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
            "ratio": rounded(ratio(npa_amount, outstanding)),
        },
        "net_npa": {
            "provisions": rupees(round(npa_prov)),
            "ratio": rounded(ratio(npa_amount - npa_prov, outstanding - npa_prov)),
        },
        "provisions_total": rupees(round(float(provisions.sum()))),
        "default_rate": rounded(ratio(int(ever_default.sum()), int(st.disbursed.sum()))),
        "default_rate_12m": rounded(ratio(int(defaults_12m.sum()), int(observed.sum()))),
        "default_definition": "ever 90+ DPD (NPA); default_rate_12m: "
        + DEFAULT_DEFINITION
        + ", over loans disbursed at least 12 months ago",
        "average_pd": rounded(float(np.average(pd_[st.active], weights=weights)) if weights.sum() else None),
        "expected_loss": rupees(round(float((pd_[st.active] * weights).sum() * lgd))),
        "lgd": lgd,
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
        "gross_npa_ratio": rounded(ratio(npa_amount, total_amount)),
    }


def _group(st: BookState, mask: np.ndarray) -> dict[str, Any]:
    return {"loans": int(mask.sum()), "outstanding": rupees(st.outstanding[mask].sum())}


# --------------------------------------------------------------------------------------------------
# trends


def vintage(book: Book, as_of: date, max_mob: int = 24) -> dict[str, Any]:
    """Return cumulative ever-30+ and ever-90+ rates by origination month and months on book."""
    out = []
    for key, idx in origination_cohorts(book, book.disbursed_on <= to_day(as_of)).items():
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
                    "dpd30_rate": rounded(float((book.first_over[30][idx] <= pday).mean())),
                    "dpd90_rate": rounded(float((book.first_over[90][idx] <= pday).mean())),
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
                "rates": {to: rounded(counts[i, j] / total) if total else None for j, to in enumerate(to_names)},
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
                "collection_efficiency": rounded(ratio(got_amt, due_amt)),
                "on_time_rate": rounded(ratio(int((in_month & on_time).sum()), int(in_month.sum()))),
            }
        )
    count = int(due_mask.sum())
    return {
        "as_of": as_of,
        "instalments_due": count,
        "paid_on_time": int(on_time.sum()),
        "paid_late": int(paid_late.sum()),
        "unpaid": int(unpaid.sum()),
        "on_time_rate": rounded(ratio(int(on_time.sum()), count)),
        "amount_due": rupees(amount_due),
        "amount_collected": rupees(collected),
        "collection_efficiency": rounded(ratio(collected, amount_due)),
        "months": monthly,
    }
