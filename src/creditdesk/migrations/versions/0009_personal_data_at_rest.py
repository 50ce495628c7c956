"""Personal data at rest: applicants', borrowers' and guarantors' identities sealed, PANs found by keyed hash

- ``application``: the applicant's name, PAN, date of birth, phone and e-mail leave ``request`` and
  ``inputs`` for ``identity`` (one SecretBox ciphertext bound to ``<tenant>/application/<id>/identity``);
  ``pan_hash`` is added and ``applicant_name`` dropped.
- ``idempotency_record``: stored responses keep their inputs without identity and the application's
  ciphertext beside them (``_identity``); request hashes become keyed hashes.
- ``batch_row``: ``input``, ``parse_error`` and ``error`` are sealed whole.
- ``customer`` / ``guarantor``: name, PAN, phone, e-mail and date of birth move into ``identity``;
  a customer is unique per (tenant, ``pan_hash``).

The data steps need the encryption key ring (``CREDITDESK_ENCRYPTION_KEYS``) only when there are rows.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from creditdesk.kit.crypto import SecretBox

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

IDENTITY_FIELDS = ("name", "pan", "date_of_birth", "phone", "email")
CUSTOMER_IDENTITY = ("name", "pan", "phone", "email", "date_of_birth")
GUARANTOR_IDENTITY = ("name", "pan", "phone")
SEALED_BATCH_COLUMNS = ("input", "parse_error", "error")
_CHUNK = 1000


def _box() -> SecretBox:
    from creditdesk.config import get_settings  # noqa: PLC0415 - the ring is read only when rows need it

    return SecretBox(get_settings().encryption_keyring())


def _lazy(factory: Callable[[], SecretBox]) -> Callable[[], SecretBox]:
    """``factory``'s box, made on first use: the data steps need the key ring only when there are rows."""
    made: list[SecretBox] = []

    def box() -> SecretBox:
        if not made:
            made.append(factory())
        return made[0]

    return box


