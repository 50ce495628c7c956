"""The one feature definition for training and serving.

An application arrives in the §5 request shape (``applicant``, ``loan``, optional ``bureau``,
optional ``alt_data``) or as a flat batch row (applicant fields by name, ``loan_amount``,
``tenure_months``, ``interest_rate``, ``purpose``, ``bureau_<field>``, ``alt_<field>``). Both are
turned into the same model features:

* :func:`build_frame` — vectorised, for training and batch scoring (list of §5 bodies);
* :func:`build_frame_from_flat` — vectorised, for flat CSV/XLSX batch rows;
* :func:`feature_row` — a pure-Python single-row path for real-time scoring, producing the same
  values as :func:`build_frame` (tested to agree).

Missing values are first-class: a new-to-credit applicant has no bureau record, so every
``bureau_*`` feature is NaN and ``new_to_credit`` is 1; absent alternative data is NaN too. The
model learns what missingness means; nothing is imputed here. Money enters as int, float,
``Decimal`` or a decimal string; model features are floats, while :func:`emi` is the
Decimal-correct instalment for anything shown to a customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from creditdesk.altdata.schemas import ALT_DATA_FIELDS
from creditdesk.bureaus.schemas import BUREAU_NUMERIC_FIELDS
from creditdesk.ml.model import normalise_level
from creditdesk.tenancy import clock

NAN = float("nan")
PAISE = Decimal("0.01")

EMPLOYMENT_TYPES = ("salaried", "self_employed", "gig", "farmer", "student", "unemployed")
RESIDENCE_TYPES = ("owned", "rented", "family", "company_provided", "other")
PURPOSES = (
    "personal",
    "business",
    "education",
    "vehicle",
    "home_improvement",
    "agriculture",
    "medical",
    "consumer_durable",
    "other",
)
CITY_TIERS = ("1", "2", "3")

#: the numeric fields of the application's bureau block (its one flag, written_off, is bureau_written_off)
BUREAU_FIELDS = BUREAU_NUMERIC_FIELDS
#: the keys of the application's alt_data block (its one definition is altdata.schemas.AltData)
ALT_FIELDS = ALT_DATA_FIELDS


@dataclass(frozen=True)
class Feature:
    """One model input: its name, kind, declared monotone direction and meaning."""

    name: str
    kind: Literal["numeric", "categorical"]
    direction: int  # +1: a higher value raises PD; -1: lowers PD; 0: no declared direction
    description: str
    levels: tuple[str, ...] = ()


FEATURES: list[Feature] = [
    Feature("age", "numeric", 0, "Age in completed years at the scoring date"),
    Feature("employment_type", "categorical", 0, "Employment type", EMPLOYMENT_TYPES),
    Feature("employment_years", "numeric", 0, "Years in current employment"),
    Feature("monthly_income", "numeric", 0, "Declared monthly income (INR)"),
    Feature("existing_emi", "numeric", 0, "Existing monthly EMIs (INR)"),
    Feature("residence_type", "categorical", 0, "Residence type", RESIDENCE_TYPES),
    Feature("city_tier", "categorical", 0, "City tier", CITY_TIERS),
    Feature("loan_amount", "numeric", 0, "Requested loan amount (INR)"),
    Feature("tenure_months", "numeric", 0, "Loan tenure in months"),
    Feature("interest_rate", "numeric", 0, "Interest rate, percent per annum"),
    Feature("purpose", "categorical", 0, "Loan purpose", PURPOSES),
    Feature("emi", "numeric", 0, "EMI of the requested loan by amortisation (INR)"),
    Feature("foir", "numeric", +1, "Fixed obligations to income: (existing EMI + new EMI) / income"),
    Feature("loan_to_income", "numeric", 0, "Loan amount / annual income"),
    Feature("new_to_credit", "numeric", 0, "1 when there is no bureau record or no bureau score"),
    Feature("bureau_score", "numeric", -1, "Bureau score 300-900"),
    Feature("bureau_utilization", "numeric", +1, "Revolving credit utilisation (0-1)"),
    Feature("bureau_dpd_30_last_12m", "numeric", +1, "Times 30+ days past due in the last 12 months"),
    Feature("bureau_max_dpd_last_24m", "numeric", +1, "Maximum days past due in the last 24 months"),
    Feature("bureau_enquiries_last_6m", "numeric", +1, "Credit enquiries in the last 6 months"),
    Feature("bureau_credit_history_months", "numeric", 0, "Length of credit history in months"),
    Feature("bureau_active_accounts", "numeric", 0, "Active credit accounts"),
    Feature("bureau_written_off", "numeric", +1, "1 when any account was written off or settled"),
    Feature("alt_avg_monthly_inflow", "numeric", 0, "Average monthly bank/UPI inflow (INR)"),
    Feature("alt_inflow_to_income", "numeric", 0, "Observed inflow / declared income"),
    Feature("alt_inflow_regularity", "numeric", 0, "Regularity of inflows (0-1)"),
    Feature("alt_bounced_emis_last_6m", "numeric", +1, "Bounced EMIs / auto-debits in the last 6 months"),
    Feature("alt_upi_txn_per_month", "numeric", 0, "UPI transactions per month"),
    Feature("alt_balance_volatility", "numeric", 0, "Volatility of the account balance"),
    Feature("alt_income_seasonality", "numeric", 0, "Seasonality of inflows (0-1)"),
    Feature("alt_digital_footprint_months", "numeric", 0, "Age of the applicant's digital footprint (months)"),
]
FEATURE_NAMES: list[str] = [f.name for f in FEATURES]
FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
CATEGORICAL_FEATURES: list[str] = [f.name for f in FEATURES if f.kind == "categorical"]
BUREAU_FEATURES: list[str] = [n for n in FEATURE_NAMES if n.startswith("bureau_")] + ["new_to_credit"]
ALT_FEATURES: list[str] = [n for n in FEATURE_NAMES if n.startswith("alt_")]

# Flat (batch CSV/XLSX) column names that feed the features, in the §5 batch convention.
FLAT_NUMERIC_INPUTS = (
    ["employment_years", "monthly_income", "existing_emi", "loan_amount", "tenure_months", "interest_rate"]
    + [f"bureau_{f}" for f in BUREAU_FIELDS]
    + [f"alt_{f}" for f in ALT_FIELDS]
)
FLAT_INPUTS = [
    "date_of_birth",
    "employment_type",
    "residence_type",
    "city_tier",
    "purpose",
    "bureau_written_off",
] + FLAT_NUMERIC_INPUTS


# --------------------------------------------------------------------------------------------------
# money


def emi(principal: Any, annual_rate_pct: Any, months: int) -> Decimal:
    """Return the amortising EMI in rupees, rounded half-up to paise.

    EMI = P·r·(1+r)^n / ((1+r)^n − 1) with r the monthly rate; P/n when the rate is zero. Computed
    in ``Decimal`` so the figure shown to a customer is exact to the paisa.
    """
    p = Decimal(str(principal))
    n = int(months)
    if n <= 0:
        raise ValueError("months must be positive")
    r = Decimal(str(annual_rate_pct)) / Decimal(1200)
    if r == 0:
        return (p / n).quantize(PAISE, rounding=ROUND_HALF_UP)
    growth = (1 + r) ** n
    return (p * r * growth / (growth - 1)).quantize(PAISE, rounding=ROUND_HALF_UP)


def _emi_float(principal: float, annual_rate_pct: float, months: float) -> float:
    if not (principal == principal and annual_rate_pct == annual_rate_pct and months == months):
        return NAN
    if months <= 0:
        return NAN
    r = annual_rate_pct / 1200.0
    if r == 0:
        return round(principal / months, 2)
    growth: float = (1.0 + r) ** months
    return round(principal * r * growth / (growth - 1.0), 2)


def _emi_array(principal: np.ndarray, annual_rate_pct: np.ndarray, months: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        r = annual_rate_pct / 1200.0
        growth = (1.0 + r) ** months
        amortised = principal * r * growth / (growth - 1.0)
        flat = principal / months
        out = np.where(r == 0, flat, amortised)
        out = np.where(months > 0, out, np.nan)
    return np.round(out, 2)


# --------------------------------------------------------------------------------------------------
# scalar coercion


def _num(value: Any) -> float:
    """Coerce money/count input (int, float, Decimal, numeric string, bool) to float; else NaN."""
    kind = type(value)
    if kind is float:
        return float(value)  # the same object: float() of an exact float returns it
    if kind is int:
        return float(value)
    if value is None:
        return NAN
    if isinstance(value, (int, float, Decimal)):  # bool is an int; numpy floats are floats
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return NAN
        try:
            return float(text)
        except ValueError:
            return NAN
    try:
        return float(value)
    except (TypeError, ValueError):
        return NAN


def _flag(value: Any) -> float:
    """Coerce a yes/no or count field to 1.0/0.0; NaN when absent."""
    if value is None:
        return NAN
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "nan", "none", "null"):
            return NAN
        if text in ("true", "yes", "y"):
            return 1.0
        if text in ("false", "no", "n"):
            return 0.0
    number = _num(value)
    if number != number:
        return NAN
    return 1.0 if number > 0 else 0.0


def _cat(value: Any, levels: Sequence[str]) -> str | None:
    """Normalise a categorical value (lower case); unknown or missing values become None."""
    text = normalise_level(value)
    if text is None:
        return None
    text = text.lower()
    return text if text in levels else None


def _to_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def resolve_as_of(as_of: date | datetime | str | None) -> date:
    """Return the scoring date: the given date, or today in the lender's time zone."""
    if as_of is None:
        return clock.today(None)
    resolved = _to_date(as_of)
    if resolved is None:
        raise ValueError(f"invalid as_of date: {as_of!r}")
    return resolved


