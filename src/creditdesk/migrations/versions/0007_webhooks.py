"""Tenant webhooks: endpoints and deliveries

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("secret_ciphertext", sa.Text, nullable=False),
        sa.Column("secret_last4", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_webhook_endpoint_tenant_id", "webhook_endpoint", ["tenant_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column(
            "endpoint_id", sa.String(36), sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("job_id", sa.String(36)),
        sa.Column("response_status", sa.Integer),
        sa.Column("delivered_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_delivery_event_endpoint"),
    )
    op.create_index("ix_webhook_delivery_tenant_id", "webhook_delivery", ["tenant_id"])
    enable_tenant_rls("webhook_endpoint")
    enable_tenant_rls("webhook_delivery")


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
