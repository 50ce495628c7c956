"""What the routes read from a request, shared: days and instants written as ISO 8601 only; a bounded raw body."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator, BeforeValidator

from creditdesk.errors import PayloadTooLarge

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


def raw_body(limit: int, what: str) -> Callable[[Request], Awaitable[bytes]]:
    """A dependency answering the body exactly as sent (a provider's signature covers these bytes); 413 above ``limit``.

    ``what`` names the body in the error ("a webhook body"). A declared length over the limit is refused
    before reading; a body that grows past it is refused as soon as it does.
    """

    async def read(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"{what} is at most {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"{what} is at most {limit} bytes")
        return bytes(body)

    return read
