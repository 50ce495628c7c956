"""Lending: the approval → disbursement saga and its steps, accepted KFS

``lending_saga`` (one per tenant and application) and ``lending_saga_step`` (one per step), both
tenant-owned with row-level security.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lending_saga",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column(
            "tenant_id",
            sa.String(36),
            sa.ForeignKey("tenant.id", name="fk_lending_saga_tenant_id_tenant"),
            nullable=False,
        ),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deadline_at", TS),
        sa.Column("error", sa.Text),
        sa.Column("sanction_status", sa.String(16)),
        sa.Column("sanctioned_amount", sa.Numeric(16, 2)),
        sa.Column("kfs_status", sa.String(16)),
        sa.Column("kfs", sa.JSON),
        sa.Column("kfs_hash", sa.String(64)),
        sa.Column("kfs_valid_until", sa.Date),
        sa.Column("kfs_accepted_hash", sa.String(64)),
        sa.Column("kfs_accepted_at", TS),
        sa.Column("agreement_status", sa.String(16)),
        sa.Column("esign_request_id", sa.String(64)),
        sa.Column("esign_certificate_id", sa.String(64)),
        sa.Column("esign_document_hash", sa.String(64)),
        sa.Column("mandate_status", sa.String(16)),
        sa.Column("mandate_id", sa.String(64)),
        sa.Column("payout_id", sa.String(64)),
        sa.Column("payout_status", sa.String(16)),
        sa.Column("loan_id", sa.String(36)),
        sa.UniqueConstraint("tenant_id", "application_id", name="uq_lending_saga_application"),
    )
    op.create_index("ix_lending_saga_tenant_status", "lending_saga", ["tenant_id", "status"])
    op.create_index("ix_lending_saga_esign_request_id", "lending_saga", ["esign_request_id"])
    enable_tenant_rls("lending_saga")
    op.create_table(
        "lending_saga_step",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "saga_id",
            sa.String(36),
            sa.ForeignKey("lending_saga.id", name="fk_lending_saga_step_saga_id_lending_saga"),
            nullable=False,
        ),
        sa.Column(
            "tenant_id",
            sa.String(36),
            sa.ForeignKey("tenant.id", name="fk_lending_saga_step_tenant_id_tenant"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("error", sa.Text),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("reference", sa.String(80)),
        sa.UniqueConstraint("saga_id", "name", name="uq_lending_saga_step_name"),
    )
    op.create_index("ix_lending_saga_step_saga_id", "lending_saga_step", ["saga_id"])
    op.create_index("ix_lending_saga_step_tenant_id", "lending_saga_step", ["tenant_id"])
    enable_tenant_rls("lending_saga_step")


def downgrade() -> None:
    op.drop_index("ix_lending_saga_step_tenant_id", table_name="lending_saga_step")
    op.drop_index("ix_lending_saga_step_saga_id", table_name="lending_saga_step")
    op.drop_table("lending_saga_step")
    op.drop_index("ix_lending_saga_esign_request_id", table_name="lending_saga")
    op.drop_index("ix_lending_saga_tenant_status", table_name="lending_saga")
    op.drop_table("lending_saga")
