"""What the events machinery stores beside the outbox (``worker.models.OutboxEvent``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, utcnow


class ProcessedEvent(Base):
    """One event handled by one consumer.

    Invariant (exactly-once effect): the row is inserted in the consumer's own transaction, before
    its handler runs; the handler's writes and this row commit or roll back together, and a second
    delivery of the event to the same consumer finds the row and does nothing.
    """

    __tablename__ = "processed_event"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    event_type: Mapped[str] = mapped_column(String(50))
    attempts: Mapped[int] = mapped_column(default=1)  # the try that succeeded: 1 = first time, in the relay
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)
