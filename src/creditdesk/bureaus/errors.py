"""Typed failures of a bureau call. Every connector failure is one of these — never a bare crash.

``transient`` tells whether asking again later may succeed (timeouts, connection errors, 5xx);
permanent errors (bad credentials, a malformed answer, a rejected request) will not heal by retrying.
Messages are meant for operators: readable, and never containing a secret.
"""

from __future__ import annotations

from typing import ClassVar

from creditdesk.kit.resilience import TransientError


class BureauError(Exception):
    """A bureau call failed."""

    transient: ClassVar[bool] = False
    code: ClassVar[str] = "bureau_error"

    def __init__(self, bureau: str, message: str) -> None:
        super().__init__(message)
        self.bureau = bureau
        self.message = message

    def __str__(self) -> str:
        return self.message


class BureauConfigError(BureauError):
    """The tenant's configuration for this bureau is incomplete or invalid (e.g. a missing secret)."""

    code = "config_error"


class BureauAuthError(BureauError):
    """The bureau rejected the credentials (HTTP 401/403)."""

    code = "auth_error"


class BureauRequestRejected(BureauError):
    """The bureau refused the request itself (another 4xx)."""

    code = "request_rejected"


class BureauBadResponse(BureauError):
    """The bureau's answer was malformed, truncated, of the wrong type or unexpected."""

    code = "bad_response"


class BureauUnavailable(BureauError, TransientError):
    """The bureau could not be reached in time or answered 5xx, after retries."""

    transient = True
    code = "unavailable"


class BureauCircuitOpen(BureauError):
    """The circuit breaker for (tenant, bureau) is open; no call was made."""

    code = "circuit_open"
