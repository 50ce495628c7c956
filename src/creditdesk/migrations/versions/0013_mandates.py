"""E-mandates, mandate debits, loan charges, day-end positions and scheduled firings

``mandate`` holds one e-mandate (eNACH / UPI AutoPay token at the gateway) per registration key;
``mandate_debit`` one presentation per (tenant, loan, instalment) — the claim that makes two workers
present a debit once; ``charge`` the bounce and penal charges of a loan (never capitalised), once per
source; ``loan_day_end`` each loan's position as the last day-end recorded it; ``schedule_firing``
one row per (tenant, job kind, period) of the periodic jobs. All tenant-owned: row-level security.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
TABLES = ("mandate", "mandate_debit", "charge", "loan_day_end", "schedule_firing")


def _common(table: str, *, created: bool = True) -> list[sa.Column[object] | sa.Constraint]:
    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant"),
    ]
    if created:
        columns.append(sa.Column("created_at", TS, nullable=False))
    return columns


def upgrade() -> None:
    op.create_table(
        "mandate",
        *_common("mandate"),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=True),
        sa.Column("loan_id", sa.String(36), nullable=True),
        sa.Column("gateway_token_id", sa.String(40), nullable=False),
        sa.Column("gateway_customer_id", sa.String(40), nullable=True),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("umrn", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.String(200), nullable=True),
        sa.Column("max_amount", MONEY, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "gateway_token_id", name="uq_mandate_gateway_token"),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_mandate_reference"),
    )
    op.create_index("ix_mandate_application_id", "mandate", ["application_id"])
    op.create_index("ix_mandate_loan_id", "mandate", ["loan_id"])
    op.create_table(
        "mandate_debit",
        *_common("mandate_debit"),
        sa.Column("mandate_id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("instalment_seq", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gateway_payment_id", sa.String(40), nullable=True),
        sa.Column("reason_code", sa.String(10), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("presented_at", TS, nullable=True),
        sa.Column("settled_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["mandate_id"], ["mandate.id"], name="fk_mandate_debit_mandate_id_mandate"),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_mandate_debit_loan_id_loan"),
        sa.UniqueConstraint("tenant_id", "loan_id", "instalment_seq", name="uq_mandate_debit_tenant_id"),
    )
    op.create_index("ix_mandate_debit_mandate_id", "mandate_debit", ["mandate_id"])
    op.create_index("ix_mandate_debit_tenant_payment", "mandate_debit", ["tenant_id", "gateway_payment_id"])
    op.create_table(
        "charge",
        *_common("charge"),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("levied_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("source", sa.String(80), nullable=True),
        sa.Column("paid_amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_charge_loan_id_loan"),
        sa.UniqueConstraint("tenant_id", "source", name="uq_charge_tenant_id"),
        sa.CheckConstraint("kind IN ('bounce', 'penal')", name="ck_charge_kind"),
        sa.CheckConstraint("amount > 0", name="ck_charge_amount_positive"),
    )
    op.create_index("ix_charge_tenant_loan", "charge", ["tenant_id", "loan_id"])
    op.create_table(
        "loan_day_end",
        *_common("loan_day_end", created=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(10), nullable=False),
        sa.Column("asset_class", sa.String(16), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name="fk_loan_day_end_loan_id_loan"),
        sa.UniqueConstraint("tenant_id", "loan_id", name="uq_loan_day_end_tenant_id"),
    )
    op.create_table(
        "schedule_firing",
        *_common("schedule_firing"),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("tenant_id", "kind", "period", name="uq_schedule_firing_tenant_id"),
    )
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("schedule_firing")
    op.drop_table("loan_day_end")
    op.drop_index("ix_charge_tenant_loan", table_name="charge")
    op.drop_table("charge")
    op.drop_index("ix_mandate_debit_tenant_payment", table_name="mandate_debit")
    op.drop_index("ix_mandate_debit_mandate_id", table_name="mandate_debit")
    op.drop_table("mandate_debit")
    op.drop_index("ix_mandate_loan_id", table_name="mandate")
    op.drop_index("ix_mandate_application_id", table_name="mandate")
    op.drop_table("mandate")
