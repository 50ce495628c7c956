"""The tenant's data region (data residency: docs/data-residency.md)

``tenant.data_region`` names the region whose database holds the tenant's data. Existing tenants
get ``default``, the region one database serves when ``CREDITDESK_REGION_DATABASES`` is not set.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_region", sa.String(32), nullable=False, server_default="default"))


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("data_region")
