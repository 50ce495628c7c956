"""Channels: message templates

``message_template`` holds every version of every template of a tenant — (name, channel, language) names a
template, ``version`` its texts; drafts, the approved version and retired ones. Tenant-owned: row-level
security.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_template",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("tone", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("dlt_template_id", sa.String(19), nullable=True),
        sa.Column("whatsapp_category", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(36), nullable=True),
        sa.Column("author", sa.String(254), nullable=True),
        sa.Column("approved_by", sa.String(254), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_template"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_message_template_tenant_id_tenant"),
        sa.UniqueConstraint("tenant_id", "name", "channel", "language", "version", name="uq_message_template_version"),
    )
    op.create_index("ix_message_template_tenant_status", "message_template", ["tenant_id", "status"])
    enable_tenant_rls("message_template")


def downgrade() -> None:
    op.drop_index("ix_message_template_tenant_status", table_name="message_template")
    op.drop_table("message_template")
