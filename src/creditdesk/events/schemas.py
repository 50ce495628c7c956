"""The domain events: their routing keys (defined here, once), each event's ``data``, and the envelope.

Every event travels as ``{"id","type","tenant","occurred_at","data"}`` (:class:`Envelope`): ``type`` is
its routing key on the ``creditdesk.events`` topic exchange and the event type webhooks subscribe to,
``tenant`` the tenant's slug (null for a platform event). ``data`` is the model :data:`EVENT_DATA`
names for the type; producers are held to it (unknown fields are refused), and adding a field is the
compatible way to grow an event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.kit.money import Money

EventType = Literal[
    "application.decided",
    "loan.disbursed",
    "payment.received",
    "loan.dpd_changed",
    "ews.band_changed",
    "collections.case_opened",
    "message.status_changed",
    "message.replied",
    "ptp.kept",
    "ptp.broken",
    "alert.raised",  # wave 1 (monitoring); webhooks have subscribed to it since
]

#: every routing key, in the order above
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

RiskBand = Literal["L", "M", "H"]
Channel = Literal["sms", "whatsapp", "email", "voice"]
MessageStatus = Literal["queued", "sent", "delivered", "read", "failed", "blocked"]


class EventData(BaseModel):
    """The ``data`` of one event type."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApplicationDecided(EventData):
    """A credit application was decided (single, batch or demo)."""

    application_id: str
    external_ref: str | None = None
    decision: Literal["Approve", "Review", "Reject"]
    pd: float = Field(ge=0, le=1)
    score: int


class LoanDisbursed(EventData):
    """A loan was booked with its schedule (from an approved application, or directly)."""

    loan_id: str
    application_id: str | None = None
    principal: Money
    disbursed_on: date


class PaymentReceived(EventData):
    """A repayment was applied to a loan (once per reference)."""

    loan_id: str
    payment_id: str
    reference: str
    amount: Money
    paid_on: date
    channel: str | None = None


class LoanDpdChanged(EventData):
    """A loan's days past due moved (its bucket and RBI asset class with it)."""

    loan_id: str
    previous_dpd: int = Field(ge=0)
    dpd: int = Field(ge=0)
    bucket: str = Field(description="portfolio's DPD bucket: current, 1-30, 31-60, 61-90 or 90+")
    asset_class: str | None = Field(default=None, description="RBI asset class, e.g. sma_1, substandard")
    as_of: date
    previous_bucket: str | None = Field(default=None, description="the bucket the previous day-end recorded")
    previous_asset_class: str | None = Field(default=None, description="the class the previous day-end recorded")


class EwsBandChanged(EventData):
    """An account's early-warning risk band changed."""

    account_id: str
    previous_band: RiskBand | None = None
    band: RiskBand
    probability: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)


class CollectionsCaseOpened(EventData):
    """A collections case was opened for an overdue loan."""

    case_id: str
    loan_id: str
    dpd: int = Field(ge=0)
    bucket: str
    overdue_amount: Money
    segment: str | None = None


class MessageStatusChanged(EventData):
    """A message to a borrower moved along queued → sent → delivered → read, or failed / was blocked."""

    message_id: str
    channel: Channel
    status: MessageStatus
    previous_status: MessageStatus | None = None
    loan_id: str | None = None
    borrower_id: str | None = None
    provider_message_id: str | None = None
    blocked_by: str | None = Field(default=None, description="the contact-policy rule, for a blocked send")


class MessageReplied(EventData):
    """A borrower replied (or pressed a key on a call): the intent read from it, and what it answers."""

    reply_id: str
    channel: Channel
    intent: Literal["paid", "promise", "stop", "help", "dispute", "unknown"]
    promised_on: date | None = Field(default=None, description="the date a promise names")
    confidence: float
    in_reply_to: str | None = Field(default=None, description="our message it answers")
    borrower_id: str | None = None
    loan_id: str | None = None


class _PromiseSettled(EventData):
    promise_id: str
    case_id: str
    loan_id: str
    amount: Money = Field(description="what was promised")
    promised_on: date
    paid_amount: Money = Field(description="what was paid towards it by the promised date")


class PtpKept(_PromiseSettled):
    """A promise to pay was kept: paid in full by its date."""


class PtpBroken(_PromiseSettled):
    """A promise to pay was broken (nothing paid) or only partly kept."""

    status: Literal["broken", "partly_kept"] = "broken"


class AlertRaised(EventData):
    """A monitoring alert newly holds (portfolio or model)."""

    alert_id: str
    kind: str
    subject: str
    level: str
    message: str


#: the model of each event type's ``data``
EVENT_DATA: dict[EventType, type[EventData]] = {
    "application.decided": ApplicationDecided,
    "loan.disbursed": LoanDisbursed,
    "payment.received": PaymentReceived,
    "loan.dpd_changed": LoanDpdChanged,
    "ews.band_changed": EwsBandChanged,
    "collections.case_opened": CollectionsCaseOpened,
    "message.status_changed": MessageStatusChanged,
    "message.replied": MessageReplied,
    "ptp.kept": PtpKept,
    "ptp.broken": PtpBroken,
    "alert.raised": AlertRaised,
}


class Envelope(BaseModel):
    """An event as consumers, the broker and webhook receivers see it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique per event: consumers de-duplicate by it")
    type: str = Field(description="The routing key, one of the event types")
    tenant: str | None = Field(description="The tenant's slug; null for a platform event")
    occurred_at: datetime = Field(description="When the change was made (its transaction), UTC")
    data: dict[str, Any]