def _all_tenants() -> None:
    """Row-level security is forced on tenant tables: this migration works across every tenant."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('app.all_tenants', 'on', true)")


def _chunks(table: sa.TableClause, *columns: str) -> Iterator[list[Any]]:
    """Rows of ``table`` in primary-key order, a chunk at a time (keyset pagination on ``id``)."""
    bind = op.get_bind()
    after = ""
    while rows := bind.execute(
        sa.select(*(table.c[c] for c in ("id", *columns))).where(table.c.id > after).order_by(table.c.id).limit(_CHUNK)
    ).all():
        yield list(rows)
        after = rows[-1].id


def _rewrite(table: sa.TableClause, columns: tuple[str, ...], change: Callable[[Any], dict[str, Any] | None]) -> None:
    """Write ``change(row)`` (the new column values; None = leave the row) back to every row, a chunk at a time."""
    bind = op.get_bind()
    for rows in _chunks(table, *columns):
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            if values := change(row):
                params = {"b_id": row.id, **{f"b_{k}": v for k, v in values.items()}}
                by_columns.setdefault(tuple(values), []).append(params)
        for names, params_list in by_columns.items():
            new = {k: sa.bindparam(f"b_{k}", type_=table.c[k].type) for k in names}
            bind.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(new), params_list)


def _identity_aad(name: str, row: Any) -> str:
    return f"{row.tenant_id}/{name}/{row.id}/identity"


def _seal_identity(box: SecretBox, name: str, row: Any, identity: dict[str, Any]) -> dict[str, Any]:
    """Sealing: the ``identity`` column of a row of table ``name`` (and its ``pan_hash`` where it has one)."""
    values: dict[str, Any] = {"identity": box.seal_json(identity, _identity_aad(name, row))}
    if name in ("application", "customer"):
        values["pan_hash"] = _pan_hash(box, row.tenant_id, identity.get("pan"))
    return values


def _open_identity(box: SecretBox, name: str, row: Any) -> dict[str, Any]:
    """Opening: the identifying fields sealed in a row of table ``name``."""
    identity: dict[str, Any] = box.open_json(row.identity, _identity_aad(name, row))
    return identity


def _canonical_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _split(document: Any) -> tuple[Any, dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("applicant"), dict):
        return document, {}
    applicant = dict(document["applicant"])
    identity = {k: applicant.pop(k) for k in IDENTITY_FIELDS if k in applicant}
    return {**document, "applicant": applicant}, identity


def _pan_hash(box: SecretBox, tenant_id: str, pan: str | None) -> str | None:
    return box.keyed_hash(pan.strip().upper(), f"{tenant_id}/pan") if pan else None


def _applications() -> sa.TableClause:
    """The application table with the columns this migration moves (``applicant_name`` in clear, 0008)."""
    return sa.table(
        "application",
        sa.column("id", sa.String),
        sa.column("tenant_id", sa.String),
        sa.column("applicant_name", sa.String),
        sa.column("request", sa.JSON),
        sa.column("inputs", sa.JSON),
        sa.column("identity", sa.Text),
        sa.column("pan_hash", sa.String),
    )


def _seal_applications(box: Callable[[], SecretBox]) -> None:
    application = _applications()
    record = sa.table(
        "idempotency_record",
        sa.column("tenant_id", sa.String),
        sa.column("key", sa.String),
        sa.column("request_hash", sa.String),
        sa.column("response", sa.JSON),
    )
    bind = op.get_bind()
    records = bind.execute(sa.select(record).where(record.c.response.is_not(None))).all()
    wanted = {(r.response or {}).get("application_id") for r in records}
    kept: dict[str, tuple[str | None, Any]] = {}  # application id → (identity ciphertext, request as sent)

    def seal(row: Any) -> dict[str, Any] | None:
        if row.identity is not None:
            return None
        request, identity = _split(row.request)
        inputs, _ = _split(row.inputs)
        if not identity and row.applicant_name:
            identity = {"name": row.applicant_name}
        values = _seal_identity(box(), "application", row, identity) if identity else {"identity": None}
        values.setdefault("pan_hash", None)
        if row.id in wanted:
            kept[row.id] = (values["identity"], row.request)
        return {**values, "request": request, "inputs": inputs}

    _rewrite(application, ("tenant_id", "applicant_name", "request", "inputs", "identity"), seal)
    for r in records:
        response = dict(r.response)
        app_id = response.get("application_id")
        if app_id not in kept or "_identity" in response:
            continue
        token, sent = kept[app_id]
        response["inputs"], _ = _split(response.get("inputs"))
        response["_identity"] = token
        request_hash = r.request_hash
        if sent is not None and _canonical_hash(sent) == request_hash:
            canonical = json.dumps(sent, sort_keys=True, separators=(",", ":"), default=str)
            request_hash = box().keyed_hash(canonical, f"{r.tenant_id}/idempotency")
        bind.execute(
            record.update()
            .where(record.c.tenant_id == r.tenant_id, record.c.key == r.key)
            .values(response=response, request_hash=request_hash)
        )


def _batch_rows(box: Callable[[], SecretBox], *, sealing: bool) -> None:
    """Seal (or, going down, open) every batch row's input and error texts."""

    def transform(value: Any, where: str) -> Any:
        return box().seal_json(value, where) if sealing else box().open_json(value, where)

    batch_row = sa.table(
        "batch_row",
        sa.column("batch_id", sa.String),
        sa.column("row_number", sa.Integer),
        sa.column("input", sa.JSON),
        sa.column("parse_error", sa.Text),
        sa.column("error", sa.Text),
    )
    bind = op.get_bind()
    for (batch_id,) in bind.execute(sa.select(batch_row.c.batch_id).distinct()).all():
        after = 0
        while rows := bind.execute(
            sa.select(batch_row)
            .where(batch_row.c.batch_id == batch_id, batch_row.c.row_number > after)
            .order_by(batch_row.c.row_number)
            .limit(_CHUNK)
        ).all():
            after = rows[-1].row_number
            for row in rows:
                values = {}
                for name in SEALED_BATCH_COLUMNS:
                    value = getattr(row, name)
                    sealed = isinstance(value, str) and value.startswith("v1:")
                    if value is None or sealed == sealing:
                        continue
                    values[name] = transform(value, f"batch_row.{name}")
                if values:
                    bind.execute(
                        batch_row.update()
                        .where(batch_row.c.batch_id == batch_id, batch_row.c.row_number == row.row_number)
                        .values(**values)
                    )


def _people(name: str, fields: tuple[str, ...]) -> sa.TableClause:
    """A customer or guarantor table with its identifying columns (``fields``) in clear."""
    return sa.table(
        name,
        sa.column("id", sa.String),
        sa.column("tenant_id", sa.String),
        sa.column("identity", sa.Text),
        *(sa.column(f, sa.Date if f == "date_of_birth" else sa.String) for f in fields),
        *((sa.column("pan_hash", sa.String),) if name == "customer" else ()),
    )


