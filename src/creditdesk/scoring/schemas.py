"""Application, decision, policy and batch payloads (DESIGN §5 "Policy" and "Scoring")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from creditdesk.altdata.schemas import AltData
from creditdesk.bureaus.schemas import BureauData, BureauName, Pan
from creditdesk.kit.money import Money
from creditdesk.ml.features import EMPLOYMENT_TYPES, PURPOSES, RESIDENCE_TYPES

# one vocabulary: the feature definitions (ml/features.py) own the levels the model was trained on
EmploymentType = Literal[EMPLOYMENT_TYPES]  # type: ignore[valid-type]
Purpose = Literal[PURPOSES]  # type: ignore[valid-type]
ResidenceType = Literal[RESIDENCE_TYPES]  # type: ignore[valid-type]
Decision = Literal["Approve", "Review", "Reject"]
BureauStatus = Literal["pulled", "no_record", "supplied", "unavailable", "none"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_In):
    name: str = Field(min_length=1, max_length=200)
    pan: Pan | None = None
    date_of_birth: date
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{10,13}$")
    email: EmailStr | None = None
    gender: Literal["female", "male", "other"] | None = None
    employment_type: EmploymentType
    employment_years: Decimal | None = Field(default=None, ge=0, le=60)
    monthly_income: Money
    existing_emi: Money = Decimal(0)
    residence_type: ResidenceType | None = None
    city_tier: Literal[1, 2, 3] | None = None
    state: str | None = Field(default=None, max_length=60)

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_dob(cls, value: date) -> date:
        today = date.today()
        if value >= today or (today.year - value.year) > 100:
            raise ValueError("date_of_birth must be in the past and within 100 years")
        return value


class LoanRequest(_In):
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)]
    tenure_months: int = Field(ge=1, le=480)
    interest_rate: Decimal = Field(ge=0, le=60, description="Percent per annum")
    purpose: Purpose


class ApplicationCreate(_In):
    external_ref: str | None = Field(default=None, max_length=100)
    applicant: Applicant
    loan: LoanRequest
    bureau: BureauData | None = None
    alt_data: AltData | None = None
    pull_bureaus: list[BureauName] | None = Field(
        default=None,
        max_length=3,
        description=(
            "Leave out to pull what the tenant's policy says (by default every enabled bureau). A list "
            "that leaves out a bureau the policy pulls needs the applications:choose_bureaus permission."
        ),
    )

    @model_validator(mode="after")
    def _pull_needs_pan(self) -> ApplicationCreate:
        if self.pull_bureaus and not self.applicant.pan:
            raise ValueError("applicant.pan is required to pull bureau reports")
        if self.pull_bureaus and len(set(self.pull_bureaus)) != len(self.pull_bureaus):
            raise ValueError("pull_bureaus must not repeat a bureau")
        return self


class Contribution(BaseModel):
    feature: str
    label: str | None = Field(default=None, description="The feature in the lender's words")
    value: Any = None
    impact: float


class AdverseReason(BaseModel):
    feature: str
    label: str
    reason: str = Field(description="The reason as a borrower reads it")
    impact: float = Field(description="Cost in log-odds of default against a good reference applicant")
    value: Any = None


class BureauPullOut(BaseModel):
    bureau: str
    status: str
    score: int | None = None
    latency_ms: float | None = None
    cached: bool = False
    error: str | None = None


class ModelRef(BaseModel):
    id: str
    version: int


class DecisionOut(BaseModel):
    application_id: str
    external_ref: str | None = None
    score: int
    credit_score: int
    pd: float
    decision: Decision
    shap_explanation: list[str]
    positive_factors: list[str] = Field(default_factory=list)
    contributions: list[Contribution]
    base_value: float
    expected_loss: Decimal
    credit_limit: Decimal
    model: ModelRef
    policy_version: int
    knockouts: list[dict[str, Any]] = Field(default_factory=list)
    bureau_reports: list[BureauPullOut] = Field(default_factory=list)
    bureau_status: BureauStatus | None = Field(
        default=None,
        description=(
            "pulled: bureau data came from live pulls; no_record: the bureaus answered and hold no record "
            "(new to credit); supplied: the values sent in `bureau` were used, nothing was pulled; unavailable: "
            "the applicant has a PAN but no bureau could be reached (decided Review, not as new to credit); "
            "none: no PAN and no bureau data"
        ),
    )
    adverse_reasons: list[AdverseReason] = Field(
        default_factory=list,
        description="Review/Reject: the factors that cost this applicant most against a good reference (may be empty)",
    )
    inputs: dict[str, Any] | None = Field(
        default=None, description="The application as decided: typed values with pulled bureau data merged in"
    )
    created_at: datetime


class ApplicationSummary(BaseModel):
    application_id: str
    external_ref: str | None
    applicant_name: str | None
    decision: Decision
    score: int
    credit_score: int
    pd: float
    loan_amount: Decimal
    model: ModelRef
    policy_version: int
    created_at: datetime
    created_by: str | None


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    limit: int
    offset: int


class KnockoutRule(_In):
    name: str = Field(min_length=1, max_length=80)
    when: str = Field(min_length=1, max_length=500, description="A ZEN expression over the application's features")
    outcome: Literal["Reject", "Review"]
    reason: str = Field(min_length=1, max_length=200)


class LimitRules(_In):
    max_foir: float = Field(default=0.55, gt=0, le=1, description="Fixed obligations ceiling used for limit headroom")
    max_limit: Decimal = Field(default=Decimal("2000000"), gt=0, description="Absolute cap on a credit limit (INR)")
    income_multiple: float = Field(default=12, gt=0, le=120, description="Cap as a multiple of monthly income")


class BureauPullRule(_In):
    bureaus: list[BureauName] | None = Field(
        default=None,
        max_length=3,
        description=(
            "Which bureaus every application with a PAN is pulled from; null = every bureau the tenant has "
            "enabled. Reports are combined by the tenant's merge rule (GET …/bureaus/merge-rule)."
        ),
    )

    @field_validator("bureaus")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("bureaus must not repeat a bureau")
        return value


class PolicyIn(_In):
    approve_below_pd: float = Field(default=0.30, gt=0, lt=1)
    reject_at_or_above_pd: float = Field(default=0.60, gt=0, le=1)
    knockout_rules: list[KnockoutRule] = Field(default_factory=list, max_length=50)
    lgd: float = Field(default=0.6, ge=0, le=1)
    limit_rules: LimitRules = Field(default_factory=LimitRules)
    bureau_pull: BureauPullRule = Field(default_factory=BureauPullRule)
    adverse_reason_min_impact: float = Field(
        default=0.1,
        ge=0,
        le=5,
        description="Smallest cost (log-odds against a good reference) that is reported as an adverse-action reason",
    )

    @model_validator(mode="after")
    def _ordered(self) -> PolicyIn:
        if self.approve_below_pd > self.reject_at_or_above_pd:
            raise ValueError("approve_below_pd must not exceed reject_at_or_above_pd")
        names = [r.name for r in self.knockout_rules]
        if len(set(names)) != len(names):
            raise ValueError("knock-out rule names must be unique")
        return self


class PolicyOut(PolicyIn):
    model_config = ConfigDict(extra="ignore")

    version: int = Field(description="0 = the built-in default, before the first change")
    created_at: datetime | None = None
    created_by: str | None = None


class PolicyPreviewIn(_In):
    approve_below_pd: float = Field(gt=0, lt=1)
    reject_at_or_above_pd: float = Field(gt=0, le=1)
    months: int = Field(
        default=12, ge=1, le=36, description="Replay the decisions of this many calendar months (as Monitoring)"
    )
    last_n: int | None = Field(default=None, ge=1, le=50000, description="At most this many of the latest decisions")


class PolicyPreviewOut(BaseModel):
    applications: int = Field(description="Decisions replayed")
    window_months: int
    window_from: datetime
    capped: bool = Field(description="True when last_n cut the window short")
    approve_rate: float = Field(description="With these thresholds and the knock-outs stored on each decision")
    review_rate: float
    reject_rate: float
    current_approve_rate: float | None = Field(
        description="Approved as decided (with knock-outs) over the same decisions: the Monitoring/Portfolio figure"
    )
    knocked_out: int = Field(description="Decisions on which a knock-out rule fired (they keep its outcome)")
    kept_as_decided: int = Field(
        description="Decisions today's thresholds do not reproduce (an earlier policy version, no bureau answer), "
        "counted as decided"
    )


class BatchCreated(BaseModel):
    batch_id: str
    job_id: str
    rows: int
    status: str


class BatchOut(BaseModel):
    batch_id: str
    job_id: str
    filename: str
    status: str
    rows: int
    done: int
    failed: int
    progress: float
    created_at: datetime
    error: str | None = None


class BatchItem(BatchOut):
    created_by: str | None = None


class BatchPage(BaseModel):
    items: list[BatchItem]
    total: int
    limit: int
    offset: int


class RowError(BaseModel):
    row: int
    field: str | None
    message: str


class BatchPreviewOut(BaseModel):
    format: str
    rows: int
    columns: list[str]
    unknown_columns: list[str]
    preview: list[dict[str, Any]]
    errors: list[RowError]
    valid_rows: int


class ScoreOut(BaseModel):
    pd: float
    score: int
    credit_score: int
    decision: Decision
    expected_loss: Decimal
    reasons: list[str]
    model: ModelRef
    policy_version: int


class ScoreBatchIn(_In):
    applications: list[ApplicationCreate] = Field(min_length=1, max_length=1000)


class ScoreBatchOut(BaseModel):
    results: list[ScoreOut]
