"""API shapes of the credential store, the connection test, the merge rule and the breaker listing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StrictBool, field_validator

from creditdesk.bureaus.merge import Strategy
from creditdesk.bureaus.schemas import BureauName
from creditdesk.kit.ssrf import UnsafeEndpoint, check_url_shape

SecretValue = Annotated[str, Field(min_length=1, max_length=512), AfterValidator(SecretStr)]
"""A secret as sent by a client: a non-empty string, held as SecretStr from then on."""


class BureauConfigRead(BaseModel):
    """A tenant's configuration of one bureau; secrets redacted to at most their last 4 characters."""

    bureau: BureauName
    configured: bool = Field(description="False when the tenant has never configured this bureau")
    enabled: bool
    endpoint_url: str | None
    member_id: str | None
    credentials: dict[str, str | None] = Field(
        description="Each secret field of the bureau, redacted (e.g. '••••••3f9a'); null when not set"
    )
    timeout_ms: int
    updated_at: datetime | None
    updated_by: str | None


class BureauConfigList(BaseModel):
    items: list[BureauConfigRead]


class BureauConfigUpdate(BaseModel):
    """``PUT …/bureaus/{bureau}``. Omitted fields keep their stored value; so does an omitted or null secret.

    Secret fields per bureau: CIBIL ``password``, ``api_key``; Experian ``client_id``,
    ``client_secret``; CRIF ``user_id``, ``password``. Any other credential field is refused.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None = None
    endpoint_url: str | None = Field(default=None, max_length=500, examples=["https://api.bureau.example/v1"])
    member_id: str | None = Field(default=None, min_length=1, max_length=100)
    credentials: dict[str, SecretValue | None] | None = None
    timeout_ms: int | None = Field(default=None, ge=100, le=60_000)

    @field_validator("endpoint_url")
    @classmethod
    def _shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_url_shape(value)
        except UnsafeEndpoint as exc:
            raise ValueError(f"endpoint_url {exc}") from None

    @field_validator("member_id")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("member_id cannot be blank")
        return value.strip() if value is not None else None


class ConnectionTestRead(BaseModel):
    """The answer of ``POST …/bureaus/{bureau}/test``: a real call with the stored credentials."""

    ok: bool
    latency_ms: int
    error: str | None = None


class MergeRuleRead(BaseModel):
    """How the tenant merges several bureaus' reports (see ``creditdesk.bureaus.merge``)."""

    strategy: Strategy
    priority: list[BureauName]
    updated_at: datetime | None = None
    updated_by: str | None = None


class MergeRuleUpdate(BaseModel):
    """``PUT …/bureau-merge-rule``: ``conservative`` (worst case), ``primary`` (first hit by priority), ``average``."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy
    priority: list[BureauName] | None = Field(default=None, min_length=1, max_length=3)

    @field_validator("priority")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("priority lists each bureau at most once")
        return value


class BreakerRead(BaseModel):
    """The circuit breaker of one (tenant, bureau)."""

    tenant: str | None = Field(description="Tenant slug")
    tenant_id: str
    bureau: str
    state: str = Field(description="closed | open | half-open")
    fail_counter: int
    opened_at: str | None
    retry_in_s: float = Field(description="Seconds until an open breaker lets a trial call through")


class BreakerList(BaseModel):
    items: list[BreakerRead]
