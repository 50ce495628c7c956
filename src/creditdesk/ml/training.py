"""Train a credit model on any tabular dataset with a binary target.

The pipeline is the same for every dataset — no per-dataset tuning:

1. **Load** CSV (delimiter sniffed), Parquet, XLSX or JSON records — a path, bytes or a DataFrame.
2. **Target**: rows without a target are dropped; the column must have exactly two values. The
   event (default, ``y = 1``) is ``positive=`` when given, else ``1`` (of 0/1), ``true`` (of
   true/false), ``bad`` (of good/bad), else the minority class.
3. **Features**: a table carrying the application schema (model features, or flat batch rows with
   ``monthly_income``, ``loan_amount``…) uses ``features.FEATURES`` — kinds, levels and declared
   monotone directions. Any other table is profiled: identifiers (unique per row, ``Unnamed: 0``
   index columns), constant, empty, date and free-text columns are excluded and reported;
   numeric-looking text becomes numeric; the rest is categorical (top 100 levels).
4. **Split**: stratified 60/20/20 train/validation/test, or chronological when ``date_column``
   is named.
5. **Fit**: ``lightgbm`` — regularised defaults scaled to the training size, early stopping on the
   validation log loss, monotone constraints for declared directions (below 20k training rows the
   final model is refit on train + validation with the early-stopped number of rounds, scaled);
   or ``scorecard`` — optbinning
   WoE binning (declared directions become monotonic trends) and a logistic regression.
6. **Seal** the artifact (text/JSON + SHA-256), reload it exactly as serving will, and **evaluate**
   the reloaded model on the untouched test split into the validation report / model card.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from creditdesk.ml import evaluation, scales
from creditdesk.ml.features import (
    ALT_FEATURES,
    FEATURE_NAMES,
    FEATURES_BY_NAME,
    FLAT_INPUTS,
    build_frame_from_flat,
    is_application_frame,
)
from creditdesk.ml.model import OTHER_LEVEL, Encoder, LoadedModel, ModelArtifact, normalise_level
from creditdesk.ml.synthetic import TARGET, generate_book

ALGORITHMS = ("lightgbm", "scorecard")
MAX_LEVELS = 100
REFIT_BELOW_ROWS = 20_000
FLAT_MARKERS = ("monthly_income", "loan_amount", "tenure_months", "interest_rate")
_ID_NAME = re.compile(
    r"(^id$|^id_|_id$|(^|_)(uuid|guid|key|ref|reference|index|idx|no|num|number|code|serial)$|^unnamed)",
    re.IGNORECASE,
)
_UNNAMED = re.compile(r"^(unnamed: ?\d+|index|level_0|)$", re.IGNORECASE)


class TrainingError(ValueError):
    """The data cannot be trained on as given (message says why, in the user's terms)."""


# --------------------------------------------------------------------------------------------------
# loading


def load_table(source: str | Path | bytes | io.IOBase | pd.DataFrame, filename: str | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet, XLSX or JSON table from a path, raw bytes or a file object."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    name = filename or (str(source) if isinstance(source, (str, Path)) else "")
    suffix = Path(name).suffix.lower()
    if isinstance(source, (str, Path)):
        raw: bytes | None = None
        handle: Any = source
    else:
        raw = source if isinstance(source, bytes) else source.read()
        handle = io.BytesIO(raw)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(handle)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(handle)
    if suffix in (".json", ".jsonl", ".ndjson"):
        return pd.read_json(handle, lines=suffix != ".json")
    if raw is None:
        with open(source, "rb") as fh:  # type: ignore[arg-type]
            head = fh.read(65536)
    else:
        head = raw[:65536]
    sep = _sniff_delimiter(head.decode("utf-8", errors="replace"))
    if raw is not None:
        handle = io.BytesIO(raw)
    return pd.read_csv(handle, sep=sep)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0] + "\n", delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


# --------------------------------------------------------------------------------------------------
# target


@dataclass(frozen=True)
class TargetMapping:
    """Which target value is the event (default) and why."""

    column: str
    positive: Any
    negative: Any
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe description."""
        return {"column": self.column, "positive": self.positive, "negative": self.negative, "rule": self.rule}


def _target_key(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip().lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _json_label(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def resolve_target(series: pd.Series, positive: Any = None) -> tuple[np.ndarray, np.ndarray, TargetMapping]:
    """Return (y for kept rows, mask of kept rows, mapping) for a binary target column."""
    present = series.notna().to_numpy()
    values = series[present]
    keys = values.map(_target_key)
    counts = keys.value_counts()
    if len(counts) != 2:
        shown = ", ".join(map(str, counts.index[:5].tolist()))
        raise TrainingError(
            f"target column {series.name!r} must have exactly two values; found {len(counts)} ({shown})"
        )
    key_set = set(counts.index)
    if positive is not None:
        wanted = _target_key(positive)
        if wanted not in key_set:
            raise TrainingError(f"positive value {positive!r} is not one of the target's values {sorted(key_set)}")
        pos, rule = wanted, "explicit"
    elif key_set == {"0", "1"}:
        pos, rule = "1", "one_is_event"
    elif key_set == {"true", "false"}:
        pos, rule = "true", "true_is_event"
    elif "bad" in key_set:
        pos, rule = "bad", "bad_is_event"
    else:
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
        pos, rule = ordered[0][0], "minority_is_event"
    neg = next(k for k in key_set if k != pos)
    first = {k: values[keys == k].iloc[0] for k in key_set}
    y = (keys == pos).to_numpy(dtype=int)
    mapping = TargetMapping(str(series.name), _json_label(first[pos]), _json_label(first[neg]), rule)
    return y, present, mapping


# --------------------------------------------------------------------------------------------------
# column profiling


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d", regex=True).all():
        return False
    if not sample.str.contains(r"[-/:]", regex=True).mean() > 0.9:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def _numeric_text(values: pd.Series) -> pd.Series | None:
    nonnull = values.dropna()
    if nonnull.empty:
        return None
    parsed = pd.to_numeric(nonnull.astype(str).str.replace(",", "").str.strip(), errors="coerce")
    return parsed if parsed.notna().mean() >= 0.95 else None


def profile_columns(df: pd.DataFrame, skip: Sequence[str] = ()) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Infer feature specs for a generic table; return (features, excluded columns with reasons)."""
    features: list[dict[str, Any]] = []
    excluded: list[dict[str, str]] = []
    n = len(df)
    for column in df.columns:
        name = str(column)
        if name in skip:
            continue
        series = df[column]
        nonnull = series.dropna()
        nunique = int(nonnull.nunique())
        if _UNNAMED.match(name):
            excluded.append({"column": name, "reason": "index column"})
            continue
        if nonnull.empty:
            excluded.append({"column": name, "reason": "empty"})
            continue
        if nunique <= 1:
            excluded.append({"column": name, "reason": "constant"})
            continue
        unique_per_row = nunique == n
        kind = series.dtype.kind
        if kind == "M" or isinstance(series.dtype, pd.DatetimeTZDtype):
            excluded.append({"column": name, "reason": "date"})
            continue
        if kind in "biuf":
            numeric = pd.to_numeric(nonnull, errors="coerce").astype(float)
        else:
            numeric = _numeric_text(series)
            if numeric is None:
                if _looks_like_dates(series):
                    excluded.append({"column": name, "reason": "date"})
                    continue
                if unique_per_row:
                    excluded.append({"column": name, "reason": "identifier (unique per row)"})
                    continue
                if nunique > 20 and nunique >= 0.5 * len(nonnull):
                    excluded.append({"column": name, "reason": "free text (too many distinct values)"})
                    continue
                counts = nonnull.map(normalise_level).value_counts()
                levels = [str(level) for level in counts.index[:MAX_LEVELS]]
                if len(counts) > MAX_LEVELS:
                    levels.append(OTHER_LEVEL)
                features.append({"name": name, "kind": "categorical", "direction": 0, "levels": levels})
                continue
        if unique_per_row and kind != "b" and bool(np.all(np.mod(numeric, 1) == 0)):
            ordered = np.sort(numeric.to_numpy())
            sequential = len(ordered) > 1 and bool(np.all(np.diff(ordered) == 1))
            if _ID_NAME.search(name) or sequential:
                excluded.append({"column": name, "reason": "identifier (unique per row)"})
                continue
        if kind not in "biuf" and unique_per_row and _ID_NAME.search(name):
            excluded.append({"column": name, "reason": "identifier (unique per row)"})
            continue
        features.append({"name": name, "kind": "numeric", "direction": 0})
    return features, excluded


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class TrainingResult:
    """A trained model: its sealed artifact, validation report, loaded model and test predictions."""

    artifact: ModelArtifact
    report: dict[str, Any]
    model: LoadedModel
    test_index: np.ndarray
    test_y: np.ndarray
    test_pd: np.ndarray

    @property
    def metrics(self) -> dict[str, Any]:
        """Return the test-set AUC, Gini, KS and Brier (the registry's ``metrics``)."""
        return {key: self.report["metrics"][key] for key in ("auc", "gini", "ks", "brier")}


def lightgbm_params(n_train: int, seed: int = 0, num_threads: int = 1) -> dict[str, Any]:
    """Return regularised LightGBM defaults scaled to the training size (no per-dataset tuning)."""
    small = n_train < 5000
    return {
        "objective": "binary",
        "metric": "binary_logloss",
        "learning_rate": 0.03 if small else 0.1,
        "num_leaves": 7 if small else (15 if n_train < 100_000 else 31),
        "max_depth": -1,
        "min_data_in_leaf": max(20, n_train // 500),
        "min_sum_hessian_in_leaf": 1e-3,
        "feature_fraction": 0.7 if small else 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 5.0 if small else 1.0,
        "min_gain_to_split": 0.0,
        "max_bin": 255,
        "cat_smooth": 10.0,
        "cat_l2": 10.0,
        "max_cat_to_onehot": 4,
        "max_cat_threshold": 16,
        "min_data_per_group": max(10, min(100, n_train // 50)),
        "monotone_constraints_method": "intermediate",
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": num_threads,
        "verbosity": -1,
    }


# --------------------------------------------------------------------------------------------------
# training


def _lgb_name(name: str, used: set[str]) -> str:
    safe = re.sub(r"[^0-9A-Za-z_]", "_", name)[:60] or "feature"
    candidate, i = safe, 1
    while candidate in used:
        i += 1
        candidate = f"{safe}_{i}"
    used.add(candidate)
    return candidate


def _split(
    y: np.ndarray, seed: int, order: np.ndarray | None, valid: float, test: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(y)
    if order is not None:
        cut1 = int(round(n * (1 - valid - test)))
        cut2 = int(round(n * (1 - test)))
        return order[:cut1], order[cut1:cut2], order[cut2:]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy, training only

    idx = np.arange(n)
    rest, test_idx = train_test_split(idx, test_size=test, random_state=seed, stratify=y)
    train_idx, valid_idx = train_test_split(rest, test_size=valid / (1 - test), random_state=seed + 1, stratify=y[rest])
    return np.sort(train_idx), np.sort(valid_idx), np.sort(test_idx)


def _application_features(
    df: pd.DataFrame, as_of: Any, features: Sequence[str] | None
) -> tuple[pd.DataFrame, list[dict[str, Any]], str]:
    if is_application_frame(df.columns):
        frame, source = df[FEATURE_NAMES].copy(), "features"
    else:
        frame, source = build_frame_from_flat(df, as_of=as_of), "flat"
    names = list(features) if features else FEATURE_NAMES
    unknown = [n for n in names if n not in FEATURES_BY_NAME]
    if unknown:
        raise TrainingError(f"not application features: {unknown}")
    specs = []
    for name in names:
        feature = FEATURES_BY_NAME[name]
        spec: dict[str, Any] = {"name": name, "kind": feature.kind, "direction": feature.direction}
        if feature.kind == "categorical":
            spec["levels"] = list(feature.levels)
        specs.append(spec)
    return frame[names], specs, source


@dataclass(frozen=True)
class TrainingSpec:
    """What to train: the target column and every choice :func:`train` makes (defaults suit any table).

    ``schema`` is ``auto`` (application schema when the table carries it, else generic),
    ``application`` or ``tabular``. ``features`` restricts the features used (e.g. a bureau-only
    challenger); ``exclude`` drops named columns; ``monotone`` declares directions for a generic
    table; ``oracle_pd`` (a column name or an array aligned with the rows) adds the oracle section.
    ``filename`` tells :func:`load_table` the format of raw bytes.
    """

    target: str
    algorithm: str = "lightgbm"
    positive: Any = None
    date_column: str | None = None
    features: Sequence[str] | None = None
    exclude: Sequence[str] = ()
    monotone: Mapping[str, int] | None = None
    oracle_pd: str | np.ndarray | None = None
    schema: str = "auto"
    as_of: Any = None
    seed: int = 0
    approve_below: float = evaluation.APPROVE_BELOW
    reject_at_or_above: float = evaluation.REJECT_AT_OR_ABOVE
    valid_fraction: float = 0.2
    test_fraction: float = 0.2
    num_threads: int = 1
    filename: str | None = None


@dataclass
class _Rows:
    """The trainable rows: the table without rows lacking a target (or a date), and their 0/1 target."""

    table: pd.DataFrame
    y: np.ndarray
    mapping: TargetMapping
    not_features: list[str]  # the target, excluded, oracle and date columns
    true_pd: np.ndarray | None  # the oracle PD, aligned with the rows
    order: np.ndarray | None  # chronological order, with a date column
    dropped: dict[str, int]


@dataclass
class _Features:
    """The model's inputs: the feature frame, one spec per feature, and the columns left out (and why)."""

    frame: pd.DataFrame
    specs: list[dict[str, Any]]
    excluded: list[dict[str, str]]
    feature_set: str  # "application" or "tabular"


@dataclass
class _Fitted:
    """The sealed artifact, the model loaded from it as serving will, and what the fit recorded."""

    artifact: ModelArtifact
    model: LoadedModel
    info: dict[str, Any]
    valid_pd: np.ndarray | None  # LightGBM's early-stopped validation predictions


Split = tuple[np.ndarray, np.ndarray, np.ndarray]


def train(data: str | Path | bytes | pd.DataFrame, spec: TrainingSpec) -> TrainingResult:
    """Train, seal and validate a model on a table with a binary ``spec.target`` column."""
    started = time.perf_counter()
    if spec.algorithm not in ALGORITHMS:
        raise TrainingError(f"algorithm must be one of {ALGORITHMS}, not {spec.algorithm!r}")
    rows = _labelled_rows(_load(data, spec), spec)
    features = _choose_features(rows, spec)
    split = _split_checked(rows.y, rows.order, spec)
    fitted = _fit(features, rows, split, spec)
    pd_all = fitted.model.predict_pd(features.frame, num_threads=spec.num_threads)
    report = _report(fitted, rows, features, split, pd_all, spec)
    report["training"] = {**fitted.info, "seconds": round(time.perf_counter() - started, 3)}
    report["checksum"] = fitted.artifact.checksum
    test_idx = split[2]
    return TrainingResult(fitted.artifact, report, fitted.model, test_idx, rows.y[test_idx], pd_all[test_idx])


def _load(data: str | Path | bytes | pd.DataFrame, spec: TrainingSpec) -> pd.DataFrame:
    """Read the table and check that the columns the spec names are there."""
    df = load_table(data, filename=spec.filename)
    df.columns = [str(c) for c in df.columns]
    if spec.target not in df.columns:
        raise TrainingError(f"target column {spec.target!r} not found; columns are {list(df.columns)[:30]}")
    if spec.date_column is not None and spec.date_column not in df.columns:
        raise TrainingError(f"date column {spec.date_column!r} not found")
    return df


def _labelled_rows(df: pd.DataFrame, spec: TrainingSpec) -> _Rows:
    """Resolve the target and the oracle PD; drop rows without a target or a readable date."""
    true_pd: np.ndarray | None = None
    not_features = [spec.target, *spec.exclude]
    if isinstance(spec.oracle_pd, str):
        true_pd = pd.to_numeric(df[spec.oracle_pd], errors="coerce").to_numpy(dtype=float)
        not_features.append(spec.oracle_pd)
    elif spec.oracle_pd is not None:
        true_pd = np.asarray(spec.oracle_pd, dtype=float)
        if len(true_pd) != len(df):
            raise TrainingError("oracle_pd must have one value per row")
    if spec.date_column:
        not_features.append(spec.date_column)

    y, keep, mapping = resolve_target(df[spec.target], spec.positive)
    dropped = {"missing_target": int((~keep).sum()), "invalid_date": 0}
    df = df.loc[keep].reset_index(drop=True)
    if true_pd is not None:
        true_pd = true_pd[keep]

    order = None
    if spec.date_column:
        dates = pd.to_datetime(df[spec.date_column], errors="coerce", format="mixed")
        valid_dates = dates.notna().to_numpy()
        dropped["invalid_date"] = int((~valid_dates).sum())
        df, y = df.loc[valid_dates].reset_index(drop=True), y[valid_dates]
        if true_pd is not None:
            true_pd = true_pd[valid_dates]
        order = np.argsort(dates[valid_dates].to_numpy(), kind="stable")
    return _Rows(df, y, mapping, not_features, true_pd, order, dropped)


def _choose_features(rows: _Rows, spec: TrainingSpec) -> _Features:
    """The application schema's features when the table carries it, else the profiled columns."""
    df, skip = rows.table, rows.not_features
    use_application = spec.schema == "application" or (
        spec.schema == "auto" and (is_application_frame(df.columns) or all(m in df.columns for m in FLAT_MARKERS))
    )
    if use_application:
        frame, specs, source = _application_features(df, spec.as_of, spec.features)
        used = set(FEATURE_NAMES) if source == "features" else set(FLAT_INPUTS)
        excluded = [
            {"column": c, "reason": "not an application-schema input"}
            for c in df.columns
            if c not in skip and c not in used
        ]
        chosen = _Features(frame, specs, excluded, "application")
    else:
        specs, excluded = profile_columns(df, skip=skip)
        if spec.features:
            specs = [s for s in specs if s["name"] in set(spec.features)]
        for feature in specs:
            feature["direction"] = int((spec.monotone or {}).get(feature["name"], 0))
        chosen = _Features(df[[s["name"] for s in specs]], specs, excluded, "tabular")
    if not chosen.specs:
        raise TrainingError("no usable feature columns remain after exclusions")
    return chosen


def _split_checked(y: np.ndarray, order: np.ndarray | None, spec: TrainingSpec) -> Split:
    """Split train/validation/test, refusing data too small to have both classes in each part."""
    n = len(y)
    if n < 50 or y.sum() < 10 or (n - y.sum()) < 10:
        raise TrainingError("need at least 50 rows with 10 of each class to train and validate")
    split = _split(y, spec.seed, order, spec.valid_fraction, spec.test_fraction)
    for name, idx in zip(("train", "validation", "test"), split, strict=True):
        if len(np.unique(y[idx])) < 2:
            raise TrainingError(f"the {name} split has only one class; more data is needed")
    return split


def _fit(features: _Features, rows: _Rows, split: Split, spec: TrainingSpec) -> _Fitted:
    """Fit the algorithm on the training rows, seal the artifact and load it back as serving will."""
    train_idx, valid_idx, _test = split
    specs, y, algorithm, num_threads = features.specs, rows.y, spec.algorithm, spec.num_threads
    encoder = Encoder(specs)
    x = encoder.encode(features.frame)
    metadata: dict[str, Any] = {
        "format": 1,
        "algorithm": algorithm,
        "feature_set": features.feature_set,
        "features": specs,
        "target": rows.mapping.to_dict(),
        "thresholds": {"approve_below": spec.approve_below, "reject_at_or_above": spec.reject_at_or_above},
        "scale": {"anchor_points": scales.ANCHOR_POINTS, "anchor_odds": scales.ANCHOR_ODDS, "pdo": scales.PDO},
    }
    valid_pd: np.ndarray | None = None
    if algorithm == "lightgbm":
        model_text, info, valid_pd = _fit_lightgbm(x, y, specs, train_idx, valid_idx, spec.seed, num_threads)
    else:
        model_text, info = _fit_scorecard(x, y, specs, encoder, train_idx, valid_idx)
        kept = [v["name"] for v in json.loads(model_text)["variables"]]
        metadata["features"] = [s for s in specs if s["name"] in kept]
    metadata["training"] = info
    artifact = ModelArtifact.create(algorithm, model_text, metadata)
    model = LoadedModel.from_artifact(artifact, num_threads=num_threads)
    if algorithm == "lightgbm":  # the good reference adverse-action reasons are measured against
        metadata["reason_reference"] = reason_reference(model, features.frame.iloc[train_idx], seed=spec.seed)
        artifact = ModelArtifact.create(algorithm, model_text, metadata)
        model = LoadedModel.from_artifact(artifact, num_threads=num_threads)
    return _Fitted(artifact, model, info, valid_pd)


def _fit_lightgbm(
    x: np.ndarray,
    y: np.ndarray,
    specs: list[dict[str, Any]],
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
    seed: int,
    num_threads: int,
) -> tuple[str, dict[str, Any], np.ndarray | None]:
    import lightgbm as lgb  # noqa: PLC0415 - heavy, training only

    used: set[str] = set()
    names = [_lgb_name(s["name"], used) for s in specs]
    cats = [j for j, s in enumerate(specs) if s["kind"] == "categorical"]
    params = lightgbm_params(len(train_idx), seed, num_threads)
    directions = [int(s.get("direction", 0)) if s["kind"] == "numeric" else 0 for s in specs]
    if any(directions):
        params["monotone_constraints"] = directions
    dtrain = lgb.Dataset(x[train_idx], y[train_idx], feature_name=names, categorical_feature=cats, free_raw_data=False)
    dvalid = lgb.Dataset(x[valid_idx], y[valid_idx], reference=dtrain)
    booster = lgb.train(
        params,
        dtrain,
        num_boost_round=3000,
        valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(100, first_metric_only=True, verbose=False)],
    )
    best = int(booster.best_iteration or booster.current_iteration())
    valid_pd = np.asarray(booster.predict(x[valid_idx], num_iteration=best), dtype=float)
    info: dict[str, Any] = {
        "best_iteration": best,
        "params": params,
        "lightgbm_feature_names": names,
        "refit_on_train_and_validation": False,
        "validation_auc_at_best_iteration": evaluation.auc(y[valid_idx], valid_pd),
    }
    if len(train_idx) >= REFIT_BELOW_ROWS:
        return booster.model_to_string(num_iteration=best), info, valid_pd
    # Small data: every row counts. Early stopping chose the number of rounds; refit on
    # train + validation with proportionally more rounds. The test split stays untouched.
    both = np.concatenate([train_idx, valid_idx])
    rounds = max(1, int(round(best * len(both) / len(train_idx))))
    dall = lgb.Dataset(x[both], y[both], feature_name=names, categorical_feature=cats)
    final = lgb.train(params, dall, num_boost_round=rounds)
    info.update({"refit_on_train_and_validation": True, "refit_rounds": rounds})
    return final.model_to_string(), info, valid_pd


def _fit_scorecard(
    x: np.ndarray,
    y: np.ndarray,
    specs: list[dict[str, Any]],
    encoder: Encoder,
    train_idx: np.ndarray,
    valid_idx: np.ndarray,
) -> tuple[str, dict[str, Any]]:
    _quiet_optional_solver_warnings()
    from optbinning import BinningProcess, Scorecard  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy (cvxpy), scorecards only
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy, scorecards only

    names = [s["name"] for s in specs]
    categorical = [s["name"] for s in specs if s["kind"] == "categorical"]
    columns: dict[str, Any] = {}
    for j, spec in enumerate(specs):
        if spec["kind"] == "categorical":
            columns[spec["name"]] = np.array(encoder.decode_levels(x, j), dtype=object)
        else:
            columns[spec["name"]] = x[:, j]
    table = pd.DataFrame(columns)
    fit_params = {
        s["name"]: {"monotonic_trend": "ascending" if s["direction"] > 0 else "descending"}
        for s in specs
        if s["kind"] == "numeric" and s.get("direction")
    }
    process = BinningProcess(
        variable_names=names,
        categorical_variables=categorical,
        selection_criteria={"iv": {"min": 0.01}},
        binning_fit_params=fit_params or None,
        n_jobs=1,
    )
    estimator = LogisticRegression(C=1.0, max_iter=5000)
    card = Scorecard(
        binning_process=process,
        estimator=estimator,
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": scales.PDO, "odds": scales.ANCHOR_ODDS, "scorecard_points": scales.ANCHOR_POINTS},
    )
    x_fit = table.iloc[train_idx].reset_index(drop=True)
    card.fit(x_fit, y[train_idx], metric_missing="empirical", metric_special="empirical")
    spec = _scorecard_json(card, x_fit, specs)
    # The JSON scorer must reproduce optbinning exactly; check on the validation rows.
    check = LoadedModel(
        ModelArtifact.create(
            "scorecard",
            json.dumps(spec),
            {
                "features": [s for s in specs if s["name"] in {v["name"] for v in spec["variables"]}],
            },
        )
    )
    x_valid = table.iloc[valid_idx].reset_index(drop=True)
    ours = check.predict_pd(pd.DataFrame({k: x_valid[k] for k in check.feature_names}))
    theirs = card.predict_proba(x_valid)[:, 1]
    gap = float(np.max(np.abs(ours - theirs))) if len(ours) else 0.0
    if gap > 1e-6:
        raise RuntimeError(f"scorecard JSON disagrees with optbinning by {gap:.2e}")
    return json.dumps(spec), {
        "selected_features": [v["name"] for v in spec["variables"]],
        "estimator": "LogisticRegression(C=1.0)",
        "binning": "optbinning WoE",
    }


def _quiet_optional_solver_warnings() -> None:
    """Silence cvxpy's import-time warning about optional solvers it cannot load.

    optbinning imports cvxpy, which probes every optional solver and logs a warning for each one
    that fails to import (a mismatched HiGHS build, say). The scorecard never uses those solvers,
    and the noise would land on the CLI's stderr.
    """
    logger = logging.getLogger("__cvxpy__")
    if not getattr(logger, "_creditdesk_quiet", False):
        logger.addFilter(lambda record: "importing solver" not in record.getMessage())
        logger._creditdesk_quiet = True  # type: ignore[attr-defined]


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _scorecard_json(card: Any, x_fit: pd.DataFrame, specs: list[dict[str, Any]]) -> dict[str, Any]:
    process = card.binning_process_
    selected = [str(name) for name in process.get_support(names=True)]
    if not selected:
        raise TrainingError("no feature carries enough signal (information value) for a scorecard")
    estimator = card.estimator_
    coef = estimator.coef_.ravel().tolist()
    intercept = float(estimator.intercept_.ravel()[0])
    by_name = {s["name"]: s for s in specs}
    k = len(selected)
    variables = []
    for name, c in zip(selected, coef, strict=True):
        optb = process.get_binned_variable(name)
        spec = by_name[name]
        kw = {"metric": "woe", "metric_missing": "empirical", "metric_special": "empirical"}
        var: dict[str, Any] = {"name": name, "kind": spec["kind"], "coefficient": float(c)}
        if spec["kind"] == "categorical":
            groups = [[str(level) for level in group] for group in optb.splits]
            reps = np.array([g[0] for g in groups], dtype=object)
            woe = optb.transform(reps, **kw).tolist() if len(reps) else []
            var["levels"] = list(spec["levels"])
            var["groups"] = groups
            var["woe_unknown"] = float(optb.transform(np.array(["\x00unknown\x00"], dtype=object), **kw)[0])
            labels = ["[" + ", ".join(g) + "]" for g in groups]
        else:
            splits = np.asarray(optb.splits, dtype=float)
            reps = np.concatenate([[splits[0] - 1.0] if len(splits) else [0.0], splits])
            woe = optb.transform(reps, **kw).tolist()
            var["splits"] = splits.tolist()
            var["woe_unknown"] = 0.0
            edges = ["-inf", *[_fmt(s) for s in splits], "inf"]
            labels = [f"[{lo}, {hi})" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        col = x_fit[name]
        missing_mask = col.isna().to_numpy()
        var["woe"] = [float(w) for w in woe]
        var["woe_missing"] = float(
            optb.transform(np.array([np.nan], dtype=object if spec["kind"] == "categorical" else float), **kw)[0]
        )
        var["missing_count"] = int(missing_mask.sum())
        fitted = optb.transform(col.to_numpy(), **kw)
        var["mean_woe"] = float(np.mean(fitted))
        table = optb.binning_table.build()
        var["iv"] = float(table.loc["Totals", "IV"]) if "Totals" in table.index else float(table["IV"].iloc[-1])
        shared = (scales.OFFSET - scales.FACTOR * intercept) / k
        var["points"] = [shared - scales.FACTOR * c * w for w in var["woe"]]
        var["points_missing"] = shared - scales.FACTOR * c * var["woe_missing"]
        var["bins"] = [*labels, "Missing"]
        variables.append(var)
    return {
        "intercept": intercept,
        "variables": variables,
        "scale": {
            "anchor_points": scales.ANCHOR_POINTS,
            "anchor_odds": scales.ANCHOR_ODDS,
            "pdo": scales.PDO,
            "offset": scales.OFFSET,
            "factor": scales.FACTOR,
        },
    }


# --------------------------------------------------------------------------------------------------
# report

REFERENCE_QUANTILE = 0.05
REFERENCE_SAMPLE = 5000


def reason_reference(model: LoadedModel, frame: pd.DataFrame, *, seed: int = 0) -> dict[str, float]:
    """Per feature, the SHAP impact of a good reference applicant: its 5th percentile over training rows.

    Adverse-action reasons are costs against this reference (see ``ml/explain.py``), the way a
    scorecard's reasons are points lost against each attribute's best bin.
    """
    rows = frame if len(frame) <= REFERENCE_SAMPLE else frame.sample(REFERENCE_SAMPLE, random_state=seed)
    contrib = model.explain(rows).contributions
    refs = np.quantile(contrib, REFERENCE_QUANTILE, axis=0)
    return {name: round(float(v), 6) for name, v in zip(model.feature_names, refs, strict=True)}


def _report(
    fitted: _Fitted, rows: _Rows, features: _Features, split: Split, pd_all: np.ndarray, spec: TrainingSpec
) -> dict[str, Any]:
    """The validation report (model card) of the reloaded model, measured on the untouched test split."""
    model, frame, raw, y = fitted.model, features.frame, rows.table, rows.y
    approve_below, date_column = spec.approve_below, spec.date_column
    train_idx, valid_idx, test_idx = split
    y_test, pd_test = y[test_idx], pd_all[test_idx]
    test_metrics = evaluation.metrics(y_test, pd_test)
    kinds = {c.name: c.kind for c in model.columns}
    importance = model.feature_importance()
    importance_rows: list[dict[str, Any]] = [{"feature": k, "importance": v} for k, v in importance.items()]
    if model.algorithm == "lightgbm":
        sample = test_idx[: min(len(test_idx), 2000)]
        shap = model.explain(frame.iloc[sample])
        mean_abs = np.abs(shap.contributions).mean(axis=0)
        total = float(mean_abs.sum()) or 1.0
        for row, value in zip(importance_rows, mean_abs.tolist(), strict=True):
            row["mean_abs_shap"] = value
            row["shap_share"] = value / total
    importance_rows.sort(key=lambda r: -r["importance"])
    fairness_data = raw.iloc[test_idx].reset_index(drop=True)
    if "age" in frame.columns and evaluation.find_age_column(list(fairness_data.columns)) is None:
        fairness_data = fairness_data.assign(age=frame["age"].iloc[test_idx].to_numpy())
    report: dict[str, Any] = {
        "algorithm": model.algorithm,
        "feature_set": model.feature_set,
        "target": rows.mapping.to_dict(),
        "split": {
            "method": "time" if date_column else "stratified",
            "date_column": date_column,
            "train": len(train_idx),
            "validation": len(valid_idx),
            "test": len(test_idx),
            "dropped": rows.dropped,
        },
        "features": [
            {"name": c.name, "kind": c.kind, "direction": int(spec.get("direction", 0))}
            for c, spec in zip(model.columns, model.metadata["features"], strict=True)
        ],
        "excluded_columns": features.excluded,
        "metrics": test_metrics,
        # A small-data LightGBM model is refit on train + validation; its validation figures are
        # those of the early-stopped model, before the refit saw those rows.
        "validation_metrics": evaluation.metrics(
            y[valid_idx], pd_all[valid_idx] if fitted.valid_pd is None else fitted.valid_pd
        ),
        "train_metrics": evaluation.metrics(y[train_idx], pd_all[train_idx]),
        "calibration": evaluation.calibration_by_decile(y_test, pd_test),
        "confusion": evaluation.confusion_at_thresholds(y_test, pd_test, approve_below, spec.reject_at_or_above),
        "feature_importance": importance_rows,
        "baseline": evaluation.baselines(frame.iloc[train_idx], kinds, pd_all[train_idx]),
        "fairness": evaluation.fairness_report(y_test, pd_test, fairness_data, approve_below),
        "oracle": None,
    }
    for key in ("auc", "gini", "ks", "brier"):
        report[key] = test_metrics[key]
    if rows.true_pd is not None:
        report["oracle"] = evaluation.oracle_section(y_test, pd_test, rows.true_pd[test_idx])
    if model.scorecard is not None:
        report["points_table"] = model.points_table()
    return report


# --------------------------------------------------------------------------------------------------
# the demo champion


def train_default_model(
    seed: int = 0,
    n: int = 40000,
    algorithm: str = "lightgbm",
    swap_set: bool = True,
    num_threads: int = 1,
) -> TrainingResult:
    """Train the demo champion on the synthetic book (application schema, monotone bureau features).

    With ``swap_set`` a bureau-only challenger is trained on the same split and the swap-set
    analysis (approvals gained at equal bad rate) is added to the model card.
    """
    book = generate_book(n=n, seed=seed)
    table = book.training_frame()
    table["true_pd"] = book.true_pd
    champion = TrainingSpec(TARGET, algorithm=algorithm, oracle_pd="true_pd", seed=seed, num_threads=num_threads)
    result = train(table, champion)
    result.report["synthetic"] = {
        "seed": seed,
        "rows": n,
        "default_rate": book.default_rate,
        "oracle_auc_full_book": book.oracle_auc,
        "scenario_counts": {k: int(v) for k, v in pd.Series(book.scenario).value_counts().items()},
    }
    if swap_set:
        bureau_only = [name for name in FEATURE_NAMES if name not in ALT_FEATURES]
        challenger = train(table, replace(champion, features=bureau_only))
        result.report["swap_set"] = {
            "model_a": "with alternative data",
            "model_b": "bureau and application data only",
            "model_b_auc": challenger.report["auc"],
            **evaluation.swap_set(result.test_pd, challenger.test_pd, result.test_y),
            "curve": evaluation.swap_set_curve(result.test_pd, challenger.test_pd, result.test_y),
        }
    return result
