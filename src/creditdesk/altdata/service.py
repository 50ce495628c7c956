"""Analyse an uploaded bank statement or UPI transaction list into alternative-data features."""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditdesk.altdata.features import StatementError, analyse_statement
from creditdesk.altdata.schemas import StatementAnalysis
from creditdesk.audit import service as audit
from creditdesk.audit.service import Actor
from creditdesk.errors import ValidationFailed
from creditdesk.tenancy.models import Tenant


class StatementUnreadable(ValidationFailed):
    """The statement as a whole cannot be read (not CSV/JSON, no date or amount column, too many rows)."""


def statement_format(filename: str | None, content_type: str | None) -> str | None:
    """Return ``csv`` or ``json`` from the upload's name or type; None lets the parser guess."""
    name = (filename or "").lower()
    kind = (content_type or "").lower()
    if name.endswith(".json") or "json" in kind:
        return "json"
    if name.endswith(".csv") or "csv" in kind:
        return "csv"
    return None


def analyse_upload(
    session: Session, *, tenant: Tenant, content: bytes, filename: str | None, content_type: str | None, actor: Actor
) -> StatementAnalysis:
    """Read the statement, compute its features and report unreadable rows; nothing is stored but an audit event."""
    try:
        analysis = analyse_statement(content, fmt=statement_format(filename, content_type))
    except StatementError as exc:
        raise StatementUnreadable(f"The statement cannot be read: {exc}") from None
    audit.record(
        session,
        actor=actor,
        action="altdata.statement_analysed",
        tenant_id=tenant.id,
        resource_type="statement",
        details={"rows": analysis.rows, "rows_used": analysis.rows_used, "errors": len(analysis.errors)},
    )
    return analysis
