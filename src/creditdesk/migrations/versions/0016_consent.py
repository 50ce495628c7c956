"""Channels: the borrowers' consent ledger

``consent_event`` is append-only: each row grants or withdraws consent to one purpose on one channel,
or opts a borrower out of (or back into) a channel or all of them; the latest row per key decides.
Tenant-owned: row-level security.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consent_event",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("evidence", sa.String(500), nullable=True),
        sa.Column("recorded_by", sa.String(254), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consent_event"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_consent_event_tenant_id_tenant"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name="fk_consent_event_customer_id_customer"),
    )
    op.create_index("ix_consent_event_tenant_customer", "consent_event", ["tenant_id", "customer_id", "created_at"])
    enable_tenant_rls("consent_event")


def downgrade() -> None:
    op.drop_index("ix_consent_event_tenant_customer", table_name="consent_event")
    op.drop_table("consent_event")
