"""Payments: gateway credentials, payment links, gateway payments applied to loans

``payment_gateway_config`` holds one gateway account per tenant (secrets sealed); ``payment_link``
the links created at the gateway for a loan; ``gateway_payment`` one row per (tenant, gateway
payment id), claimed by an insert-or-nothing so a webhook is applied to its loan exactly once.
All three are tenant-owned: row-level security.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)


def _common(table: str) -> list[sa.Column[object] | sa.Constraint]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant"),
    ]


def upgrade() -> None:
    op.create_table(
        "payment_gateway_config",
        *_common("payment_gateway_config"),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("key_id", sa.String(100), nullable=False),
        # {field: SecretBox ciphertext}; never a plain secret
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=True),
        sa.UniqueConstraint("tenant_id", name="uq_payment_gateway_config_tenant_id"),
    )
    op.create_table(
        "payment_link",
        *_common("payment_link"),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("gateway_link_id", sa.String(40), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_payment_link_loan_id_loan"),
        sa.UniqueConstraint("tenant_id", "gateway_link_id", name="uq_payment_link_tenant_id"),
    )
    op.create_index("ix_payment_link_tenant_id", "payment_link", ["tenant_id"])
    op.create_index("ix_payment_link_loan_id", "payment_link", ["loan_id"])
    op.create_table(
        "gateway_payment",
        *_common("gateway_payment"),
        sa.Column("gateway_payment_id", sa.String(40), nullable=False),
        sa.Column("gateway_link_id", sa.String(40), nullable=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("link_id", sa.String(36), nullable=True),
        sa.Column("loan_id", sa.String(36), nullable=True),
        sa.Column("payment_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.UniqueConstraint("tenant_id", "gateway_payment_id", name="uq_gateway_payment_tenant_id"),
    )
    for table in ("payment_gateway_config", "payment_link", "gateway_payment"):
        enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("gateway_payment")
    op.drop_index("ix_payment_link_loan_id", table_name="payment_link")
    op.drop_index("ix_payment_link_tenant_id", table_name="payment_link")
    op.drop_table("payment_link")
    op.drop_table("payment_gateway_config")
