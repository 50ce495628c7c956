"""Offset pagination: one page shape ``{"items","total","limit","offset"}`` for every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_OFFSET = 10_000_000  # a database OFFSET is a 64-bit integer: 2**63 must be a 422, not an overflow


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
