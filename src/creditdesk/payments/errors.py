"""Typed failures of a payment gateway call: the provider-error family (:mod:`creditdesk.kit.provider_errors`)
under the payments' names. Messages are for operators and never contain a secret."""

from __future__ import annotations

from creditdesk.kit.provider_errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderCircuitOpen,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderSignatureInvalid,
    ProviderUnavailable,
)


class GatewayError(ProviderError):
    """A gateway call failed; ``gateway_code`` is the gateway's own error code, when it sent one."""

    code = "gateway_error"

    def __init__(self, message: str, *, gateway_code: str | None = None) -> None:
        super().__init__(message, provider_code=gateway_code)
        self.gateway_code = gateway_code


class GatewayAuthError(GatewayError, ProviderAuthError):
    """The gateway refused the key id and secret (HTTP 401/403)."""

    code = "auth_error"


class GatewayNotFound(GatewayError, ProviderNotFound):
    """The gateway knows no such object (HTTP 404)."""

    code = "not_found"


class GatewayRejected(GatewayError, ProviderRejected):
    """The gateway refused the request itself (another 4xx); ``gateway_code`` is its error code."""

    code = "request_rejected"


class GatewayBadResponse(GatewayError, ProviderBadResponse):
    """The gateway's answer was not what its API promises."""

    code = "bad_response"


class GatewayUnavailable(GatewayError, ProviderUnavailable):
    """No answer in time, or 5xx, after the retries allowed for the call.

    For a call that changes something (a payout, a link) the change may have happened: reconcile
    (a payout by its reference) before asking again without an idempotency key.
    """

    code = "unavailable"


class GatewayCircuitOpen(GatewayError, ProviderCircuitOpen):
    """The circuit breaker for (tenant, payments) is open; nothing was sent."""

    code = "circuit_open"


class WebhookSignatureInvalid(GatewayError, ProviderSignatureInvalid):
    """An inbound webhook's ``X-Gateway-Signature`` does not match its body under the webhook secret."""

    code = "signature_invalid"
