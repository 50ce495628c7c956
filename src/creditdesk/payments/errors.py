"""Typed failures of a payment gateway call; messages are for operators and never contain a secret."""

from __future__ import annotations

from typing import ClassVar

from creditdesk.kit.resilience import TransientError


class GatewayError(Exception):
    """A gateway call failed."""

    transient: ClassVar[bool] = False
    code: ClassVar[str] = "gateway_error"

    def __init__(self, message: str, *, gateway_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.gateway_code = gateway_code


class GatewayAuthError(GatewayError):
    """The gateway refused the key id and secret (HTTP 401/403)."""

    code = "auth_error"


class GatewayNotFound(GatewayError):
    """The gateway knows no such object (HTTP 404)."""

    code = "not_found"


class GatewayRejected(GatewayError):
    """The gateway refused the request itself (another 4xx); ``gateway_code`` is its error code."""

    code = "request_rejected"


class GatewayBadResponse(GatewayError):
    """The gateway's answer was not what its API promises."""

    code = "bad_response"


class GatewayUnavailable(GatewayError, TransientError):
    """No answer in time, or 5xx, after the retries allowed for the call.

    For a call that changes something (a payout, a link) the change may have happened: reconcile
    (a payout by its reference) before asking again without an idempotency key.
    """

    transient = True
    code = "unavailable"


class GatewayCircuitOpen(GatewayError):
    """The circuit breaker for (tenant, payments) is open; nothing was sent."""

    code = "circuit_open"


class WebhookSignatureInvalid(GatewayError):
    """An inbound webhook's ``X-Gateway-Signature`` does not match its body under the webhook secret."""

    code = "signature_invalid"
