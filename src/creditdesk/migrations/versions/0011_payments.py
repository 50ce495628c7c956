"""Payments: gateway credentials, payment links, gateway payments applied to loans

Reserved so that work in parallel chains in order; filled in by the payments domain's first tables.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
