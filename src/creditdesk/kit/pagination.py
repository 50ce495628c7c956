"""Offset pagination: one page shape ``{"items","total","limit","offset"}`` for every list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_OFFSET = 10_000_000  # a database OFFSET is a 64-bit integer: 2**63 must be a 422, not an overflow

_ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    """A filter's instant must be written as ISO 8601 ("9" is not read as 9 seconds after 1970)."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T09:30:00+05:30")
    return value


def _aware(value: datetime) -> datetime:
    """A filter written without an offset ("2026-11-01") is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


#: A day as a query parameter (``as_of``): ISO 8601 ``YYYY-MM-DD`` only (not a number of seconds).
Day = Annotated[date, BeforeValidator(_iso_only)]

#: A date-time query filter (``created_from``, ``created_to``): ISO 8601 only; UTC when no offset is given.
Instant = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_aware)]


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass
class PageParams:
    limit: int
    offset: int


def _page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (1–500)")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (at most 10,000,000)")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]


def paginate(session: Session, stmt: Select[Any], *, limit: int, offset: int) -> Page[Any]:
    """Run a select for one page and count the total."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = list(session.execute(stmt.limit(limit).offset(offset)).scalars())
    return Page(items=items, total=total, limit=limit, offset=offset)
