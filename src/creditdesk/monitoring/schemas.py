"""Monitoring and dashboard payloads (rates are fractions 0–1; money is Decimal rupees)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DashboardName = Literal["overview", "delinquency", "npa", "drift"]
ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------------
# overview, delinquency, performance, drift, forecast


class DecisionCounts(BaseModel):
    Approve: int
    Review: int
    Reject: int


class ScoreBand(BaseModel):
    band: str
    count: int


class OverviewMonth(BaseModel):
    month: str
    applications: int
    decisions: DecisionCounts
    approval_rate: float
    mean_pd: float | None
    mean_credit_score: float | None
    credit_score_bands: list[ScoreBand]


class Overview(BaseModel):
    scoring_available: bool
    window_months: int = Field(description="Calendar months of the window, this month included (tenant time)")
    window_from: datetime = Field(description="Start of the window")
    months_covered: int = Field(description="Months of the window that hold decisions: the rows of `months`")
    first_decision_at: datetime | None = Field(description="The window's first decision")
    applications: int
    approval_rate: float | None = Field(
        description="Approved ÷ decided in the window, as decided (with knock-outs); the Portfolio summary and "
        "the policy preview's current figure give the same number for the same window"
    )
    decisions: DecisionCounts
    months: list[OverviewMonth]


class DelinquencyMonth(BaseModel):
    month: str
    as_of: date
    loans: int
    outstanding: Decimal
    dpd30_rate: float
    dpd60_rate: float
    dpd90_rate: float
    dpd30_amount_rate: float
    dpd60_amount_rate: float
    dpd90_amount_rate: float
    gross_npa_ratio: float


class Delinquency(BaseModel):
    as_of: date
    definition: str
    months: list[DelinquencyMonth]


class PerformanceMetrics(BaseModel):
    loans: int
    defaults: int
    default_rate: float | None
    mean_pd: float | None
    auc: float | None
    ks: float | None
    gini: float | None


class CalibrationRow(BaseModel):
    decile: int
    count: int
    min_pd: float | None
    max_pd: float | None
    mean_pd: float | None
    default_rate: float | None
    defaults: int
    expected_defaults: float | None
    standard_error: float | None
    z: float | None = Field(description="(realised − predicted) / binomial standard error")


class PerformanceMonth(PerformanceMetrics):
    month: str
    complete: bool


class Performance(BaseModel):
    as_of: date
    horizon_months: int
    definition: str
    overall: PerformanceMetrics
    calibration: list[CalibrationRow]
    months: list[PerformanceMonth]


class FeatureDrift(BaseModel):
    feature: str
    label: str = Field(description="The feature in the lender's words")
    psi: float
    level: Literal["ok", "warn", "alert"]


class ScoreDrift(BaseModel):
    psi: float
    level: Literal["ok", "warn", "alert"]
    mean_pd: float
    baseline_mean_pd: float | None


class ModelRef(BaseModel):
    id: str
    version: int | None


class DriftThresholds(BaseModel):
    warn: float
    alert: float


class Drift(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    window_days: int
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    thresholds: DriftThresholds
    min_applications: int
    scoring_available: bool
    model: ModelRef | None
    applications: int
    sufficient_data: bool
    features: list[FeatureDrift]
    score: ScoreDrift | None
    note: str | None = None


class ForecastBucket(BaseModel):
    bucket: str
    label: str
    loans: int
    outstanding: Decimal
    flow_rate: float | None
    observations: int
    source: Literal["history", "prior"]
    expected_loans: float | None
    expected_amount: Decimal


class ForecastTotal(BaseModel):
    loans: int
    outstanding: Decimal
    expected_loans: float | None
    expected_amount: Decimal


class NpaForecast(BaseModel):
    as_of: date
    horizon_days: int
    method: str
    buckets: list[ForecastBucket]
    total: ForecastTotal
    current_npa_outstanding: Decimal
    projected_gross_npa_ratio: float | None


# --------------------------------------------------------------------------------------------------
# alerts and settings


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject: str
    level: Literal["warning", "critical"]
    message: str
    details: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


class AlertList(BaseModel):
    items: list[AlertRead]


class JobAccepted(BaseModel):
    job_id: str
    status: str


class MonitoringSettingsIn(_In):
    drift_warn_psi: float | None = Field(default=None, gt=0, le=5)
    drift_alert_psi: float | None = Field(default=None, gt=0, le=5)
    drift_window_days: int | None = Field(default=None, ge=1, le=365)
    drift_min_applications: int | None = Field(default=None, ge=1, le=100000)
    npa_ratio_threshold: float | None = Field(default=None, gt=0, lt=1)
    approval_swing_threshold: float | None = Field(default=None, gt=0, lt=1)
    approval_swing_window_days: int | None = Field(default=None, ge=1, le=90)


class MonitoringSettingsRead(BaseModel):
    drift_warn_psi: float
    drift_alert_psi: float
    drift_window_days: int
    drift_min_applications: int
    npa_ratio_threshold: float
    approval_swing_threshold: float
    approval_swing_window_days: int
    updated_at: datetime | None
    updated_by: str | None
    last_evaluated_at: datetime | None


# --------------------------------------------------------------------------------------------------
# dashboards


class EmbedCredentialsIn(_In):
    client_secret: str | None = Field(default=None, min_length=1, max_length=500)


class EmbedConfigIn(_In):
    provider: Literal["powerbi", "native"]
    report_id: str | None = Field(default=None, max_length=100)
    embed_url: str | None = Field(default=None, max_length=500)
    workspace_id: str | None = Field(default=None, max_length=100)
    client_id: str | None = Field(default=None, max_length=100)
    directory_id: str | None = Field(default=None, max_length=100, description="Azure AD tenant (directory) id")
    authority_url: str | None = Field(default=None, max_length=500, description="Demo/dev only: Azure AD base URL")
    api_url: str | None = Field(default=None, max_length=500, description="Demo/dev only: Power BI REST base URL")
    allowed_origins: list[str] = Field(
        default_factory=list, max_length=20, description="Origins allowed to frame the native dashboard pages"
    )
    credentials: EmbedCredentialsIn | None = None

    @model_validator(mode="after")
    def _origins(self) -> EmbedConfigIn:
        bad = [o for o in self.allowed_origins if not re.fullmatch(ORIGIN_PATTERN, o)]
        if bad:
            raise ValueError(f"allowed_origins must be origins like https://portal.example.com: {bad}")
        return self


class EmbedCredentialsRead(BaseModel):
    client_secret: str | None = Field(description="Redacted: at most the last 4 characters")


class EmbedConfigRead(BaseModel):
    provider: Literal["powerbi", "native"]
    configured: bool
    report_id: str | None
    embed_url: str | None
    workspace_id: str | None
    client_id: str | None
    directory_id: str | None
    authority_url: str | None
    api_url: str | None
    allowed_origins: list[str]
    credentials: EmbedCredentialsRead
    updated_at: datetime | None
    updated_by: str | None


class EmbedTokenIn(_In):
    dashboard: DashboardName = "delinquency"


class EmbedTokenRead(BaseModel):
    provider: Literal["powerbi", "native"]
    dashboard: str
    token: str
    expires_at: datetime
    url: str = Field(description="Native: the page to frame; Power BI: the report's embed URL")
    report_id: str | None = None
    token_id: str | None = None
