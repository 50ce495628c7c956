"""Helpers migrations use for PostgreSQL row-level security and append-only tables.

Policy: a row is visible when the transaction's ``app.all_tenants`` is 'on' (authentication,
platform-wide work) or its ``tenant_id`` equals ``app.tenant_id``. Unset settings see nothing.
Note: superusers bypass RLS, so production connects as an ordinary role (docs/operations.md).
"""

from __future__ import annotations

from alembic import op


def enable_tenant_rls(table: str, column: str = "tenant_id") -> None:
    """Turn on (and force) a tenant-isolation policy for a table; no-op on SQLite."""
    if op.get_bind().dialect.name != "postgresql":
        return
    cond = f"(current_setting('app.all_tenants', true) = 'on' OR {column} = current_setting('app.tenant_id', true))"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING {cond} WITH CHECK {cond}")


def make_append_only(table: str) -> None:
    """Reject UPDATE and DELETE on a table with a trigger (SQLite and PostgreSQL)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION creditdesk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION creditdesk_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
