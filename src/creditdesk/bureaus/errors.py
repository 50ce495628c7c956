"""Typed failures of a bureau call: the provider-error family (:mod:`creditdesk.kit.provider_errors`) under
the bureaus' names. Every connector failure is one of these — never a bare crash.

``transient`` tells whether asking again later may succeed (timeouts, connection errors, 5xx);
permanent errors (bad credentials, a malformed answer, a rejected request) will not heal by retrying.
``bureau`` names the bureau. Messages are meant for operators: readable, and never containing a secret.
"""

from __future__ import annotations

from creditdesk.kit.provider_errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderCircuitOpen,
    ProviderConfigError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)


class BureauError(ProviderError):
    """A bureau call failed."""

    code = "bureau_error"

    def __init__(self, bureau: str, message: str) -> None:
        super().__init__(message, provider=bureau)
        self.bureau = bureau


class BureauConfigError(BureauError, ProviderConfigError):
    """The tenant's configuration for this bureau is incomplete or invalid (e.g. a missing secret)."""

    code = "config_error"


class BureauAuthError(BureauError, ProviderAuthError):
    """The bureau rejected the credentials (HTTP 401/403)."""

    code = "auth_error"


class BureauRequestRejected(BureauError, ProviderRejected):
    """The bureau refused the request itself (another 4xx)."""

    code = "request_rejected"


class BureauBadResponse(BureauError, ProviderBadResponse):
    """The bureau's answer was malformed, truncated, of the wrong type or unexpected."""

    code = "bad_response"


class BureauUnavailable(BureauError, ProviderUnavailable):
    """The bureau could not be reached in time or answered 5xx, after retries."""

    code = "unavailable"


class BureauCircuitOpen(BureauError, ProviderCircuitOpen):
    """The circuit breaker for (tenant, bureau) is open; no call was made."""

    code = "circuit_open"
