"""The lending routes' shapes: the saga, its steps, the KFS acceptance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.lending.saga import STEPS

SagaStatus = Literal["running", "waiting", "completed", "compensating", "compensated", "failed"]
StepStatus = Literal["pending", "running", "waiting", "completed", "failed", "compensated"]
StepName = Literal["sanction", "kfs", "esign", "mandate", "disburse", "book"]
assert tuple(StepName.__args__) == STEPS  # type: ignore[attr-defined]  # one list of steps


class SagaStarted(BaseModel):
    saga_id: str


class SagaStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: StepName
    status: StepStatus
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class SagaRead(BaseModel):
    id: str
    application_id: str
    status: SagaStatus
    steps: list[SagaStepRead]
    kfs_hash: str | None = None
    kfs_accepted_hash: str | None = None
    loan_id: str | None = None
    payout_id: str | None = None
    error: str | None = None
    esign_request_id: str | None = Field(default=None, description="The sign request at the e-sign service")
    can_retry: bool = Field(
        default=False,
        description="POST …/retry would run the saga again: it is failed, or stuck with no job running it",
    )
    can_compensate: bool = Field(
        default=False,
        description="POST …/compensate would cancel it: no payout attempted yet and no job running it now",
    )


class KfsAccept(BaseModel):
    """The borrower accepts the KFS identified by its content hash."""

    model_config = ConfigDict(extra="forbid")

    content_hash: str = Field(pattern="^[0-9a-f]{64}$")


class SagaCancel(BaseModel):
    """Why the sanctioned loan is being cancelled (kept in the audit log and on the saga)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)


class EsignAck(BaseModel):
    received: bool
