"""Model registry, datasets, policies, applications, idempotency records, batches

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import enable_tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(36), primary_key=True)


def _tenant(nullable: bool = False) -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenant.id", name=None), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "credit_model",
        _id(),
        _tenant(nullable=True),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("algorithm", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("traffic", sa.Float, nullable=False),
        sa.Column("feature_set", sa.String(20), nullable=False),
        sa.Column("target", sa.String(100)),
        sa.Column("dataset", sa.String(200)),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("artifact_text", sa.Text, nullable=False),
        sa.Column("artifact_metadata", sa.JSON, nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("promoted_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("owner", "version", name="uq_credit_model_owner_version"),
    )
    op.create_index("ix_credit_model_tenant_status", "credit_model", ["tenant_id", "status"])
    op.create_table(
        "dataset_file",
        _id(),
        _tenant(),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_dataset_file_tenant_id", "dataset_file", ["tenant_id"])
    op.create_table(
        "policy",
        _id(),
        _tenant(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "version", name="uq_policy_tenant_version"),
    )
    op.create_index("ix_policy_tenant_id", "policy", ["tenant_id"])
    op.create_table(
        "application",
        _id(),
        _tenant(),
        sa.Column("external_ref", sa.String(100)),
        sa.Column("applicant_name", sa.String(200)),
        sa.Column("created_by", sa.String(36)),
        sa.Column("batch_id", sa.String(36)),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("loan_amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("pd", sa.Float, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("credit_score", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("positive_factors", sa.JSON, nullable=False),
        sa.Column("contributions", sa.JSON, nullable=False),
        sa.Column("base_value", sa.Float, nullable=False),
        sa.Column("expected_loss", sa.Numeric(16, 2), nullable=False),
        sa.Column("credit_limit", sa.Numeric(16, 2), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("knockouts", sa.JSON, nullable=False),
        sa.Column("bureau_reports", sa.JSON, nullable=False),
        sa.Column("challenger", sa.JSON),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_application_tenant_created", "application", ["tenant_id", "created_at"])
    op.create_index("ix_application_tenant_ref", "application", ["tenant_id", "external_ref"])
    op.create_index("ix_application_batch_id", "application", ["batch_id"])
    op.create_table(
        "idempotency_record",
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenant.id"), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response", sa.JSON),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_idempotency_record_expires_at", "idempotency_record", ["expires_at"])
    op.create_table(
        "batch",
        _id(),
        _tenant(),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_batch_tenant_id", "batch", ["tenant_id"])
    op.create_table(
        "batch_row",
        sa.Column("batch_id", sa.String(36), sa.ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True),
        _tenant(),
        sa.Column("input", sa.JSON),
        sa.Column("parse_error", sa.Text),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("application_id", sa.String(36)),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_batch_row_tenant_id", "batch_row", ["tenant_id"])
    for table in ("dataset_file", "policy", "application", "idempotency_record", "batch", "batch_row"):
        enable_tenant_rls(table)
    if op.get_bind().dialect.name == "postgresql":
        # platform default models (tenant_id NULL) are readable by every tenant, writable by none
        op.execute("ALTER TABLE credit_model ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE credit_model FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON credit_model USING (current_setting('app.all_tenants', true) = 'on' "
            "OR tenant_id = current_setting('app.tenant_id', true) OR tenant_id IS NULL) "
            "WITH CHECK (current_setting('app.all_tenants', true) = 'on' "
            "OR tenant_id = current_setting('app.tenant_id', true))"
        )


def downgrade() -> None:
    for table in ("batch_row", "batch", "idempotency_record", "application", "policy", "dataset_file", "credit_model"):
        op.drop_table(table)
