"""Channels: each tenant's contact policy

``contact_policy`` holds one row per tenant that changed the defaults (``channels.policy.ContactPolicy``
as JSON, with a version for optimistic concurrency). Tenant-owned: row-level security.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_policy",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contact_policy"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_contact_policy_tenant_id_tenant"),
        sa.UniqueConstraint("tenant_id", name="uq_contact_policy_tenant_id"),
    )
    enable_tenant_rls("contact_policy")


def downgrade() -> None:
    op.drop_table("contact_policy")
