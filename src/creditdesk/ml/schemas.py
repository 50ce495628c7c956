"""Model registry payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class ModelDetail(ModelRead):
    report: dict[str, Any] = Field(description="Validation report / model card")
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
