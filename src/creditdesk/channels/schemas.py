"""Request and response bodies of the channels routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from creditdesk.channels.formatting import Language
from creditdesk.channels.policy import Channel, ContactPolicy, Hold, PreferredWindow, Purpose
from creditdesk.channels.templates import MAX_VARIABLE_LENGTH, Encoding, VariableType

#: what a tenant admin reads before letting WhatsApp carry collections content
WHATSAPP_COLLECTIONS_WARNING = (
    "WhatsApp's Business Messaging Policy prohibits using WhatsApp for debt collection. Turning this on lets "
    "collections templates go out on WhatsApp; the business account may be restricted or banned by WhatsApp. "
    "Reminders of a due date (utility templates) and OTPs (authentication templates) need no such switch."
)


class ContactPolicyUpdate(ContactPolicy):
    """``PUT …/contact-policy``: the whole policy. It may only tighten RBI's rules (see ``limits``)."""

    version: int | None = Field(
        default=None, ge=0, description="the version you read: 409 when it changed since (omit to overwrite)"
    )
    acknowledge_whatsapp_collections_warning: bool = Field(
        default=False, description="required to turn whatsapp_collections_enabled on (see the warning)"
    )


class ContactPolicyRead(ContactPolicy):
    """The tenant's contact policy, the loosest one it may save, and who changed it last."""

    version: int = Field(description="0 while the defaults apply")
    is_default: bool
    limits: ContactPolicy
    whatsapp_collections_warning: str = WHATSAPP_COLLECTIONS_WARNING
    updated_at: datetime | None
    updated_by: str | None


ConsentAction = Literal["granted", "withdrawn"]
#: a channel, or every channel
ChannelOrAll = Literal["sms", "whatsapp", "email", "voice", "all"]
LedgerAction = Literal["granted", "withdrawn", "opted_out", "opted_in"]
#: how a consent or opt-out reached us
ConsentSource = Literal["portal", "api", "branch", "borrower_app", "sms_reply", "whatsapp_reply", "email", "voice"]


class ConsentCreate(BaseModel):
    """``POST …/borrowers/{id}/consents``: the borrower agreed to (or withdrew) one purpose on one channel."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    purpose: Purpose
    action: ConsentAction
    source: ConsentSource = "api"
    evidence: str | None = Field(default=None, max_length=500, description="a message or call id, a form number")


class OptOut(BaseModel):
    """``POST …/borrowers/{id}/opt-out``: no more messages on a channel (or ``all``), whatever the purpose."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelOrAll = "all"
    source: ConsentSource = "api"
    evidence: str | None = Field(default=None, max_length=500)


class OptIn(BaseModel):
    """``POST …/borrowers/{id}/opt-in``: the borrower asked to hear from us again; what shows it is required."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelOrAll = "all"
    source: ConsentSource = "api"
    evidence: str = Field(min_length=3, max_length=500, description="the borrower's request: a message id, a form")


class ConsentEventRead(BaseModel):
    """One entry of the ledger."""

    id: str
    channel: str
    purpose: str | None
    action: LedgerAction
    source: str
    evidence: str | None
    recorded_by: str | None
    created_at: datetime


class ConsentsRead(BaseModel):
    """A borrower's consents as they stand, and the ledger they come from (newest first)."""

    customer_id: str
    opted_out: list[str] = Field(description="channels the borrower opted out of; `all` for every channel")
    consents: dict[str, list[str]] = Field(description="per channel, the purposes the borrower agreed to")
    history: list[ConsentEventRead]


Tone = Literal["formal", "empathetic", "firm"]
WhatsAppCategory = Literal["utility", "marketing", "authentication"]
TemplateStatus = Literal["draft", "approved", "retired"]


class VariableSpec(BaseModel):
    """A declared variable: its type and the most characters it may take once formatted."""

    model_config = ConfigDict(extra="forbid")

    type: VariableType
    max_length: int = Field(ge=1, le=MAX_VARIABLE_LENGTH)


