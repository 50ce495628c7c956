"""Borrowers: sign-in by one-time code — customers found by phone, codes, borrower sessions

- ``customer.phone_hash``: the keyed hash of the customer's Indian mobile number (the 10 digits, HMAC under
  the encryption key ring's active key, scope ``<tenant id>/phone`` — ``kit.crypto.phone_hash``), indexed with
  the tenant, not unique (a phone may be shared). Existing rows are filled in here: their sealed identity is
  opened with the key ring (``CREDITDESK_ENCRYPTION_KEYS``, or the dev/demo data directory's generated keys),
  which is needed only when there are customers. A customer whose phone is missing or not an Indian mobile
  keeps NULL and cannot sign in by OTP. Rows written later get it from ``portfolio.models.seal_identity``,
  and ``creditdesk keys rotate`` recomputes it with the PAN's hash.
- ``borrower_otp``: one row per code asked for — the phone's keyed hash, the customer it was sent to (NULL for
  a phone, or a tenant, that is not known: the request is stored all the same, so it costs what any other
  does), the code's keyed hash (never the code), expiry, wrong attempts, when it was used and a keyed hash
  of the asking address. ``tenant_id`` is NULL when the tenant named does not exist.
- ``borrower_refresh_token``: the refresh tokens of borrowers' sessions (rotated on use; a reused one revokes
  its family), like ``refresh_token`` for staff.

Tenant-owned: row-level security on both new tables.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from creditdesk.kit.crypto import DecryptionError, SecretBox
from creditdesk.migrations.rls import enable_tenant_rls

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
_CHUNK = 1000
#: the normalisation of kit.crypto.indian_mobile as of this revision (a migration does not follow later code)
_MOBILE = re.compile(r"^\s*(?:(?:\+?91|0)[\s-]?)?[6-9](?:[\s-]?[0-9]){9}\s*$")


def _box() -> SecretBox:
    from creditdesk.config import get_settings  # noqa: PLC0415 - the ring is read only when rows need it

    return SecretBox(get_settings().encryption_keyring())


def _phone_hash(box: SecretBox, tenant_id: str, phone: Any) -> str | None:
    if not isinstance(phone, str) or not _MOBILE.match(phone):
        return None
    return box.keyed_hash(re.sub(r"\D", "", phone)[-10:], f"{tenant_id}/phone")


def _fill_phone_hashes(box: Callable[[], SecretBox]) -> None:
    """``customer.phone_hash`` of every existing customer, from its sealed identity, a chunk at a time."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # row-level security is forced: work across every tenant
        op.execute("SELECT set_config('app.all_tenants', 'on', true)")
    customer = sa.table(
        "customer",
        sa.column("id", sa.String),
        sa.column("tenant_id", sa.String),
        sa.column("identity", sa.Text),
        sa.column("phone_hash", sa.String),
    )
    after, unreadable = "", 0
    while rows := bind.execute(
        sa.select(customer.c.id, customer.c.tenant_id, customer.c.identity)
        .where(customer.c.id > after)
        .order_by(customer.c.id)
        .limit(_CHUNK)
    ).all():
        updates = []
        for row in rows:
            try:
                identity = json.loads(box().decrypt(row.identity, f"{row.tenant_id}/customer/{row.id}/identity"))
            except DecryptionError:  # its key left the ring: the customer cannot sign in by OTP until re-keyed
                unreadable += 1
                continue
            if hashed := _phone_hash(box(), row.tenant_id, identity.get("phone")):
                updates.append({"b_id": row.id, "b_hash": hashed})
        if updates:
            bind.execute(
                customer.update()
                .where(customer.c.id == sa.bindparam("b_id"))
                .values(phone_hash=sa.bindparam("b_hash")),
                updates,
            )
        after = rows[-1].id
    if unreadable:
        logging.getLogger("alembic.runtime.migration").warning(
            "customer.phone_hash: %d customer(s) left without one: no key of the ring opens their identity", unreadable
        )


def _lazy(factory: Callable[[], SecretBox]) -> Callable[[], SecretBox]:
    made: list[SecretBox] = []

    def box() -> SecretBox:
        if not made:
            made.append(factory())
        return made[0]

    return box


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("phone_hash", sa.String(64), nullable=True))
    op.create_index("ix_customer_tenant_phone", "customer", ["tenant_id", "phone_hash"])
    _fill_phone_hashes(_lazy(_box))

    op.create_table(
        "borrower_otp",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("ip_hash", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_borrower_otp"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_borrower_otp_tenant_id_tenant"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name="fk_borrower_otp_customer_id_customer"),
    )
    op.create_index("ix_borrower_otp_tenant_phone", "borrower_otp", ["tenant_id", "phone_hash", "created_at"])
    op.create_index("ix_borrower_otp_tenant_created", "borrower_otp", ["tenant_id", "created_at"])
    enable_tenant_rls("borrower_otp")

    op.create_table(
        "borrower_refresh_token",
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_borrower_refresh_token"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_borrower_refresh_token_tenant_id_tenant"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name="fk_borrower_refresh_token_customer_id_customer", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_borrower_refresh_token_family_id", "borrower_refresh_token", ["family_id"])
    enable_tenant_rls("borrower_refresh_token")


def downgrade() -> None:
    op.drop_index("ix_borrower_refresh_token_family_id", table_name="borrower_refresh_token")
    op.drop_table("borrower_refresh_token")
    op.drop_index("ix_borrower_otp_tenant_created", table_name="borrower_otp")
    op.drop_index("ix_borrower_otp_tenant_phone", table_name="borrower_otp")
    op.drop_table("borrower_otp")
    op.drop_index("ix_customer_tenant_phone", table_name="customer")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("phone_hash")
