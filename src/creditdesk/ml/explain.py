"""Reason codes: turn additive contributions into the texts a lender and applicant read.

Adverse-action reasons (:func:`adverse_reasons`) work the way bureau reason codes do: each feature's
cost is how much more it adds to this applicant's log-odds of default than it adds for a good
reference applicant (a scorecard's best bin; for a tree model the 5th percentile of that feature's
SHAP impact over the training data, kept in the model card as ``reason_reference``). Only costs at
or above a minimum size are reasons, largest first; an empty list ("no significant adverse factor")
is a valid answer. Approvals get key factors instead: the features pushing hardest away from default
(most negative impact). Features that share a text (two delinquency measures) are reported once.
Any feature not in the catalogue — a lender's own dataset — gets a text built from its name.
Texts assert a direction ("High credit utilization") only where the feature has one; features
whose effect can go either way (income seasonality, city tier) get neutral texts, because a
contribution's sign says which way this applicant was pushed, not whether the value was high.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from creditdesk.ml.model import RowExplanation


@dataclass(frozen=True)
class Reason:
    """Adverse and favourable texts for one feature, and the text when its value is missing."""

    adverse: str
    favourable: str
    missing: str | None = None


NO_CREDIT_HISTORY = "No credit history"
NO_SIGNIFICANT_ADVERSE = "No significant adverse factor"
LIMITED_ALT = "Limited bank statement data"

CATALOGUE: dict[str, Reason] = {
    "bureau_score": Reason("Low bureau score", "Strong bureau score", NO_CREDIT_HISTORY),
    "bureau_utilization": Reason("High credit utilization", "Low credit utilization", NO_CREDIT_HISTORY),
    "bureau_dpd_30_last_12m": Reason("Recent delinquency", "No recent delinquency", NO_CREDIT_HISTORY),
    "bureau_max_dpd_last_24m": Reason("Recent delinquency", "No recent delinquency", NO_CREDIT_HISTORY),
    "bureau_enquiries_last_6m": Reason("Many recent enquiries", "Few recent credit enquiries", NO_CREDIT_HISTORY),
    "bureau_credit_history_months": Reason("Short credit history", "Long credit history", NO_CREDIT_HISTORY),
    "bureau_active_accounts": Reason("Number of active credit accounts", "Healthy credit mix", NO_CREDIT_HISTORY),
    "bureau_written_off": Reason("Written-off or settled account", "No written-off accounts"),
    "new_to_credit": Reason(NO_CREDIT_HISTORY, "Established credit history"),
    "foir": Reason("High EMI to income ratio", "Low EMI to income ratio"),
    "emi": Reason("High EMI for the requested loan", "Affordable EMI"),
    "loan_to_income": Reason("High loan amount relative to income", "Loan amount well within income"),
    "loan_amount": Reason("Large loan amount requested", "Modest loan amount"),
    "existing_emi": Reason("High existing EMI obligations", "Low existing obligations"),
    "monthly_income": Reason("Income low for the amount requested", "Income comfortably covers the loan"),
    "employment_type": Reason("Type of employment ({value})", "Type of employment ({value})"),
    "employment_years": Reason("Short time in current employment", "Long employment tenure"),
    "age": Reason("Applicant age ({value})", "Applicant age ({value})"),
    "residence_type": Reason("Type of residence ({value})", "Type of residence ({value})"),
    "city_tier": Reason("Location (tier-{value} city)", "Location (tier-{value} city)"),
    "purpose": Reason("Purpose of the loan ({value})", "Purpose of the loan ({value})"),
    "tenure_months": Reason("Loan tenure requested ({value} months)", "Loan tenure ({value} months)"),
    "interest_rate": Reason("Interest rate on the loan", "Interest rate on the loan"),
    "alt_avg_monthly_inflow": Reason("Bank account inflows", "Bank account inflows", LIMITED_ALT),
    "alt_inflow_to_income": Reason(
        "Bank inflows do not support declared income", "Bank inflows confirm declared income", LIMITED_ALT
    ),
    "alt_inflow_regularity": Reason("Irregular income inflows", "Regular income inflows", LIMITED_ALT),
    "alt_bounced_emis_last_6m": Reason("Bounced EMIs", "No bounced EMIs", LIMITED_ALT),
    "alt_upi_txn_per_month": Reason("Digital payment activity", "Active digital payment history", LIMITED_ALT),
    "alt_balance_volatility": Reason("Account balance volatility", "Stable account balance", LIMITED_ALT),
    "alt_income_seasonality": Reason("Income seasonality", "Income seasonality", LIMITED_ALT),
    "alt_digital_footprint_months": Reason("Digital footprint age", "Long-standing digital footprint", LIMITED_ALT),
}


#: Feature names in the lender's words (charts, reason lists, the decision's inputs).
LABELS: dict[str, str] = {
    "age": "Age",
    "employment_type": "Type of employment",
    "employment_years": "Years in current job",
    "monthly_income": "Monthly income",
    "existing_emi": "Existing EMIs",
    "residence_type": "Type of residence",
    "city_tier": "City tier",
    "loan_amount": "Loan amount",
    "tenure_months": "Tenure (months)",
    "interest_rate": "Interest rate (% p.a.)",
    "purpose": "Loan purpose",
    "emi": "EMI of this loan",
    "foir": "EMIs to income (FOIR)",
    "loan_to_income": "Loan to annual income",
    "new_to_credit": "New to credit",
    "bureau_score": "Bureau score",
    "bureau_utilization": "Credit utilisation",
    "bureau_dpd_30_last_12m": "30+ DPD in last 12 months",
    "bureau_max_dpd_last_24m": "Worst DPD in last 24 months",
    "bureau_enquiries_last_6m": "Enquiries in last 6 months",
    "bureau_credit_history_months": "Credit history (months)",
    "bureau_active_accounts": "Active credit accounts",
    "bureau_written_off": "Written-off account",
    "alt_avg_monthly_inflow": "Average monthly inflow",
    "alt_inflow_to_income": "Inflow to declared income",
    "alt_inflow_regularity": "Regularity of inflows",
    "alt_bounced_emis_last_6m": "Bounced EMIs (6 months)",
    "alt_upi_txn_per_month": "UPI payments per month",
    "alt_balance_volatility": "Balance volatility",
    "alt_income_seasonality": "Income seasonality",
    "alt_digital_footprint_months": "Digital footprint (months)",
}


def label(feature: str) -> str:
    """The lender's word for a feature (a name built from the column for a lender's own dataset)."""
    return LABELS.get(feature) or _humanise(feature)


def _humanise(feature: str) -> str:
    text = feature.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def reason_text(feature: str, value: Any = None, adverse: bool = True) -> str | None:
    """Return the reason text for a feature pushing towards (adverse) or away from default.

    None when there is nothing truthful to say: a missing value is never a favourable factor
    ("Strong bureau score" for an applicant without a bureau record would be false).
    """
    reason = CATALOGUE.get(feature)
    if reason is None:
        return f"{_humanise(feature)}: {'unfavourable' if adverse else 'favourable'} value"
    if _missing(value) and reason.missing is not None:
        return reason.missing if adverse else None
    text = reason.adverse if adverse else reason.favourable
    if "{value}" in text:
        shown = _shown(value)
        text = text.replace(" ({value})", "").replace("{value}", "") if shown is None else text.format(value=shown)
    return text


def _shown(value: Any) -> str | None:
    """A value as a borrower reads it inside a reason ("self employed", "3", "36")."""
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("_", " ")


def _items(
    contributions: RowExplanation | Mapping[str, float] | Iterable[Mapping[str, Any]],
    values: Mapping[str, Any] | None,
    use_points: bool,
) -> list[tuple[str, float, Any]]:
    if isinstance(contributions, RowExplanation):
        source = contributions.points_lost if use_points and contributions.points_lost is not None else None
        impacts = source if source is not None else contributions.contributions
        row_values: Mapping[str, Any] = contributions.values
        return [(name, float(impact), row_values.get(name)) for name, impact in impacts.items()]
    if isinstance(contributions, Mapping):
        vals = values or {}
        return [(name, float(impact), vals.get(name)) for name, impact in contributions.items()]
    out = []
    for item in contributions:
        impact = item["points_lost"] if use_points and "points_lost" in item else item["impact"]
        out.append((str(item["feature"]), float(impact), item.get("value")))
    return out


def reasons(
    contributions: RowExplanation | Mapping[str, float] | Iterable[Mapping[str, Any]],
    n: int = 3,
    values: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return up to ``n`` distinct adverse reason texts, strongest push towards default first.

    Accepts a RowExplanation (a scorecard's is ranked by points lost), a mapping feature → impact,
    or the §5 ``contributions`` list of ``{"feature","value","impact"}``.
    """
    items = [item for item in _items(contributions, values, use_points=True) if item[1] > 0]
    items.sort(key=lambda item: -item[1])
    return _distinct([reason_text(name, value, adverse=True) for name, _, value in items], n)