class TemplateContent(BaseModel):
    """What a version of a template says (``PUT …/templates/{id}``)."""

    model_config = ConfigDict(extra="forbid")

    tone: Tone = "formal"
    body: str = Field(min_length=1, max_length=20_000, description="the text, with {{variable}} placeholders")
    subject: str | None = Field(default=None, max_length=200, description="e-mail only")
    variables: dict[str, VariableSpec] = Field(default_factory=dict, max_length=30)
    dlt_template_id: str | None = Field(
        default=None, pattern=r"^[0-9]{19}$", description="SMS only, required: the template's DLT registration"
    )
    whatsapp_category: WhatsAppCategory | None = Field(
        default=None, description="WhatsApp only, required: utility, marketing or authentication, as approved by Meta"
    )


class TemplateCreate(TemplateContent):
    """``POST …/templates``: the first version of a template, a draft."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    channel: Channel
    purpose: Purpose
    language: Language


class TemplateRead(BaseModel):
    """One version of a template."""

    id: str
    name: str
    channel: str
    purpose: str
    language: str
    tone: str
    body: str
    subject: str | None
    variables: dict[str, VariableSpec]
    dlt_template_id: str | None
    whatsapp_category: str | None
    collections_content: bool = Field(description="collections content: WhatsApp carries it only if the tenant allows")
    status: TemplateStatus
    version: int
    author: str | None
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateRead]
    total: int
    limit: int
    offset: int


# -- provider accounts --------------------------------------------------------------------------------

SmsType = Literal["transactional", "transactional_opt_in", "promotional"]


class ChannelSettingsUpdate(BaseModel):
    """``PUT …/channels/{channel}``: the fields of that channel's provider; an omitted secret keeps its value.

    SMS and voice (Exotel-shaped): ``base_url``, ``account_sid``, ``api_key``, secrets ``api_token`` and
    ``webhook_secret``; SMS adds ``entity_id`` (DLT principal entity), ``sender`` (the 6-character header)
    and ``sms_type``; voice adds ``caller_id``. WhatsApp (Cloud API): ``base_url``, ``phone_number_id``,
    ``api_version``, secrets ``access_token``, ``app_secret`` and ``verify_token``. E-mail (SMTP):
    ``host``, ``port``, ``username``, ``starttls``, ``from_address``, ``from_name``, secret ``password``.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, max_length=500)
    account_sid: str | None = Field(default=None, min_length=1, max_length=100)
    api_key: str | None = Field(default=None, min_length=1, max_length=200)
    sender: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{6}$")
    entity_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")
    sms_type: SmsType | None = None
    phone_number_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")
    api_version: str | None = Field(default=None, pattern=r"^v[0-9]+\.[0-9]+$")
    caller_id: str | None = Field(default=None, pattern=r"^\+?[0-9]{6,15}$")
    host: str | None = Field(default=None, min_length=1, max_length=253)
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = Field(default=None, min_length=1, max_length=254)
    starttls: bool | None = None
    from_address: str | None = Field(default=None, max_length=254)
    from_name: str | None = Field(default=None, max_length=100)
    tls_ca_pem: str | None = Field(
        default=None, max_length=20_000, description="e-mail: a private CA (PEM) to trust besides the system's"
    )
    timeout_ms: int | None = Field(default=None, ge=500, le=60_000)
    unit_cost: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=4, description="₹ per message")
    api_token: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    webhook_secret: SecretStr | None = Field(default=None, min_length=8, max_length=500)
    access_token: SecretStr | None = Field(default=None, min_length=1, max_length=1000)
    app_secret: SecretStr | None = Field(default=None, min_length=8, max_length=500)
    verify_token: SecretStr | None = Field(default=None, min_length=8, max_length=500)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=500)


class ChannelSettingsRead(BaseModel):
    """A channel's provider account as stored (fields a channel does not use are null); secrets redacted."""

    channel: Channel
    configured: bool
    provider: str
    base_url: str | None = None
    account_sid: str | None = None
    api_key: str | None = None
    sender: str | None = None
    entity_id: str | None = None
    sms_type: str | None = None
    phone_number_id: str | None = None
    api_version: str | None = None
    caller_id: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    starttls: bool | None = None
    from_address: str | None = None
    from_name: str | None = None
    tls_ca_pem: str | None = None
    timeout_ms: int | None = None
    unit_cost: Decimal | None = None
    credentials: dict[str, str | None] = Field(description="each secret's last characters, or null when unset")
    webhook_path: str | None = Field(description="where the provider posts receipts and replies (none for e-mail)")
    updated_at: datetime | None = None
    updated_by: str | None = None


