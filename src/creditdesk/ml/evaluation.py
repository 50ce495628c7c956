"""Validation metrics, model-card sections, drift baselines and the swap-set analysis.

Everything returns plain JSON-safe dicts and lists so the registry can store the report as is.
PD thresholds follow the policy defaults (approve below 0.30, reject at or above 0.60).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sklearn.metrics import roc_auc_score, roc_curve  # type: ignore[import-untyped]

APPROVE_BELOW = 0.30
REJECT_AT_OR_ABOVE = 0.60
FAIRNESS_THRESHOLD = 0.8
MIN_GROUP_SIZE = 30
AGE_BANDS = ((0, 25, "<25"), (25, 35, "25-34"), (35, 45, "35-44"), (45, 60, "45-59"), (60, 200, "60+"))
PD_EDGES = [0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.45, 0.60, 0.80, 1.0]


def _f(value: float | None) -> float | None:
    """Return a JSON-safe float (None for NaN/inf)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


# --------------------------------------------------------------------------------------------------
# discrimination and calibration


def auc(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Return the ROC AUC of PDs against outcomes (NaN when only one class is present)."""
    y_arr = np.asarray(y)
    if len(np.unique(y_arr)) < 2:
        return math.nan
    return float(roc_auc_score(y_arr, np.asarray(pd_, dtype=float)))


def gini(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Return the Gini coefficient, 2·AUC − 1."""
    return 2.0 * auc(y, pd_) - 1.0


def ks(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Return the Kolmogorov–Smirnov statistic between the PD distributions of goods and bads."""
    y_arr = np.asarray(y)
    if len(np.unique(y_arr)) < 2:
        return math.nan
    fpr, tpr, _ = roc_curve(y_arr, np.asarray(pd_, dtype=float))
    return float(np.max(tpr - fpr))


def brier(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Return the Brier score, the mean squared error of PD against outcome."""
    return float(np.mean((np.asarray(pd_, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def log_loss(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Return the mean binary cross-entropy."""
    p = np.clip(np.asarray(pd_, dtype=float), 1e-15, 1 - 1e-15)
    y_arr = np.asarray(y, dtype=float)
    return float(-np.mean(y_arr * np.log(p) + (1 - y_arr) * np.log(1 - p)))


def metrics(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """Return AUC, Gini, KS, Brier, log loss, rows and default rate."""
    y_arr = np.asarray(y)
    return {
        "auc": _f(auc(y_arr, pd_)),
        "gini": _f(gini(y_arr, pd_)),
        "ks": _f(ks(y_arr, pd_)),
        "brier": _f(brier(y_arr, pd_)),
        "log_loss": _f(log_loss(y_arr, pd_)),
        "rows": len(y_arr),
        "default_rate": _f(float(np.mean(y_arr)) if len(y_arr) else math.nan),
        "mean_pd": _f(float(np.mean(pd_)) if len(y_arr) else math.nan),
    }


def calibration_by_decile(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> list[dict[str, Any]]:
    """Return predicted vs observed default rate for each PD decile (decile 1 = safest)."""
    y_arr = np.asarray(y, dtype=float)
    p = np.asarray(pd_, dtype=float)
    order = np.argsort(p, kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, 10), start=1):
        if len(idx) == 0:
            continue
        rows.append(
            {
                "decile": i,
                "count": len(idx),
                "min_pd": _f(p[idx].min()),
                "max_pd": _f(p[idx].max()),
                "mean_pd": _f(p[idx].mean()),
                "default_rate": _f(y_arr[idx].mean()),
            }
        )
    return rows


def decision_band(pd_: np.ndarray, approve_below: float, reject_at_or_above: float) -> np.ndarray:
    """Return Approve/Review/Reject per PD under the policy thresholds."""
    p = np.asarray(pd_, dtype=float)
    return np.where(p < approve_below, "Approve", np.where(p >= reject_at_or_above, "Reject", "Review"))


def confusion_at_thresholds(
    y: Sequence[int] | np.ndarray,
    pd_: Sequence[float] | np.ndarray,
    approve_below: float = APPROVE_BELOW,
    reject_at_or_above: float = REJECT_AT_OR_ABOVE,
) -> dict[str, Any]:
    """Return counts and default rates per decision band plus the approve-vs-rest confusion matrix."""
    y_arr = np.asarray(y, dtype=int)
    band = decision_band(np.asarray(pd_, dtype=float), approve_below, reject_at_or_above)
    bands = {}
    for name in ("Approve", "Review", "Reject"):
        mask = band == name
        count = int(mask.sum())
        bands[name] = {
            "count": count,
            "share": _f(count / len(y_arr)) if len(y_arr) else None,
            "defaults": int(y_arr[mask].sum()),
            "default_rate": _f(y_arr[mask].mean()) if count else None,
        }
    approved = band == "Approve"
    return {
        "approve_below": approve_below,
        "reject_at_or_above": reject_at_or_above,
        "bands": bands,
        # Positive class = default; a model "predicts default" when it does not approve.
        "approve_vs_rest": {
            "true_positive": int(((~approved) & (y_arr == 1)).sum()),
            "false_positive": int(((~approved) & (y_arr == 0)).sum()),
            "true_negative": int((approved & (y_arr == 0)).sum()),
            "false_negative": int((approved & (y_arr == 1)).sum()),
        },
    }


# --------------------------------------------------------------------------------------------------
# drift baselines and PSI


def distribution(values: Sequence[Any] | pd.Series, kind: str = "numeric", bins: int = 10) -> dict[str, Any]:
    """Return a baseline distribution: quantile bin edges (or levels) with proportions and missing share."""
    series = pd.Series(values)
    n = len(series)
    if kind == "categorical":
        text = series.astype("object").where(series.notna(), None)
        counts = text.dropna().astype(str).value_counts()
        levels = counts.index.tolist()
        return {
            "kind": "categorical",
            "levels": levels,
            "proportions": [float(c / n) for c in counts.tolist()] if n else [],
            "missing": float(text.isna().mean()) if n else 0.0,
        }
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    finite = x[np.isfinite(x)]
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(finite, inner)) if len(finite) else np.array([])
    return {
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "proportions": _numeric_proportions(x, edges),
        "missing": float(np.mean(~np.isfinite(x))) if n else 0.0,
    }


def _numeric_proportions(x: np.ndarray, edges: np.ndarray | Sequence[float]) -> list[float]:
    n = len(x)
    finite = x[np.isfinite(x)]
    idx = np.searchsorted(np.asarray(edges, dtype=float), finite, side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1)
    return [float(c / n) if n else 0.0 for c in counts]


def proportions(baseline: Mapping[str, Any], values: Sequence[Any] | pd.Series) -> list[float]:
    """Bin new values with a baseline's edges/levels; return proportions incl. a trailing missing share."""
    series = pd.Series(values)
    n = len(series)
    if baseline["kind"] == "categorical":
        levels = list(baseline["levels"])
        text = series.astype("object").where(series.notna(), None)
        missing = text.isna()
        counts = text[~missing].astype(str).value_counts()
        known = [float(counts.get(level, 0) / n) if n else 0.0 for level in levels]
        other = float(counts[~counts.index.isin(levels)].sum() / n) if n else 0.0
        return [*known, other, float(missing.mean()) if n else 0.0]
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return [*_numeric_proportions(x, baseline["edges"]), float(np.mean(~np.isfinite(x))) if n else 0.0]


def baseline_proportions(baseline: Mapping[str, Any]) -> list[float]:
    """Return a baseline's expected proportions in the layout :func:`proportions` produces."""
    if baseline["kind"] == "categorical":
        return [*baseline["proportions"], 0.0, baseline["missing"]]
    return [*baseline["proportions"], baseline["missing"]]


def psi(expected: Sequence[float], actual: Sequence[float], eps: float = 1e-4) -> float:
    """Return the population stability index Σ (a − e)·ln(a / e) between two binned distributions.

    Both arguments are proportions over the same bins; empty bins are floored at ``eps``.
    Rule of thumb: < 0.10 stable, 0.10–0.25 watch, > 0.25 shifted.
    """
    e = np.maximum(np.asarray(expected, dtype=float), eps)
    a = np.maximum(np.asarray(actual, dtype=float), eps)
    if e.shape != a.shape:
        raise ValueError("expected and actual must have the same bins")
    return float(np.sum((a - e) * np.log(a / e)))


def drift(baseline: Mapping[str, Any], values: Sequence[Any] | pd.Series) -> float:
    """Return the PSI of new raw values against a stored baseline distribution."""
    return psi(baseline_proportions(baseline), proportions(baseline, values))


def psi_level(value: float) -> str:
    """Return ok / warn / alert for a PSI value (0.10 and 0.25 cut-offs)."""
    return "ok" if value < 0.10 else ("warn" if value < 0.25 else "alert")


def baselines(frame: pd.DataFrame, kinds: Mapping[str, str], pd_: np.ndarray) -> dict[str, Any]:
    """Return per-feature baseline distributions and the PD distribution (fixed PD edges)."""
    features = {name: distribution(frame[name], kind) for name, kind in kinds.items() if name in frame.columns}
    p = np.asarray(pd_, dtype=float)
    score = {
        "kind": "numeric",
        "edges": PD_EDGES[1:-1],
        "proportions": _numeric_proportions(p, PD_EDGES[1:-1]),
        "missing": 0.0,
        "mean_pd": _f(p.mean()) if len(p) else None,
        "quantiles": {str(q): _f(np.quantile(p, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)} if len(p) else {},
    }
    return {"features": features, "score": score}


# --------------------------------------------------------------------------------------------------
# fairness


_AGE_NAMES = ("age", "age_in_years", "age_years", "applicant_age", "customer_age")
_GENDER_PATTERN = re.compile(r"(gender|sex|personal_status)", re.IGNORECASE)


def find_age_column(columns: Sequence[str]) -> str | None:
    """Return the column holding age in years, if any."""
    lowered = {c.lower(): c for c in columns}
    for name in _AGE_NAMES:
        if name in lowered:
            return lowered[name]
    return None


def find_gender_column(columns: Sequence[str]) -> str | None:
    """Return a column revealing gender (gender, sex, or German credit's personal_status_and_sex)."""
    for column in columns:
        if _GENDER_PATTERN.search(column):
            return column
    return None


def gender_of(value: Any) -> str:
    """Map a raw gender/sex/personal-status value to female, male or unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    text = str(value).strip().lower()
    if re.search(r"\b(female|woman|women)\b", text) or text in ("f", "w"):
        return "female"
    if re.search(r"\b(male|man|men)\b", text) or text == "m":
        return "male"
    return "unknown"


def age_band(age: Any) -> str:
    """Return the age band label of an age in years."""
    try:
        value = float(age)
    except (TypeError, ValueError):
        return "unknown"
    if math.isnan(value):
        return "unknown"
    for lo, hi, label in AGE_BANDS:
        if lo <= value < hi:
            return label
    return "unknown"


def group_fairness(
    y: np.ndarray,
    pd_: np.ndarray,
    groups: Sequence[str] | np.ndarray,
    approve_below: float = APPROVE_BELOW,
    order: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return approval rate, its ratio to the best-treated group, and AUC for each group.

    A group of at least MIN_GROUP_SIZE rows whose approval-rate ratio falls below 0.8 (the
    four-fifths rule) is flagged.
    """
    y_arr = np.asarray(y, dtype=int)
    p = np.asarray(pd_, dtype=float)
    g = np.asarray(groups, dtype=object)
    names = [name for name in (order or sorted(set(g.tolist()))) if name in set(g.tolist())]
    stats: list[dict[str, Any]] = []
    for name in names:
        mask = g == name
        stats.append(
            {
                "group": name,
                "count": int(mask.sum()),
                "default_rate": _f(y_arr[mask].mean()),
                "approval_rate": _f((p[mask] < approve_below).mean()),
                "mean_pd": _f(p[mask].mean()),
                "auc": _f(auc(y_arr[mask], p[mask])),
            }
        )
    eligible = [s for s in stats if s["count"] >= MIN_GROUP_SIZE and s["group"] != "unknown"]
    best = max((s["approval_rate"] or 0.0 for s in eligible), default=0.0)
    flags = []
    for s in stats:
        ratio = (s["approval_rate"] or 0.0) / best if best > 0 else None
        s["approval_rate_ratio"] = _f(ratio)
        s["sufficient_sample"] = s["count"] >= MIN_GROUP_SIZE
        s["flagged"] = bool(s in eligible and ratio is not None and ratio < FAIRNESS_THRESHOLD)
        if s["flagged"]:
            flags.append(s["group"])
    return {"groups": stats, "reference_approval_rate": _f(best), "flagged": flags}


def fairness_report(
    y: np.ndarray,
    pd_: np.ndarray,
    data: pd.DataFrame,
    approve_below: float = APPROVE_BELOW,
) -> dict[str, Any]:
    """Return fairness by age band and by gender (where a column reveals them) on scored rows."""
    report: dict[str, Any] = {"threshold": FAIRNESS_THRESHOLD, "approve_below": approve_below}
    age_col = find_age_column(list(data.columns))
    if age_col is not None:
        bands = [age_band(v) for v in data[age_col].tolist()]
        section = group_fairness(y, pd_, bands, approve_below, [label for _, _, label in AGE_BANDS] + ["unknown"])
        report["age_band"] = {"column": age_col, **section}
    else:
        report["age_band"] = None
    gender_col = find_gender_column(list(data.columns))
    if gender_col is not None:
        genders = [gender_of(v) for v in data[gender_col].tolist()]
        section = group_fairness(y, pd_, genders, approve_below, ["female", "male", "unknown"])
        report["gender"] = {"column": gender_col, **section}
    else:
        report["gender"] = None
    report["flags"] = [
        {"attribute": attr, "group": group}
        for attr in ("age_band", "gender")
        if report[attr] is not None
        for group in report[attr]["flagged"]
    ]
    return report


# --------------------------------------------------------------------------------------------------
# oracle and swap set


def oracle_section(y: np.ndarray, pd_: np.ndarray, true_pd: np.ndarray) -> dict[str, Any]:
    """Return the oracle AUC (true PD vs outcome) and the model's fraction of it."""
    oracle = auc(y, true_pd)
    model = auc(y, pd_)
    return {"oracle_auc": _f(oracle), "model_auc": _f(model), "fraction": _f(model / oracle)}


def approvals_at_bad_rate(pd_: np.ndarray, y: np.ndarray, target_bad_rate: float) -> int:
    """Return how many applicants a model can approve, safest first, keeping the bad rate ≤ target."""
    order = np.argsort(np.asarray(pd_, dtype=float), kind="stable")
    bads = np.cumsum(np.asarray(y, dtype=float)[order])
    rate = bads / np.arange(1, len(order) + 1)
    ok = np.nonzero(rate <= target_bad_rate + 1e-12)[0]
    return int(ok.max() + 1) if len(ok) else 0


def swap_set(
    pd_a: np.ndarray,
    pd_b: np.ndarray,
    y: np.ndarray,
    target_bad_rate: float | None = None,
    approval_share_b: float = 0.5,
) -> dict[str, Any]:
    """Compare model A with model B at equal bad rate: approvals gained, swap-ins and swap-outs.

    Each model approves its safest applicants while the approved bad rate stays at or below the
    target. Without an explicit target, the target is the bad rate of B's safest
    ``approval_share_b`` of applicants (by default half) — "at the risk appetite B serves half
    the market with". ``gain`` is approvals_A / approvals_B − 1.
    """
    a = np.asarray(pd_a, dtype=float)
    b = np.asarray(pd_b, dtype=float)
    y_arr = np.asarray(y, dtype=int)
    n = len(y_arr)
    if target_bad_rate is None:
        k = max(1, int(round(approval_share_b * n)))
        target_bad_rate = float(y_arr[np.argsort(b, kind="stable")[:k]].mean())
    n_a = approvals_at_bad_rate(a, y_arr, target_bad_rate)
    n_b = approvals_at_bad_rate(b, y_arr, target_bad_rate)
    approved_a = np.zeros(n, dtype=bool)
    approved_b = np.zeros(n, dtype=bool)
    approved_a[np.argsort(a, kind="stable")[:n_a]] = True
    approved_b[np.argsort(b, kind="stable")[:n_b]] = True
    swap_in = approved_a & ~approved_b
    swap_out = approved_b & ~approved_a
    return {
        "target_bad_rate": _f(target_bad_rate),
        "rows": n,
        "approvals_a": n_a,
        "approvals_b": n_b,
        "approval_rate_a": _f(n_a / n) if n else None,
        "approval_rate_b": _f(n_b / n) if n else None,
        "bad_rate_a": _f(y_arr[approved_a].mean()) if n_a else None,
        "bad_rate_b": _f(y_arr[approved_b].mean()) if n_b else None,
        "gain": _f(n_a / n_b - 1.0) if n_b else None,
        "swap_in": {"count": int(swap_in.sum()), "bad_rate": _f(y_arr[swap_in].mean()) if swap_in.any() else None},
        "swap_out": {"count": int(swap_out.sum()), "bad_rate": _f(y_arr[swap_out].mean()) if swap_out.any() else None},
    }


def swap_set_curve(
    pd_a: np.ndarray, pd_b: np.ndarray, y: np.ndarray, shares: Sequence[float] = (0.3, 0.5, 0.7)
) -> list[dict[str, Any]]:
    """Return the swap-set analysis at several risk appetites (B approval shares)."""
    return [{"approval_share_b": s, **swap_set(pd_a, pd_b, y, approval_share_b=s)} for s in shares]
