"""Job payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool


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


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true/false")
    return value


#: an integer count (2 and 2.0 are; false is not)
Count = Annotated[int, BeforeValidator(_not_a_bool)]


class SelfTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail_times: Count = Field(default=0, ge=0, le=10)
    permanent: StrictBool = False
    steps: Count = Field(default=1, ge=1, le=100)
    max_attempts: Count = Field(default=4, ge=1, le=20)
