"""Job payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: str
    progress: float
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class DeadLetterRead(JobRead):
    tenant_id: str | None
    max_attempts: int


class SelfTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail_times: StrictInt = Field(default=0, ge=0, le=10)
    permanent: StrictBool = False
    steps: StrictInt = Field(default=1, ge=1, le=100)
    max_attempts: StrictInt = Field(default=4, ge=1, le=20)
