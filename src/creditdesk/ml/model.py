"""Model artifacts and the loaded model that serving calls.

An artifact is text and JSON only — LightGBM's ``model_to_string()`` or a scorecard's JSON, plus a
JSON metadata dict — sealed with a SHA-256 checksum over a canonical encoding of both. Loading
verifies the checksum before anything is parsed, so a tampered or truncated artifact never scores.
Nothing here unpickles anything.

:class:`LoadedModel` is built once per model version and kept: ``predict_pd`` and ``explain`` for
frames, ``predict_row`` and ``explain_row`` for the real-time single-row path. Explanations are
on the log-odds scale and additive: ``base_value + Σ contributions = logit(pd)``. For LightGBM they
are exact TreeSHAP values (``pred_contrib``); for a scorecard they are the linear SHAP values
``coef · (WoE − mean WoE)``, alongside the points each feature lost against its best bin.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from pandas import DataFrame

ARTIFACT_FORMAT = 1
OTHER_LEVEL = "__other__"

_C_API_PREDICT_NORMAL = 0
_C_API_PREDICT_CONTRIB = 3
_C_API_DTYPE_FLOAT64 = 1


class ArtifactIntegrityError(ValueError):
    """The artifact's checksum does not match its content."""


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text used for checksums (sorted keys, no NaN, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _checksum(algorithm: str, model_text: str, metadata: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(f"creditdesk-model/{ARTIFACT_FORMAT}\n{algorithm}\n".encode())
    digest.update(canonical_json(metadata).encode())
    digest.update(b"\n")
    digest.update(model_text.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelArtifact:
    """A serialised model: algorithm, model text, JSON metadata and their SHA-256 checksum."""

    algorithm: str
    model_text: str
    metadata: dict[str, Any]
    checksum: str

    @classmethod
    def create(cls, algorithm: str, model_text: str, metadata: Mapping[str, Any]) -> ModelArtifact:
        """Seal a new artifact, computing its checksum."""
        meta = json.loads(canonical_json(dict(metadata)))
        return cls(algorithm, model_text, meta, _checksum(algorithm, model_text, meta))

    def verify(self) -> None:
        """Raise ArtifactIntegrityError unless the checksum matches the content."""
        try:
            expected = _checksum(self.algorithm, self.model_text, self.metadata)
        except (TypeError, ValueError) as exc:
            raise ArtifactIntegrityError(f"artifact metadata is not canonical JSON: {exc}") from exc
        if expected != self.checksum:
            raise ArtifactIntegrityError("model artifact checksum mismatch: the artifact was altered")

    def to_dict(self) -> dict[str, Any]:
        """Return the artifact as a JSON-safe dict."""
        return {
            "format": ARTIFACT_FORMAT,
            "algorithm": self.algorithm,
            "model_text": self.model_text,
            "metadata": self.metadata,
            "checksum": self.checksum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelArtifact:
        """Rebuild an artifact from :meth:`to_dict` output (checksum verified on load)."""
        return cls(str(data["algorithm"]), str(data["model_text"]), dict(data["metadata"]), str(data["checksum"]))

    def to_json(self) -> str:
        """Return the artifact as one JSON document."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> ModelArtifact:
        """Rebuild an artifact from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))


# --------------------------------------------------------------------------------------------------
# explanations


@dataclass(frozen=True)
class RowExplanation:
    """One decision's explanation on the log-odds scale (base + Σ impacts = logit(pd))."""

    pd: float
    base_value: float
    contributions: dict[str, float]
    values: dict[str, Any]
    points_lost: dict[str, float] | None = None

    def as_list(self) -> list[dict[str, Any]]:
        """Return ``[{"feature","value","impact"}]`` sorted by absolute impact, JSON-safe."""
        items = [
            {"feature": name, "value": _json_value(self.values.get(name)), "impact": float(impact)}
            for name, impact in self.contributions.items()
        ]
        items.sort(key=lambda item: -abs(item["impact"]))
        return items


@dataclass
class Explanation:
    """Explanations for a frame: contributions (n × k) on the log-odds scale and the base value."""

    features: list[str]
    pd: np.ndarray
    base_value: float
    contributions: np.ndarray
    values: DataFrame  # (a field named pd shadows the module in this class)
    points_lost: np.ndarray | None = None

    def row(self, i: int) -> RowExplanation:
        """Return the explanation of row ``i``."""
        values = self.values.iloc[i]
        return RowExplanation(
            pd=float(self.pd[i]),
            base_value=float(self.base_value),
            contributions=dict(zip(self.features, self.contributions[i].tolist(), strict=True)),
            values={name: values.get(name) for name in self.features},
            points_lost=(
                None
                if self.points_lost is None
                else dict(zip(self.features, self.points_lost[i].tolist(), strict=True))
            ),
        )


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return value


def logit(p: np.ndarray | float) -> np.ndarray | float:
    """Return log(p / (1 − p))."""
    p_arr = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        out = np.log(p_arr) - np.log1p(-p_arr)
    return float(out) if np.ndim(out) == 0 else out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


# --------------------------------------------------------------------------------------------------
# encoding


@dataclass
class _Column:
    name: str
    kind: str
    levels: list[str] = field(default_factory=list)
    codes: dict[str, float] = field(default_factory=dict)
    other_code: float = math.nan

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> _Column:
        """Build the column encoder from a metadata feature spec."""
        levels = [str(level) for level in spec.get("levels") or []]
        codes = {level: float(i) for i, level in enumerate(levels)}
        return cls(spec["name"], spec["kind"], levels, codes, codes.get(OTHER_LEVEL, math.nan))


def normalise_level(value: Any) -> str | None:
    """Return the canonical text of a categorical value (None when missing)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return str(int(value))
    if isinstance(value, np.generic):
        return normalise_level(value.item())
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text if text else None


def _encode_categorical(series: pd.Series, column: _Column) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = [normalise_level(c) for c in series.cat.categories]
        lookup = np.array(
            [column.codes.get(c, column.other_code) if c is not None else np.nan for c in cats] + [np.nan]
        )
        codes = series.cat.codes.to_numpy()
        return lookup[np.where(codes < 0, len(cats), codes)]
    values = series.tolist()
    out = np.empty(len(values), dtype=float)
    cache: dict[Any, float] = {}
    for i, value in enumerate(values):
        try:
            out[i] = cache[value]
        except KeyError:
            level = normalise_level(value)
            out[i] = cache[value] = math.nan if level is None else column.codes.get(level, column.other_code)
        except TypeError:  # unhashable value
            level = normalise_level(value)
            out[i] = math.nan if level is None else column.codes.get(level, column.other_code)
    return out


def _encode_numeric(series: pd.Series) -> np.ndarray:
    if series.dtype.kind in "biuf":
        numbers: np.ndarray = series.to_numpy(dtype=float, na_value=np.nan)
        return numbers
    cleaned = series.map(lambda v: v.replace(",", "").strip() if isinstance(v, str) else v)
    parsed: np.ndarray = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    return parsed


def _scalar_numeric(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class Encoder:
    """Turns frames or single rows into the float matrix a model consumes (categoricals as codes)."""

    def __init__(self, specs: Sequence[Mapping[str, Any]]) -> None:
        self.columns = [_Column.from_spec(spec) for spec in specs]
        self.names = [c.name for c in self.columns]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the float matrix (rows × features) of a frame; absent columns are all-missing."""
        n = len(frame)
        out = np.empty((n, len(self.columns)), dtype=np.float64)
        for j, column in enumerate(self.columns):
            if column.name not in frame.columns:
                out[:, j] = np.nan
            elif column.kind == "categorical":
                out[:, j] = _encode_categorical(frame[column.name], column)
            else:
                out[:, j] = _encode_numeric(frame[column.name])
        return out

    def encode_row(self, row: Mapping[str, Any]) -> np.ndarray:
        """Return the 1 × k float matrix of one row given as a dict."""
        out = np.empty((1, len(self.columns)), dtype=np.float64)
        buf = out[0]
        for j, column in enumerate(self.columns):
            value = row.get(column.name)
            if column.kind == "categorical":
                level = normalise_level(value)
                buf[j] = math.nan if level is None else column.codes.get(level, column.other_code)
            else:
                buf[j] = _scalar_numeric(value)
        return out

    def decode_levels(self, x: np.ndarray, j: int) -> list[str | None]:
        """Return the level text of each code in column ``j`` (None for missing)."""
        levels = self.columns[j].levels
        return [None if math.isnan(v) else levels[int(v)] for v in x[:, j].tolist()]


# --------------------------------------------------------------------------------------------------
# the loaded model


class LoadedModel:
    """A model restored from its artifact, ready to score and explain."""

    def __init__(self, artifact: ModelArtifact, num_threads: int = 1) -> None:
        self.artifact = artifact
        self.algorithm = artifact.algorithm
        self.metadata = artifact.metadata
        self.feature_set: str = self.metadata.get("feature_set", "tabular")
        self.encoder = Encoder(self.metadata["features"])
        self.columns = self.encoder.columns
        self.feature_names = self.encoder.names
        self.num_threads = num_threads
        self._lock = threading.Lock()
        if self.algorithm == "lightgbm":
            import lightgbm as lgb  # noqa: PLC0415 - LightGBM loads only for its models

            self.booster = lgb.Booster(model_str=artifact.model_text)
            if self.booster.num_feature() != len(self.columns):
                raise ArtifactIntegrityError("model and metadata disagree on the number of features")
            self._fast: dict[int, ctypes.c_void_p] = {}
            self._fast_ok = hasattr(self.booster, "_handle") and hasattr(
                _lib(), "LGBM_BoosterPredictForMatSingleRowFast"
            )
            self.scorecard = None
        elif self.algorithm == "scorecard":
            self.scorecard = _Scorecard(json.loads(artifact.model_text))
            if self.scorecard.names != self.feature_names:
                raise ArtifactIntegrityError("scorecard and metadata disagree on the features")
        else:
            raise ValueError(f"unknown algorithm {self.algorithm!r}")
        #: per feature, the impact a good reference applicant gets (adverse-action reasons are costs
        #: against it): a scorecard's best bin; for LightGBM what training measured (None for a model
        #: trained before references existed: reasons are then measured against the average applicant)
        self.reason_reference: dict[str, float] | None
        if self.scorecard is not None:
            sc = self.scorecard
            ref = sc.best - sc.coef * sc.mean_woe
            self.reason_reference = dict(zip(sc.names, ref.tolist(), strict=True))
        else:
            stored = self.metadata.get("reason_reference")
            self.reason_reference = {str(k): float(v) for k, v in stored.items()} if stored else None

    @classmethod
    def from_artifact(
        cls,
        artifact: ModelArtifact | Mapping[str, Any] | str,
        metadata: Mapping[str, Any] | None = None,
        checksum: str | None = None,
        *,
        algorithm: str | None = None,
        num_threads: int = 1,
    ) -> LoadedModel:
        """Restore a model from an artifact (object, dict, JSON, or model text + metadata + checksum).

        The checksum is always verified first; a mismatch raises ArtifactIntegrityError.
        """
        if isinstance(artifact, ModelArtifact):
            art = artifact
        elif isinstance(artifact, Mapping):
            art = ModelArtifact.from_dict(artifact)
        elif metadata is not None:
            if checksum is None:
                raise ArtifactIntegrityError("a checksum is required to load a model")
            art = ModelArtifact(algorithm or str(metadata["algorithm"]), artifact, dict(metadata), checksum)
        else:
            art = ModelArtifact.from_json(artifact)
        art.verify()
        return cls(art, num_threads=num_threads)

    def prepare(self, records: Sequence[Mapping[str, Any]], as_of: Any = None) -> pd.DataFrame:
        """Return the model's input frame for records: §5 bodies for application models, raw rows otherwise."""
        if self.feature_set == "application":
            from creditdesk.ml.features import build_frame  # noqa: PLC0415 - features imports this module

            return build_frame(records, as_of=as_of)
        return pd.DataFrame(list(records))

    def prepare_row(self, record: Mapping[str, Any], as_of: Any = None) -> dict[str, Any]:
        """Return the model's input row for one record (a §5 body for application models)."""
        if self.feature_set == "application":
            from creditdesk.ml.features import feature_row  # noqa: PLC0415 - features imports this module

            return feature_row(record, as_of=as_of)
        return dict(record)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the float matrix (rows × model features) the model consumes."""
        return self.encoder.encode(frame)

    def encode_row(self, row: Mapping[str, Any]) -> np.ndarray:
        """Return the 1 × k float matrix of one row (dict of feature values)."""
        return self.encoder.encode_row(row)

    # ---- batch -----------------------------------------------------------------------------------

    def predict_pd(self, frame: pd.DataFrame, num_threads: int | None = None) -> np.ndarray:
        """Return the PD of every row of ``frame``."""
        x = self.encode(frame)
        if self.scorecard is not None:
            return _sigmoid(self.scorecard.logit(x))
        threads = num_threads or self.num_threads
        return np.asarray(self.booster.predict(x, num_threads=threads), dtype=float)

    def explain(self, frame: pd.DataFrame, num_threads: int | None = None) -> Explanation:
        """Return PD and additive log-odds contributions for every row of ``frame``."""
        x = self.encode(frame)
        if self.scorecard is not None:
            contrib, base, lost = self.scorecard.explain(x)
            raw = base + contrib.sum(axis=1)
            return Explanation(self.feature_names, _sigmoid(raw), base, contrib, frame.reset_index(drop=True), lost)
        threads = num_threads or self.num_threads
        out = np.asarray(self.booster.predict(x, pred_contrib=True, num_threads=threads), dtype=float)
        contrib, base_col = out[:, :-1], out[:, -1]
        raw = base_col + contrib.sum(axis=1)
        base = float(base_col[0]) if len(base_col) else 0.0
        return Explanation(self.feature_names, _sigmoid(raw), base, contrib, frame.reset_index(drop=True))

    # ---- single row (real-time) --------------------------------------------------------------------

    def predict_row(self, row: Mapping[str, Any]) -> float:
        """Return the PD of one row given as a dict of feature values."""
        x = self.encode_row(row)
        if self.scorecard is not None:
            return float(_sigmoid(self.scorecard.logit(x))[0])
        return float(self._predict_single(x, _C_API_PREDICT_NORMAL, 1)[0])

    def explain_row(self, row: Mapping[str, Any]) -> RowExplanation:
        """Return PD and its additive log-odds explanation for one row (the real-time path)."""
        x = self.encode_row(row)
        values = {name: row.get(name) for name in self.feature_names}
        if self.scorecard is not None:
            contrib, base, lost = self.scorecard.explain(x)
            raw = base + float(contrib[0].sum())
            return RowExplanation(
                pd=float(_sigmoid(np.array(raw))),
                base_value=base,
                contributions=dict(zip(self.feature_names, contrib[0].tolist(), strict=True)),
                values=values,
                points_lost=dict(zip(self.feature_names, lost[0].tolist(), strict=True)),
            )
        k = len(self.feature_names)
        out = self._predict_single(x, _C_API_PREDICT_CONTRIB, k + 1)
        contributions = out[:k].tolist()
        base = float(out[k])
        raw = base + math.fsum(contributions)
        return RowExplanation(
            pd=1.0 / (1.0 + math.exp(-raw)),
            base_value=base,
            contributions=dict(zip(self.feature_names, contributions, strict=True)),
            values=values,
        )

    def _predict_single(self, x: np.ndarray, predict_type: int, width: int) -> np.ndarray:
        """Predict one row through LightGBM's single-row fast C API (falls back to Booster.predict)."""
        if not self._fast_ok:
            kwargs = {"pred_contrib": True} if predict_type == _C_API_PREDICT_CONTRIB else {}
            return np.asarray(self.booster.predict(x, num_threads=1, **kwargs), dtype=float).reshape(-1)
        config = self._fast.get(predict_type)
        if config is None:
            config = self._init_fast(predict_type)
        result = np.empty(width, dtype=np.float64)
        out_len = ctypes.c_int64(0)
        x = np.ascontiguousarray(x, dtype=np.float64)
        status = _gil_lib().LGBM_BoosterPredictForMatSingleRowFast(
            config,
            ctypes.c_void_p(x.ctypes.data),  # raw addresses: ndarray.ctypes.data_as costs more than the prediction
            ctypes.byref(out_len),
            ctypes.c_void_p(result.ctypes.data),
        )
        if status != 0 or out_len.value != width:
            raise RuntimeError(_last_error())
        return result

    def _init_fast(self, predict_type: int) -> ctypes.c_void_p:
        with self._lock:
            config = self._fast.get(predict_type)
            if config is not None:
                return config
            handle = ctypes.c_void_p()
            status = _lib().LGBM_BoosterPredictForMatSingleRowFastInit(
                self.booster._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(_C_API_DTYPE_FLOAT64),
                ctypes.c_int32(len(self.columns)),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(handle),
            )
            if status != 0:
                raise RuntimeError(_last_error())
            self._fast[predict_type] = handle
            return handle

    def __del__(self) -> None:
        fast = getattr(self, "_fast", None)
        if not fast:
            return
        try:
            lib = _lib()
            for handle in fast.values():
                lib.LGBM_FastConfigFree(handle)
        except Exception:  # noqa: S110 - interpreter shutdown: the library may already be gone
            pass
        fast.clear()

    # ---- introspection -----------------------------------------------------------------------------

    def feature_importance(self) -> dict[str, float]:
        """Return normalised importances: total gain for LightGBM, IV-weighted |coef| for a scorecard."""
        if self.scorecard is not None:
            raw = self.scorecard.importance()
        else:
            raw = dict(zip(self.feature_names, self.booster.feature_importance("gain").tolist(), strict=True))
        total = sum(raw.values()) or 1.0
        return {name: value / total for name, value in raw.items()}

    def points_table(self) -> list[dict[str, Any]]:
        """Return the scorecard's points table (one row per feature bin); empty for LightGBM."""
        return [] if self.scorecard is None else self.scorecard.points_table()


def _lib() -> Any:
    from lightgbm.libpath import _LIB  # noqa: PLC0415 - loads LightGBM's library on first use

    return _LIB


@functools.cache
def _gil_lib() -> Any:
    """LightGBM's library through ``ctypes.PyDLL``: calls keep the GIL.

    A single-row prediction takes tens of microseconds; releasing the GIL for it (as ``CDLL`` does)
    lets another thread take it, and getting it back can cost more than the prediction itself.
    """
    return ctypes.PyDLL(_lib()._name)


def _last_error() -> str:
    lib = _lib()
    return str(lib.LGBM_GetLastError().decode("utf-8"))


# --------------------------------------------------------------------------------------------------
# scorecard scoring from JSON


class _Scorecard:
    """Scores a WoE logistic scorecard from its JSON description (no optbinning needed)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.intercept = float(spec["intercept"])
        self.variables = list(spec["variables"])
        self.names = [v["name"] for v in self.variables]
        self.coef = np.array([float(v["coefficient"]) for v in self.variables])
        self.mean_woe = np.array([float(v["mean_woe"]) for v in self.variables])
        self.scale = spec["scale"]
        factor = float(self.scale["pdo"]) / math.log(2.0)
        self._factor = factor
        # Per variable: numeric splits, WoE per bin, missing and unknown WoE, and for a categorical
        # the bin of every metadata level code (−1: a level the binning never saw).
        self._luts: list[tuple[np.ndarray, np.ndarray, float, float, np.ndarray]] = []
        for var in self.variables:
            woe = np.array(var["woe"], dtype=float)
            splits = np.array(var.get("splits") or [], dtype=float)
            groups = {str(level): i for i, group in enumerate(var.get("groups") or []) for level in group}
            level_bins = np.array([groups.get(level, -1) for level in var.get("levels") or []] + [-1], dtype=int)
            self._luts.append((splits, woe, float(var["woe_missing"]), float(var["woe_unknown"]), level_bins))
        # Best achievable term per variable (lowest risk): the bin that adds the fewest log-odds.
        # The missing bin counts only when the training data had missing values there.
        self.best = np.array(
            [
                min(float(c * w) for w in [*v["woe"], *([v["woe_missing"]] if v.get("missing_count") else [])])
                for v, c in zip(self.variables, self.coef, strict=True)
            ]
        )

    def woe(self, x: np.ndarray) -> np.ndarray:
        """Return the WoE matrix of an encoded matrix (categoricals arrive as level codes)."""
        out = np.empty(x.shape, dtype=float)
        for j, (var, (splits, woe, missing, unknown, level_bins)) in enumerate(
            zip(self.variables, self._luts, strict=True)
        ):
            col = x[:, j]
            nan = np.isnan(col)
            if var["kind"] == "categorical":
                idx = np.where(nan, len(level_bins) - 1, col).astype(int)
                bins = level_bins[idx]
                vals = np.where(bins >= 0, woe[np.maximum(bins, 0)], unknown)
            else:
                bins = np.digitize(np.where(nan, 0.0, col), splits, right=False)
                vals = woe[bins]
            out[:, j] = np.where(nan, missing, vals)
        return out

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Return the log-odds of default for an encoded matrix."""
        out: np.ndarray = self.intercept + self.woe(x) @ self.coef
        return out

    def explain(self, x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """Return (linear SHAP contributions, base value, points lost) for an encoded matrix."""
        terms = self.woe(x) * self.coef
        contrib = terms - self.coef * self.mean_woe
        base = self.intercept + float(self.coef @ self.mean_woe)
        lost = np.maximum(terms - self.best, 0.0) * self._factor
        return contrib, base, lost

    def importance(self) -> dict[str, float]:
        """Return |coef| × IV per variable."""
        return {v["name"]: abs(float(v["coefficient"])) * float(v.get("iv", 0.0)) for v in self.variables}

    def points_table(self) -> list[dict[str, Any]]:
        """Return one row per (feature, bin) with its WoE and points."""
        rows: list[dict[str, Any]] = []
        for var in self.variables:
            for label, woe, points in zip(
                var["bins"], [*var["woe"], var["woe_missing"]], [*var["points"], var["points_missing"]], strict=True
            ):
                rows.append({"feature": var["name"], "bin": label, "woe": woe, "points": points})
        return rows