def _age(dob: date | None, as_of: date) -> float:
    if dob is None:
        return NAN
    years = as_of.year - dob.year - ((as_of.month, as_of.day) < (dob.month, dob.day))
    return float(years)


# --------------------------------------------------------------------------------------------------
# single row (real-time path)


def _section(app: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    part = app.get(key)
    return part if isinstance(part, Mapping) else {}


def flatten_application(app: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a §5 application body into the flat batch-row shape (raw values, not yet coerced)."""
    applicant = _section(app, "applicant")
    loan = _section(app, "loan")
    bureau = app.get("bureau")
    alt = _section(app, "alt_data")
    flat: dict[str, Any] = {
        "date_of_birth": applicant.get("date_of_birth"),
        "employment_type": applicant.get("employment_type"),
        "employment_years": applicant.get("employment_years"),
        "monthly_income": applicant.get("monthly_income"),
        "existing_emi": applicant.get("existing_emi"),
        "residence_type": applicant.get("residence_type"),
        "city_tier": applicant.get("city_tier"),
        "loan_amount": loan.get("amount"),
        "tenure_months": loan.get("tenure_months"),
        "interest_rate": loan.get("interest_rate"),
        "purpose": loan.get("purpose"),
    }
    bureau_map = bureau if isinstance(bureau, Mapping) else {}
    for field in BUREAU_FIELDS:
        flat[f"bureau_{field}"] = bureau_map.get(field)
    flat["bureau_written_off"] = bureau_map.get("written_off")
    for field in ALT_FIELDS:
        flat[f"alt_{field}"] = alt.get(field)
    return flat


def feature_row(app: Mapping[str, Any], as_of: date | datetime | str | None = None) -> dict[str, Any]:
    """Return the model features of one §5 application as a dict (the real-time path)."""
    return feature_row_from_flat(flatten_application(app), resolve_as_of(as_of))


def feature_row_from_flat(flat: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """Return the model features of one flat batch row, given an already resolved scoring date."""
    income = _num(flat.get("monthly_income"))
    existing = _num(flat.get("existing_emi"))
    amount = _num(flat.get("loan_amount"))
    tenure = _num(flat.get("tenure_months"))
    rate = _num(flat.get("interest_rate"))
    new_emi = _emi_float(amount, rate, tenure)
    if income > 0:
        foir = ((existing if existing == existing else 0.0) + new_emi) / income
        lti = amount / (12.0 * income)
    else:
        foir = lti = NAN
    score = _num(flat.get("bureau_score"))
    inflow = _num(flat.get("alt_avg_monthly_inflow"))
    row: dict[str, Any] = {
        "age": _age(_to_date(flat.get("date_of_birth")), as_of),
        "employment_type": _cat(flat.get("employment_type"), EMPLOYMENT_TYPES),
        "employment_years": _num(flat.get("employment_years")),
        "monthly_income": income,
        "existing_emi": existing,
        "residence_type": _cat(flat.get("residence_type"), RESIDENCE_TYPES),
        "city_tier": _cat(flat.get("city_tier"), CITY_TIERS),
        "loan_amount": amount,
        "tenure_months": tenure,
        "interest_rate": rate,
        "purpose": _cat(flat.get("purpose"), PURPOSES),
        "emi": new_emi,
        "foir": foir,
        "loan_to_income": lti,
        "new_to_credit": 1.0 if score != score else 0.0,
    }
    for field in BUREAU_FIELDS:
        row[f"bureau_{field}"] = _num(flat.get(f"bureau_{field}"))
    row["bureau_written_off"] = _flag(flat.get("bureau_written_off"))
    row["alt_avg_monthly_inflow"] = inflow
    row["alt_inflow_to_income"] = inflow / income if income > 0 else NAN
    for field in ALT_FIELDS[1:]:
        row[f"alt_{field}"] = _num(flat.get(f"alt_{field}"))
    return {name: row[name] for name in FEATURE_NAMES}


# --------------------------------------------------------------------------------------------------
# vectorised (training and batch)


_EMPTY: Mapping[str, Any] = {}
_APPLICANT_NUMERIC = ("employment_years", "monthly_income", "existing_emi")
_LOAN_NUMERIC = (("amount", "loan_amount"), ("tenure_months", "tenure_months"), ("interest_rate", "interest_rate"))


def build_frame(apps: Iterable[Mapping[str, Any]], as_of: date | datetime | str | None = None) -> pd.DataFrame:
    """Return the feature frame (columns = FEATURE_NAMES) for a list of §5 application bodies."""
    day = resolve_as_of(as_of)
    columns: dict[str, list[Any]] = {name: [] for name in FLAT_INPUTS}
    applicant_cols = [(key, columns[key].append) for key in _APPLICANT_NUMERIC]
    loan_cols = [(key, columns[name].append) for key, name in _LOAN_NUMERIC]
    bureau_cols = [(key, columns[f"bureau_{key}"].append) for key in BUREAU_FIELDS]
    alt_cols = [(key, columns[f"alt_{key}"].append) for key in ALT_FIELDS]
    age_append = columns["date_of_birth"].append
    written_off_append = columns["bureau_written_off"].append
    cat_cols = [(key, columns[key].append) for key in ("employment_type", "residence_type", "city_tier")]
    purpose_append = columns["purpose"].append
    num = _num
    for app in apps:
        applicant = app.get("applicant") or _EMPTY
        loan = app.get("loan") or _EMPTY
        bureau = app.get("bureau") or _EMPTY
        alt = app.get("alt_data") or _EMPTY
        for key, append in applicant_cols:
            append(num(applicant.get(key)))
        for key, append in loan_cols:
            append(num(loan.get(key)))
        for key, append in bureau_cols:
            append(num(bureau.get(key)))
        for key, append in alt_cols:
            append(num(alt.get(key)))
        for key, append in cat_cols:
            append(applicant.get(key))
        purpose_append(loan.get("purpose"))
        age_append(_age(_to_date(applicant.get("date_of_birth")), day))
        written_off_append(_flag(bureau.get("written_off")))
    arrays = {name: np.asarray(columns[name], dtype=float) for name in FLAT_NUMERIC_INPUTS}
    arrays["bureau_written_off"] = np.asarray(columns["bureau_written_off"], dtype=float)
    age = np.asarray(columns["date_of_birth"], dtype=float)
    cats = {name: columns[name] for name in CATEGORICAL_FEATURES}
    return _derive(arrays, age, cats)


def build_frame_from_flat(
    rows: pd.DataFrame | Mapping[str, Sequence[Any]], as_of: date | datetime | str | None = None
) -> pd.DataFrame:
    """Return the feature frame for flat batch rows (CSV/XLSX columns per the §5 batch format)."""
    day = resolve_as_of(as_of)
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(dict(rows))
    n = len(df)

    def column(name: str) -> pd.Series:
        return df[name] if name in df.columns else pd.Series([None] * n, index=df.index, dtype=object)

    arrays: dict[str, np.ndarray] = {}
    for name in FLAT_NUMERIC_INPUTS:
        series = column(name)
        if series.dtype.kind in "biuf":
            arrays[name] = series.to_numpy(dtype=float)
        else:
            arrays[name] = np.asarray([_num(v) for v in series.tolist()], dtype=float)
    arrays["bureau_written_off"] = np.asarray(
        [_flag(None if _is_na(v) else v) for v in column("bureau_written_off").tolist()], dtype=float
    )
    dobs = column("date_of_birth").tolist()
    age = np.asarray([_age(_to_date(None if _is_na(v) else v), day) for v in dobs], dtype=float)
    cats = {name: column(name).tolist() for name in CATEGORICAL_FEATURES}
    return _derive(arrays, age, cats)


def _is_na(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _categorical(values: list[Any], levels: tuple[str, ...]) -> pd.Categorical:
    index = {level: i for i, level in enumerate(levels)}
    cache: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int8)
    for i, value in enumerate(values):
        try:
            codes[i] = cache[value]
        except KeyError:
            level = _cat(value, levels)
            codes[i] = cache[value] = -1 if level is None else index[level]
        except TypeError:  # unhashable input
            level = _cat(value, levels)
            codes[i] = -1 if level is None else index[level]
    return pd.Categorical.from_codes(codes, categories=list(levels))


def _derive(arrays: dict[str, np.ndarray], age: np.ndarray, cats: dict[str, list[Any]]) -> pd.DataFrame:
    income = arrays["monthly_income"]
    existing = arrays["existing_emi"]
    amount = arrays["loan_amount"]
    score = arrays["bureau_score"]
    inflow = arrays["alt_avg_monthly_inflow"]
    new_emi = _emi_array(amount, arrays["interest_rate"], arrays["tenure_months"])
    with np.errstate(all="ignore"):
        positive = income > 0
        foir = np.where(positive, (np.nan_to_num(existing, nan=0.0) + new_emi) / income, np.nan)
        lti = np.where(positive, amount / (12.0 * income), np.nan)
        inflow_to_income = np.where(positive, inflow / income, np.nan)
    data: dict[str, Any] = {
        "age": age,
        "employment_type": _categorical(cats["employment_type"], EMPLOYMENT_TYPES),
        "employment_years": arrays["employment_years"],
        "monthly_income": income,
        "existing_emi": existing,
        "residence_type": _categorical(cats["residence_type"], RESIDENCE_TYPES),
        "city_tier": _categorical(cats["city_tier"], CITY_TIERS),
        "loan_amount": amount,
        "tenure_months": arrays["tenure_months"],
        "interest_rate": arrays["interest_rate"],
        "purpose": _categorical(cats["purpose"], PURPOSES),
        "emi": new_emi,
        "foir": foir,
        "loan_to_income": lti,
        "new_to_credit": np.isnan(score).astype(float),
    }
    for field in BUREAU_FIELDS:
        data[f"bureau_{field}"] = arrays[f"bureau_{field}"]
    data["bureau_written_off"] = arrays["bureau_written_off"]
    data["alt_avg_monthly_inflow"] = inflow
    data["alt_inflow_to_income"] = inflow_to_income
    for field in ALT_FIELDS[1:]:
        data[f"alt_{field}"] = arrays[f"alt_{field}"]
    return pd.DataFrame({name: data[name] for name in FEATURE_NAMES})


def is_application_frame(columns: Iterable[str]) -> bool:
    """Tell whether a table already carries the application feature columns."""
    present = set(columns)
    return all(name in present for name in FEATURE_NAMES)
