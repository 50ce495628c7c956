"""Portfolio and monitoring: customers, loans, instalments, payments, collateral, guarantors,
monitoring alerts and settings, dashboard embedding

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-21 11:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "customer",
    "loan",
    "instalment",
    "payment",
    "collateral",
    "guarantor",
    "monitoring_alert",
    "monitoring_settings",
    "dashboard_embed",
)


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pan", sa.String(length=10), nullable=True),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("employment_type", sa.String(length=20), nullable=True),
        sa.Column("monthly_income", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("existing_emi", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_customer_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("tenant_id", "pan", name=op.f("uq_customer_tenant_id")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "dashboard_embed",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("report_id", sa.String(length=100), nullable=True),
        sa.Column("workspace_id", sa.String(length=100), nullable=True),
        sa.Column("embed_url", sa.String(length=500), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("directory_id", sa.String(length=100), nullable=True),
        sa.Column("authority_url", sa.String(length=500), nullable=True),
        sa.Column("api_url", sa.String(length=500), nullable=True),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_dashboard_embed_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_embed")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_dashboard_embed_tenant_id")),
    )
    op.create_table(
        "monitoring_alert",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_monitoring_alert_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alert")),
    )
    with op.batch_alter_table("monitoring_alert", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_alert_tenant_created", ["tenant_id", "created_at"], unique=False)
        batch_op.create_index(
            "uq_monitoring_alert_open",
            ["tenant_id", "kind", "subject"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )

    op.create_table(
        "monitoring_settings",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("drift_warn_psi", sa.Double(), nullable=False),
        sa.Column("drift_alert_psi", sa.Double(), nullable=False),
        sa.Column("drift_window_days", sa.Integer(), nullable=False),
        sa.Column("drift_min_applications", sa.Integer(), nullable=False),
        sa.Column("npa_ratio_threshold", sa.Double(), nullable=False),
        sa.Column("approval_swing_threshold", sa.Double(), nullable=False),
        sa.Column("approval_swing_window_days", sa.Integer(), nullable=False),
        sa.Column("last_evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_monitoring_settings_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_monitoring_settings_tenant_id")),
    )
    op.create_table(
        "loan",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=True),
        sa.Column("principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("annual_rate_pct", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("tenure_months", sa.Integer(), nullable=False),
        sa.Column("emi", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=False),
        sa.Column("pd_at_origination", sa.Double(), nullable=True),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("loss_marked_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_loan_customer_id_customer")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_loan_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan")),
        sa.UniqueConstraint("tenant_id", "application_id", name=op.f("uq_loan_tenant_id")),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_loan_tenant_disbursed", ["tenant_id", "disbursed_on"], unique=False)

    op.create_table(
        "collateral",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("valued_on", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_collateral_loan_id_loan")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_collateral_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collateral")),
    )
    with op.batch_alter_table("collateral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collateral_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_collateral_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "guarantor",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pan", sa.String(length=10), nullable=True),
        sa.Column("relationship", sa.String(length=40), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("monthly_income", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_guarantor_loan_id_loan")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_guarantor_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantor")),
    )
    with op.batch_alter_table("guarantor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guarantor_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guarantor_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "instalment",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("principal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("interest", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("closing_balance", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_instalment_loan_id_loan")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_instalment_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instalment")),
        sa.UniqueConstraint("loan_id", "seq", name=op.f("uq_instalment_loan_id")),
    )
    with op.batch_alter_table("instalment", schema=None) as batch_op:
        batch_op.create_index("ix_instalment_tenant_loan", ["tenant_id", "loan_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("loan_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_payment_loan_id_loan")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_payment_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("tenant_id", "reference", name=op.f("uq_payment_tenant_id")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index("ix_payment_tenant_loan", ["tenant_id", "loan_id"], unique=False)

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_tenant_loan")

    op.drop_table("payment")
    with op.batch_alter_table("instalment", schema=None) as batch_op:
        batch_op.drop_index("ix_instalment_tenant_loan")

    op.drop_table("instalment")
    with op.batch_alter_table("guarantor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantor_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_guarantor_loan_id"))

    op.drop_table("guarantor")
    with op.batch_alter_table("collateral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collateral_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_collateral_loan_id"))

    op.drop_table("collateral")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_tenant_disbursed")
        batch_op.drop_index(batch_op.f("ix_loan_customer_id"))

    op.drop_table("loan")
    op.drop_table("monitoring_settings")
    with op.batch_alter_table("monitoring_alert", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_monitoring_alert_open",
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )
        batch_op.drop_index("ix_monitoring_alert_tenant_created")

    op.drop_table("monitoring_alert")
    op.drop_table("dashboard_embed")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tenant_id"))

    op.drop_table("customer")
