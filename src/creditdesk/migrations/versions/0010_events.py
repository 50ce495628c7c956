"""Domain events: which consumer has processed which event

``processed_event`` holds one row per (consumer, event id), written in the consumer's own transaction,
so a consumer's effect happens once however often the event reaches it (a relay run twice, a retry,
a re-driven dead letter). Tenant-owned: row-level security like the outbox it follows.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenant.id", name="fk_processed_event_tenant_id_tenant")),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_processed_event"),
    )
    op.create_index("ix_processed_event_tenant_id", "processed_event", ["tenant_id"])
    enable_tenant_rls("processed_event")


def downgrade() -> None:
    op.drop_index("ix_processed_event_tenant_id", table_name="processed_event")
    op.drop_table("processed_event")