def _seal_people(box: Callable[[], SecretBox], name: str, fields: tuple[str, ...]) -> None:
    def seal(row: Any) -> dict[str, Any] | None:
        if row.identity is not None:
            return None
        identity = {f: getattr(row, f) for f in fields if getattr(row, f) is not None}
        return _seal_identity(box(), name, row, identity)

    _rewrite(_people(name, fields), ("tenant_id", "identity", *fields), seal)


def upgrade() -> None:
    _all_tenants()
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("identity", sa.Text, nullable=True))
        batch.add_column(sa.Column("pan_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("identity", sa.Text, nullable=True))
        batch.add_column(sa.Column("pan_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("guarantor") as batch:
        batch.add_column(sa.Column("identity", sa.Text, nullable=True))

    box = _lazy(_box)
    _seal_applications(box)
    _batch_rows(box, sealing=True)
    _seal_people(box, "customer", CUSTOMER_IDENTITY)
    _seal_people(box, "guarantor", GUARANTOR_IDENTITY)

    with op.batch_alter_table("application") as batch:
        batch.drop_column("applicant_name")
        batch.create_index("ix_application_tenant_pan", ["tenant_id", "pan_hash"])
    with op.batch_alter_table("customer") as batch:
        batch.drop_constraint("uq_customer_tenant_id", type_="unique")
        for column in CUSTOMER_IDENTITY:
            batch.drop_column(column)
        batch.alter_column("identity", existing_type=sa.Text, nullable=False)
        batch.create_unique_constraint("uq_customer_tenant_id", ["tenant_id", "pan_hash"])
    with op.batch_alter_table("guarantor") as batch:
        for column in GUARANTOR_IDENTITY:
            batch.drop_column(column)
        batch.alter_column("identity", existing_type=sa.Text, nullable=False)


def _open_people(box: SecretBox, name: str, fields: tuple[str, ...]) -> None:
    def open_(row: Any) -> dict[str, Any]:
        identity = _open_identity(box, name, row)
        if identity.get("date_of_birth"):
            identity["date_of_birth"] = date.fromisoformat(identity["date_of_birth"])
        values = {f: identity.get(f) for f in fields}
        if name == "guarantor" and values.get("name") is None:
            values["name"] = ""
        return values

    _rewrite(_people(name, fields), ("tenant_id", "identity"), open_)


def _open_applications(box: SecretBox) -> None:
    application = _applications()

    def open_(row: Any) -> dict[str, Any] | None:
        if row.identity is None:
            return None
        identity = _open_identity(box, "application", row)
        values: dict[str, Any] = {"applicant_name": identity.get("name")}
        for column, keep_none in (("request", True), ("inputs", False)):
            doc = getattr(row, column)
            if isinstance(doc, dict) and isinstance(doc.get("applicant"), dict):
                back = {k: v for k, v in identity.items() if keep_none or v is not None}
                values[column] = {**doc, "applicant": {**back, **doc["applicant"]}}
        return values

    _rewrite(application, ("tenant_id", "request", "inputs", "identity"), open_)


def downgrade() -> None:
    """Put the identities back in clear (needs the key ring); idempotency records are cleared."""
    _all_tenants()
    box = _box()
    with op.batch_alter_table("customer") as batch:
        batch.drop_constraint("uq_customer_tenant_id", type_="unique")
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pan", sa.String(10), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("date_of_birth", sa.Date, nullable=True))
    with op.batch_alter_table("guarantor") as batch:
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pan", sa.String(10), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("applicant_name", sa.String(200), nullable=True))
    _open_people(box, "customer", CUSTOMER_IDENTITY)
    _open_people(box, "guarantor", GUARANTOR_IDENTITY)
    _open_applications(box)
    op.execute("DELETE FROM idempotency_record")  # replays of the last 24 hours: their responses stay sealed
    _batch_rows(lambda: box, sealing=False)
    with op.batch_alter_table("application") as batch:
        batch.drop_index("ix_application_tenant_pan")
        batch.drop_column("pan_hash")
        batch.drop_column("identity")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("pan_hash")
        batch.drop_column("identity")
        batch.alter_column("name", existing_type=sa.String(200), nullable=False)
        batch.create_unique_constraint("uq_customer_tenant_id", ["tenant_id", "pan"])
    with op.batch_alter_table("guarantor") as batch:
        batch.drop_column("identity")
        batch.alter_column("name", existing_type=sa.String(200), nullable=False)
