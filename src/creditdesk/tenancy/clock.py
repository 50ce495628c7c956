"""The tenant clock: the one place "now" and "today" are read in a lender's time zone.

Every date that matters to a borrower or a regulator is a local date: an applicant's age, a
disbursement or payment "not in the future", a report's as-of day, a month bucket on a chart, and
(soon) contact windows, promise dates and EMI due dates. Compute them here, never with
``datetime.now()`` or ``ZoneInfo(...)`` at the call site, so a tenant's ``timezone`` is honoured the
same way everywhere. Accepts a tenant (anything with a ``timezone`` attribute), a zone name, or
``None`` for the platform default.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Kolkata"


class HasTimezone(Protocol):
    @property
    def timezone(self) -> str | None: ...


Where = HasTimezone | str | None


@lru_cache(maxsize=256)
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(where: Where) -> ZoneInfo:
    """The IANA zone of a tenant (or of a zone name); the platform default when unset."""
    name = where if isinstance(where, str) else (where.timezone if where is not None else None)
    return _zone_named(name or DEFAULT_ZONE)


def now(where: Where) -> datetime:
    """The current instant as an aware datetime in the tenant's zone."""
    return datetime.now(zone(where))


def today(where: Where) -> date:
    """Today's date in the tenant's zone (in Kolkata, 00:30 IST is already tomorrow in UTC terms)."""
    return now(where).date()


def local(instant: datetime, where: Where) -> datetime:
    """An instant (aware; naive is read as UTC, as the database stores it) in the tenant's zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=_zone_named("UTC"))
    return instant.astimezone(zone(where))
