"""API shapes of the payments room: the gateway configuration, payment links, the webhook's answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from creditdesk.kit.money import PositiveMoney
from creditdesk.kit.ssrf import UnsafeEndpoint, check_url_shape

SecretValue = Annotated[str, Field(min_length=8, max_length=200), AfterValidator(SecretStr)]
"""A secret as sent by a client: held as SecretStr from then on (its repr shows nothing)."""

LinkPurpose = Literal["emi", "ptp", "settlement", "foreclosure"]
LinkStatus = Literal["created", "paid", "expired", "cancelled"]
WebhookOutcome = Literal["applied", "duplicate", "unmatched", "rejected", "ignored", "bounced"]
MandateStatus = Literal["pending", "active", "rejected", "cancelled"]
DebitStatus = Literal["scheduled", "presented", "paid", "bounced"]


class GatewaySettingsUpdate(BaseModel):
    """``PUT …/payments/gateway``: omitted fields keep their stored value (a first configuration needs all)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, max_length=500, examples=["https://api.gateway.example"])
    key_id: str | None = Field(default=None, min_length=1, max_length=100)
    key_secret: SecretValue | None = None
    webhook_secret: SecretValue | None = None
    timeout_ms: int | None = Field(default=None, ge=100, le=60_000)

    @field_validator("base_url")
    @classmethod
    def _shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_url_shape(value)
        except UnsafeEndpoint as exc:
            raise ValueError(f"base_url {exc}") from None


class GatewaySettingsRead(BaseModel):
    """The tenant's gateway account; secrets redacted to at most their last 4 characters."""

    configured: bool
    base_url: str | None
    key_id: str | None
    credentials: dict[str, str | None] = Field(description="key_secret, webhook_secret redacted; null when not set")
    timeout_ms: int | None
    webhook_path: str = Field(description="Where the gateway must send its webhooks (on this server)")
    updated_at: datetime | None
    updated_by: str | None


class LinkCreate(BaseModel):
    """``POST …/payments/links``."""

    model_config = ConfigDict(extra="forbid")

    loan_id: str = Field(min_length=1, max_length=36)
    amount: PositiveMoney
    purpose: LinkPurpose
    expires_in_hours: int = Field(default=72, ge=1, le=24 * 90)


class LinkRead(BaseModel):
    """A payment link for a loan."""

    id: str
    url: str
    status: LinkStatus
    amount: Decimal
    loan_id: str
    purpose: LinkPurpose
    gateway_link_id: str
    expires_at: datetime | None
    paid_at: datetime | None
    created_at: datetime


class LinkPage(BaseModel):
    items: list[LinkRead]
    total: int
    limit: int
    offset: int


class WebhookAck(BaseModel):
    """What the inbound webhook did (the gateway only reads the status code: 200 stops its retries)."""

    outcome: WebhookOutcome
    gateway_payment_id: str | None = None


class MandateDebitRead(BaseModel):
    """One instalment's debit on the mandate (``scheduled`` until presented)."""

    due_date: date
    amount: Decimal
    status: DebitStatus
    reason_code: str | None = Field(description="NPCI's return reason code of a bounced debit")
    reason: str | None


class MandateRead(BaseModel):
    """A loan's e-mandate (eNACH / UPI AutoPay) and its debits, one per instalment."""

    id: str
    status: MandateStatus
    umrn: str | None
    max_amount: Decimal
    registered_at: datetime
    debits: list[MandateDebitRead]
