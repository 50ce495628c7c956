"""Lending: the approval → disbursement saga and its steps, accepted KFS

Reserved so that work in parallel chains in order; filled in by the lending domain's first tables.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
