"""Webhook payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.events.schemas import EVENT_TYPES, EventType

#: the event types an endpoint may subscribe to: every domain event (defined once, in events/)
EventKind = EventType


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=8, max_length=500, description="https:// URL that receives POSTed events")
    events: list[EventKind] = Field(min_length=1, max_length=len(EVENT_TYPES))
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signing secret; generated (and shown once) when omitted",
    )


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    secret: str = Field(description="Redacted: at most the last 4 characters")
    created_at: datetime


class WebhookCreated(WebhookRead):
    signing_secret: str = Field(description="The full secret. Shown once; store it now.")


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    id: str
    event_id: str
    kind: str
    status: str
    response_status: int | None
    job_id: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
