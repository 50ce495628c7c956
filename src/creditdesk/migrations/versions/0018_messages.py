"""Channels: provider accounts, the message log, status history, replies and contact preferences

``channel_provider`` holds a tenant's account per channel (settings and sealed secrets); ``message`` every
message and call, queued, sent, blocked or failed, with sealed variables; ``message_status`` each message's
status history; ``inbound_message`` the borrowers' replies and the intents read from them;
``contact_preference`` each borrower's preferred contact times and holds. Tenant-owned:
row-level security.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _common(table: str) -> list[SchemaItem]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant"),
    ]


def upgrade() -> None:
    op.create_table(
        "channel_provider",
        *_common("channel_provider"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=True),
        sa.UniqueConstraint("tenant_id", "channel", name="uq_channel_provider_tenant_channel"),
    )
    op.create_table(
        "message",
        *_common("message"),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(36), nullable=False),
        sa.Column("template_name", sa.String(80), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=True),
        sa.Column("recipient_role", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=True),
        sa.Column("recipient_hash", sa.String(64), nullable=True),
        sa.Column("initiated_by", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("blocked_by", sa.String(32), nullable=True),
        sa.Column("counts_toward_caps", sa.Boolean(), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=True),
        sa.Column("provider", sa.String(20), nullable=True),
        sa.Column("provider_message_id", sa.String(120), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("cost", sa.Numeric(10, 4), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("fallback_of", sa.String(36), nullable=True),
        sa.Column("created_by", sa.String(254), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name="fk_message_customer_id_customer"),
        sa.UniqueConstraint("tenant_id", "dedupe_key", name="uq_message_dedupe"),
    )
    op.create_index("ix_message_tenant_customer", "message", ["tenant_id", "customer_id", "created_at"])
    op.create_index("ix_message_tenant_created", "message", ["tenant_id", "created_at"])
    op.create_index("ix_message_tenant_loan", "message", ["tenant_id", "loan_id"])
    op.create_index("ix_message_tenant_provider_id", "message", ["tenant_id", "provider_message_id"])
    op.create_index("ix_message_tenant_recipient", "message", ["tenant_id", "recipient_hash", "created_at"])
    op.create_table(
        "message_status",
        *_common("message_status"),
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], name="fk_message_status_message_id_message"),
    )
    op.create_index("ix_message_status_message", "message_status", ["message_id", "at"])
    op.create_table(
        "inbound_message",
        *_common("inbound_message"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider_message_id", sa.String(120), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=True),
        sa.Column("in_reply_to", sa.String(36), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "channel", "provider_message_id", name="uq_inbound_provider_id"),
    )
    op.create_index("ix_inbound_tenant_customer", "inbound_message", ["tenant_id", "customer_id"])
    op.create_table(
        "contact_preference",
        *_common("contact_preference"),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("preferred_windows", sa.JSON(), nullable=False),
        sa.Column("holds", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name="fk_contact_preference_customer_id_customer"),
        sa.UniqueConstraint("tenant_id", "customer_id", name="uq_contact_preference_customer"),
    )
    for table in ("channel_provider", "message", "message_status", "inbound_message", "contact_preference"):
        enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("contact_preference")
    op.drop_table("inbound_message")
    op.drop_table("message_status")
    op.drop_table("message")
    op.drop_table("channel_provider")