def positive_factors(
    contributions: RowExplanation | Mapping[str, float] | Iterable[Mapping[str, Any]],
    n: int = 3,
    values: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return up to ``n`` distinct favourable factor texts, strongest push away from default first."""
    items = [item for item in _items(contributions, values, use_points=False) if item[1] < 0]
    items.sort(key=lambda item: item[1])
    return _distinct([reason_text(name, value, adverse=False) for name, _, value in items], n)


def _distinct(texts: list[str | None], n: int) -> list[str]:
    seen: list[str] = []
    for text in texts:
        if text is not None and text not in seen:
            seen.append(text)
        if len(seen) == n:
            break
    return seen


def adverse_reasons(
    explanation: RowExplanation,
    *,
    reference: Mapping[str, float] | None,
    min_impact: float,
    n: int = 4,
    exclude: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Return the adverse-action reasons of one decision, largest cost first (possibly none).

    Each item is ``{"feature","label","reason","impact","value"}`` where ``impact`` is the cost in
    log-odds against the good reference (``reference[feature]``; 0 — the average applicant — for a
    feature the reference does not name). Costs below ``min_impact`` are not reasons; features sharing
    a text are reported once, at their largest cost. ``exclude`` names features that must not be
    reasons (e.g. bureau features when the bureaus could not be reached: their missing values say
    nothing about the applicant).
    """
    skip = set(exclude)
    ref = reference or {}
    items: list[dict[str, Any]] = []
    for name, impact in explanation.contributions.items():
        if name in skip:
            continue
        cost = float(impact) - float(ref.get(name, 0.0))
        if not cost >= min_impact:  # also drops NaN
            continue
        value = explanation.values.get(name)
        text = reason_text(name, value, adverse=True)
        if text is None:
            continue
        items.append({"feature": name, "label": label(name), "reason": text, "impact": cost, "value": value})
    items.sort(key=lambda item: -item["impact"])
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if item["reason"] in seen:
            continue
        seen.add(item["reason"])
        out.append({**item, "impact": round(item["impact"], 6), "value": _json_safe(item["value"])})
        if len(out) == n:
            break
    return out


def _json_safe(value: Any) -> Any:
    if _missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
