"""Jobs and outbox events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creditdesk.db import Base, CreatedMixin, IdMixin


class Job(IdMixin, CreatedMixin, Base):
    """One asynchronous job (training, batch scoring, …).

    Status: queued → running → succeeded | failed (permanent error) | dead (retries exhausted).
    A running job holds a lease (``lease_until``); a job whose worker died is claimable again once the
    lease lapses, so a killed worker loses nothing.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_created", "status", "created_at"),)

    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class OutboxEvent(IdMixin, CreatedMixin, Base):
    """A domain event written in the same transaction as the change it describes; relayed after commit."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_unpublished", "published_at", "created_at"),)

    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
