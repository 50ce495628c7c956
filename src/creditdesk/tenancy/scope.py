"""THE tenant-scoping helper. Every query of a tenant-owned table goes through here.

A tenant-owned table has a ``tenant_id`` column. Reading one row by id from another tenant answers
404 (never 403): existence must not leak. ``tests/tenancy/test_scope_lint.py`` fails the build when
code outside this module filters on ``tenant_id`` by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from creditdesk.errors import NotFound
from creditdesk.tenancy.permissions import Permission

if TYPE_CHECKING:
    from creditdesk.tenancy.deps import TenantContext

M = TypeVar("M")


class _Filterable(Protocol):
    """A select, update or delete: anything with a ``where`` that returns its own kind."""

    def where(self, *whereclause: Any) -> Self: ...


Statement = TypeVar("Statement", bound=_Filterable)


def scoped(stmt: Statement, model: Any, tenant_id: str) -> Statement:
    """Restrict a select, update or delete of ``model`` to one tenant."""
    return stmt.where(model.tenant_id == tenant_id)


def select_owned(model: type[M], tenant_id: str) -> Select[M]:
    """Return ``SELECT model`` restricted to one tenant."""
    return scoped(select(model), model, tenant_id)


def _one_or_404(session: Session, stmt: Select[M], what: str) -> M:
    """The one row ``stmt`` selects, or 404 naming ``what``."""
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"{what} not found")
    return obj


def get_owned(session: Session, model: type[M], obj_id: str, tenant_id: str, *, what: str | None = None) -> M:
    """Load one row of ``model`` owned by the tenant, or raise 404."""
    table: Any = model
    return _one_or_404(session, select_owned(model, tenant_id).where(table.id == obj_id), what or model.__name__)


def select_owned_or_platform(model: type[M], tenant_id: str) -> Select[M]:
    """Return ``SELECT model`` of the tenant's rows plus platform-wide rows (``tenant_id`` NULL)."""
    table: Any = model
    return select(model).where(or_(table.tenant_id == tenant_id, table.tenant_id.is_(None)))


def get_owned_or_platform(session: Session, model: type[M], obj_id: str, tenant_id: str, *, what: str) -> M:
    """Load a row owned by the tenant or by the platform, or raise 404."""
    table: Any = model
    return _one_or_404(session, select_owned_or_platform(model, tenant_id).where(table.id == obj_id), what)


def select_visible(model: type[M], ctx: TenantContext) -> Select[M]:
    """Return ``SELECT model`` of the rows the caller may read: the tenant's, or only their own.

    Security invariant (object-level access): "own" means the same for every resource a caller
    creates — applications, batches, jobs. Without ``applications:read`` (a field officer) a caller
    sees only the rows whose ``created_by`` is them; analysts, admins and auditors see the tenant's.
    """
    table: Any = model
    stmt = select_owned(model, ctx.tenant_id)
    if not ctx.caller.can(Permission.APPLICATIONS_READ):
        stmt = stmt.where(table.created_by == ctx.caller.id)
    return stmt


def get_visible(session: Session, model: type[M], obj_id: str, ctx: TenantContext, *, what: str) -> M:
    """Load one row the caller may read (see :func:`select_visible`), or raise 404 — never 403, which would leak it."""
    table: Any = model
    return _one_or_404(session, select_visible(model, ctx).where(table.id == obj_id), what)