class ChannelTestResult(BaseModel):
    """``POST …/channels/{channel}/test``: one harmless authenticated call to the provider."""

    ok: bool
    latency_ms: int
    detail: str


# -- the message log ----------------------------------------------------------------------------------

MessageState = Literal["queued", "sent", "delivered", "read", "failed", "blocked"]
RecipientRole = Literal["borrower", "guarantor", "co_borrower", "relative", "colleague", "reference", "other"]
VariableValue = Annotated[str, Field(max_length=MAX_VARIABLE_LENGTH)] | int | float


class MessageCreate(BaseModel):
    """``POST …/messages``: one approved template, filled in, to a loan's borrower (or a named borrower)."""

    model_config = ConfigDict(extra="forbid")

    loan_id: str | None = Field(default=None, max_length=36)
    borrower_id: str | None = Field(default=None, max_length=36, description="the customer id")
    channel: Channel
    template: str = Field(max_length=36, description="an approved template's id (its name picks the language)")
    variables: dict[str, VariableValue] = Field(default_factory=dict, max_length=30)
    language: Language | None = Field(default=None, description="another language of the same template name")
    recipient_role: RecipientRole = Field(default="borrower", description="who is contacted about the loan")

    @model_validator(mode="after")
    def _someone(self) -> MessageCreate:
        if self.loan_id is None and self.borrower_id is None:
            raise ValueError("loan_id or borrower_id is required")
        return self


class MessageStep(BaseModel):
    status: str
    at: datetime
    detail: str | None


class MessageRead(BaseModel):
    """A message and where it got to (``history``: every step, oldest first)."""

    id: str
    status: MessageState
    blocked_by: str | None = Field(description="the contact-policy rule that blocked it")
    channel: str
    purpose: str
    template: str
    template_name: str
    template_version: int
    language: str
    loan_id: str | None
    borrower_id: str
    recipient: str | None = Field(description="masked")
    recipient_role: str
    provider_message_id: str | None
    segments: int | None
    cost: Decimal | None
    error_code: str | None
    error: str | None
    initiated_by: str
    created_by: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    history: list[MessageStep] = Field(default_factory=list)


class MessagePage(BaseModel):
    items: list[MessageRead]
    total: int
    limit: int
    offset: int


class TemplatePreview(BaseModel):
    """``POST …/templates/preview``: render a text as it would go out (sample values where none given)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    body: str = Field(min_length=1, max_length=20_000)
    subject: str | None = Field(default=None, max_length=200)
    variables: dict[str, VariableSpec] = Field(default_factory=dict, max_length=30)
    language: Language
    values: dict[str, VariableValue] | None = Field(default=None, max_length=30)


class TemplatePreviewRead(BaseModel):
    text: str
    subject: str | None
    segments: int | None = Field(description="SMS only: the parts it is billed as")
    encoding: Encoding | None
    errors: list[dict[str, str]] = Field(description="what keeps it from rendering: field and message")


class WebhookAck(BaseModel):
    received: int = Field(description="receipts and replies in the delivery")
    applied: int = Field(description="those that changed something (duplicates and stale receipts do not)")


class ContactPreferencesUpdate(BaseModel):
    """``PUT …/borrowers/{id}/contact-preferences``: the borrower's own contact times and holds (the whole set)."""

    model_config = ConfigDict(extra="forbid")

    preferred_windows: list[PreferredWindow] = Field(
        default_factory=list, max_length=10, description="the times the borrower asked to be reached in (local)"
    )
    holds: list[Hold] = Field(
        default_factory=list, max_length=10, description="no contact while a hold lasts (bereavement, disaster)"
    )
    version: int | None = Field(default=None, ge=0, description="the version you read: 409 when it changed since")


class ContactPreferencesRead(BaseModel):
    customer_id: str
    preferred_windows: list[PreferredWindow]
    holds: list[Hold]
    version: int = Field(description="0 while none are stored")
    updated_at: datetime | None
    updated_by: str | None
