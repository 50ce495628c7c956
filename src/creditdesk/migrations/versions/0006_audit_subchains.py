"""Audit sub-chains: room for '<tenant id>/NN' chain keys

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from creditdesk.migrations.rls import make_append_only

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("chain", type_=sa.String(48), existing_type=sa.String(36), existing_nullable=False)
    if op.get_bind().dialect.name == "sqlite":  # SQLite's batch mode rebuilt the table: restore its triggers
        make_append_only("audit_event")


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("chain", type_=sa.String(36), existing_type=sa.String(48), existing_nullable=False)
