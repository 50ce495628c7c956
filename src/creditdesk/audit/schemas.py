"""Audit payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    tenant_id: str | None
    actor_type: str
    actor_id: str | None
    actor_email: str | None
    action: str
    resource_type: str | None
    resource_id: str | None
    outcome: str
    request_id: str | None
    ip: str | None
    details: dict[str, Any]
    created_at: datetime
    hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    events: int
    broken_event_id: str | None = None
    broken_seq: int | None = None
    broken_action: str | None = None
    broken_chain: str | None = None
    chains: int = 1
    reason: str | None = None
