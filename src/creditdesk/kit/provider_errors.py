"""Typed failures of a call to an outside provider (a bureau, a payment gateway, an ESP, a KYC service …).

Every connector's failure is one of these — never a bare crash. Each room subclasses the family with its
own names and constructor (``bureaus/errors.py``, ``payments/errors.py``) and keeps its codes, so one
``except ProviderUnavailable`` handles every room's outage and a new connector starts from here.

- ``transient``: whether asking again later may succeed (timeouts, connection errors, 5xx). Permanent
  errors (bad credentials, a malformed answer, a rejected request) will not heal by retrying. The
  transient ones are also :class:`~creditdesk.kit.resilience.TransientError`, which the retry policy
  retries.
- ``code``: a stable machine-readable name (``auth_error``, ``unavailable`` …) for logs, job errors
  and API problem details.
- ``provider``: which provider (a bureau's name; None when the room has one provider per tenant).
- ``provider_code``: the provider's own error code, when it sent one.

Messages are for operators: readable, and never containing a secret.
"""

from __future__ import annotations

from typing import ClassVar

from creditdesk.kit.resilience import TransientError


class ProviderError(Exception):
    """A call to an outside provider failed."""

    transient: ClassVar[bool] = False
    code: ClassVar[str] = "provider_error"

    def __init__(self, message: str, *, provider: str | None = None, provider_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.provider_code = provider_code

    def __str__(self) -> str:
        return self.message


class ProviderConfigError(ProviderError):
    """The tenant's configuration for this provider is incomplete or invalid (e.g. a missing secret)."""

    code = "config_error"


class ProviderAuthError(ProviderError):
    """The provider refused the credentials (HTTP 401/403)."""

    code = "auth_error"


class ProviderNotFound(ProviderError):
    """The provider knows no such object (HTTP 404)."""

    code = "not_found"


class ProviderRejected(ProviderError):
    """The provider refused the request itself (another 4xx); ``provider_code`` is its error code."""

    code = "request_rejected"


class ProviderBadResponse(ProviderError):
    """The provider's answer was malformed, truncated, of the wrong type or not what its API promises."""

    code = "bad_response"


class ProviderUnavailable(ProviderError, TransientError):
    """No answer in time, a connection error or 5xx, after the retries allowed for the call.

    For a call that changes something the change may have happened: reconcile (look it up by its
    reference) before asking again without an idempotency key.
    """

    transient = True
    code = "unavailable"


class ProviderTimeout(ProviderUnavailable):
    """No answer within the call's timeout (a kind of unavailable, for connectors that tell them apart)."""

    code = "timeout"


class ProviderCircuitOpen(ProviderError):
    """The circuit breaker for (tenant, provider) is open; nothing was sent."""

    code = "circuit_open"


class ProviderSignatureInvalid(ProviderError):
    """An inbound webhook or callback's signature does not match its body under the shared secret."""

    code = "signature_invalid"
