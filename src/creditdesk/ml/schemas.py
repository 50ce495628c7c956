"""Model registry payloads, and the model report (model card) the registry stores with each version.

The report is written once by training (``ml/training.py`` ``_report``) and stored as JSON; the
schemas here are its contract: the model detail page renders it, and monitoring reads the training
baseline from it (:class:`TrainingBaseline`, at the report's ``baseline`` key) to measure drift.
Sections a report may lack (a scorecard's points table, the demo's synthetic and swap-set sections,
the oracle without a true PD) are optional.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: a target value as the upload had it: a label, a number or a boolean
TargetValue = str | int | float | bool | None


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    id: str
    version: int
    name: str
    status: str
    algorithm: str
    feature_set: str
    traffic: float
    target: str | None
    dataset: str | None
    platform_default: bool
    metrics: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None


# --------------------------------------------------------------------------------------------------
# the model report (model card)


class TargetMapping(BaseModel):
    column: str
    positive: TargetValue = Field(description="The value that marks a default")
    negative: TargetValue
    rule: str = Field(description="Why this value was taken as the default")


class SplitDropped(BaseModel):
    missing_target: int
    invalid_date: int


class Split(BaseModel):
    method: Literal["time", "stratified"]
    date_column: str | None
    train: int
    validation: int
    test: int
    dropped: SplitDropped


class ModelFeature(BaseModel):
    name: str
    kind: str
    direction: int = Field(description="Monotone constraint: 1 riskier as it rises, -1 safer, 0 free")


class ExcludedColumn(BaseModel):
    column: str
    reason: str


class Metrics(BaseModel):
    auc: float | None
    gini: float | None
    ks: float | None
    brier: float | None
    log_loss: float | None
    rows: int
    default_rate: float | None
    mean_pd: float | None


class CalibrationDecile(BaseModel):
    decile: int = Field(description="1 = the safest tenth by PD")
    count: int
    min_pd: float | None
    max_pd: float | None
    mean_pd: float | None = Field(description="Predicted default rate")
    default_rate: float | None = Field(description="Observed default rate")


class DecisionBand(BaseModel):
    count: int
    share: float | None
    defaults: int
    default_rate: float | None


class DecisionBands(BaseModel):
    Approve: DecisionBand
    Review: DecisionBand
    Reject: DecisionBand


class ConfusionMatrix(BaseModel):
    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int


class Confusion(BaseModel):
    approve_below: float
    reject_at_or_above: float
    bands: DecisionBands
    approve_vs_rest: ConfusionMatrix = Field(description="Positive = default; a model predicts it by not approving")


class FeatureImportance(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    feature: str
    importance: float = Field(description="Normalised gain (LightGBM) or IV-weighted |coefficient| (scorecard)")
    mean_abs_shap: float | None = None
    shap_share: float | None = Field(default=None, description="Share of the mean |SHAP| (LightGBM only)")


class NumericDistribution(BaseModel):
    kind: Literal["numeric"]
    edges: list[float]
    proportions: list[float]
    missing: float


class CategoricalDistribution(BaseModel):
    kind: Literal["categorical"]
    levels: list[str]
    proportions: list[float]
    missing: float


FeatureDistribution = Annotated[NumericDistribution | CategoricalDistribution, Field(discriminator="kind")]


class ScoreDistribution(NumericDistribution):
    mean_pd: float | None
    quantiles: dict[str, float | None]


class TrainingBaseline(BaseModel):
    """The training population's distributions: what drift is measured against."""

    features: dict[str, FeatureDistribution]
    score: ScoreDistribution | None = Field(description="The PD distribution")


class FairnessGroup(BaseModel):
    group: str
    count: int
    default_rate: float | None
    approval_rate: float | None
    mean_pd: float | None
    auc: float | None
    approval_rate_ratio: float | None = Field(description="Approval rate ÷ the best-treated group's")
    sufficient_sample: bool
    flagged: bool = Field(description="Ratio below the four-fifths threshold on a sufficient sample")


class FairnessSection(BaseModel):
    column: str = Field(description="The training column the attribute was read from")
    groups: list[FairnessGroup]
    reference_approval_rate: float | None
    flagged: list[str]


class FairnessFlag(BaseModel):
    attribute: str
    group: str


class Fairness(BaseModel):
    threshold: float
    approve_below: float
    age_band: FairnessSection | None
    gender: FairnessSection | None
    flags: list[FairnessFlag]


class Oracle(BaseModel):
    oracle_auc: float | None
    model_auc: float | None
    fraction: float | None


class PointsRow(BaseModel):
    feature: str
    bin: str
    woe: float
    points: float


class SwapGroup(BaseModel):
    count: int
    bad_rate: float | None


class SwapSetAtAppetite(BaseModel):
    target_bad_rate: float | None
    rows: int
    approvals_a: int
    approvals_b: int
    approval_rate_a: float | None
    approval_rate_b: float | None
    bad_rate_a: float | None
    bad_rate_b: float | None
    gain: float | None
    swap_in: SwapGroup
    swap_out: SwapGroup


class SwapSetPoint(SwapSetAtAppetite):
    approval_share_b: float


class SwapSet(SwapSetAtAppetite):
    model_a: str
    model_b: str
    model_b_auc: float | None
    curve: list[SwapSetPoint]


class SyntheticBook(BaseModel):
    seed: int
    rows: int
    default_rate: float
    oracle_auc_full_book: float | None
    scenario_counts: dict[str, int]


class ModelReport(BaseModel):
    """A model's validation report (model card), as training stored it.

    Sections an older or partial card lacks come back empty (``[]``) or ``null``: every field is always sent.
    """

    model_config = ConfigDict(protected_namespaces=(), json_schema_serialization_defaults_required=True)

    algorithm: str | None = None
    feature_set: str | None = None
    target: TargetMapping | None = None
    split: Split | None = None
    features: list[ModelFeature] = Field(default_factory=list)
    excluded_columns: list[ExcludedColumn] = Field(default_factory=list)
    metrics: Metrics | None = Field(default=None, description="Test-set metrics")
    validation_metrics: Metrics | None = None
    train_metrics: Metrics | None = None
    calibration: list[CalibrationDecile] = Field(default_factory=list, description="Test set, by PD decile")
    confusion: Confusion | None = None
    feature_importance: list[FeatureImportance] = Field(default_factory=list)
    baseline: TrainingBaseline | None = None
    fairness: Fairness | None = None
    oracle: Oracle | None = Field(default=None, description="Against the true PD (synthetic data only)")
    auc: float | None = None
    gini: float | None = None
    ks: float | None = None
    brier: float | None = None
    points_table: list[PointsRow] | None = Field(default=None, description="Scorecards only")
    training: dict[str, Any] | None = Field(default=None, description="How the fit ran (algorithm-specific)")
    checksum: str | None = None
    synthetic: SyntheticBook | None = None
    swap_set: SwapSet | None = None


class ModelDetail(ModelRead):
    report: ModelReport = Field(description="Validation report / model card")
    checksum: str


class ModelList(BaseModel):
    items: list[ModelRead]


class TrainAccepted(BaseModel):
    job_id: str
    dataset: str
    rows_hint: int | None = None


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["champion", "challenger"]
    traffic: float = Field(default=0.0, ge=0, le=1, description="Challenger share of live decisions; 0 = shadow")
