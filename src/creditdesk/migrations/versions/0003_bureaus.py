"""Bureau integrations: per-tenant bureau configurations (encrypted credentials) and merge rules

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 11:04:46.405202
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bureau_config",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("bureau", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("endpoint_url", sa.String(length=500), nullable=False),
        sa.Column("member_id", sa.String(length=100), nullable=False),
        # {field: SecretBox ciphertext}; never a plain secret
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_bureau_config_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bureau_config")),
        sa.UniqueConstraint("tenant_id", "bureau", name=op.f("uq_bureau_config_tenant_id")),
    )
    op.create_table(
        "bureau_merge_rule",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_bureau_merge_rule_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bureau_merge_rule")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_bureau_merge_rule_tenant_id")),
    )
    enable_tenant_rls("bureau_config")
    enable_tenant_rls("bureau_merge_rule")


def downgrade() -> None:
    op.drop_table("bureau_merge_rule")
    op.drop_table("bureau_config")
