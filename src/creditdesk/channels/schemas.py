"""Request and response bodies of the channels routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.channels.formatting import Language
from creditdesk.channels.policy import Channel, ContactPolicy, Purpose
from creditdesk.channels.templates import MAX_VARIABLE_LENGTH, VariableType

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
