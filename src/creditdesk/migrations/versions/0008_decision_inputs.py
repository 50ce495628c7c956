"""Decisions keep what they used: the inputs scored on, the bureau status, adverse-action reasons

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("inputs", sa.JSON, nullable=True))
        batch.add_column(sa.Column("bureau_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("adverse_reasons", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("adverse_reasons")
        batch.drop_column("bureau_status")
        batch.drop_column("inputs")
