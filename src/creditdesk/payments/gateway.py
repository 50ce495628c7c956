"""The payment gateway connector: typed calls over httpx and kit.resilience, and webhook verification.

Retries (backoff + jitter) only for calls that are safe to repeat: fetches, cancelling a link, and a
payout, which carries its idempotency key (``X-Payout-Idempotency``) so the gateway makes it once.
Creating an order, a link, a UPI collect request or a refund is sent once: if its answer is lost the
caller reconciles (fetch) rather than risk a second object. Every call runs inside the breaker of
``(tenant, "payments")``. Amounts are :class:`~decimal.Decimal` rupees here, integer paise on the wire.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator

from creditdesk.kit.money import PositiveMoney
from creditdesk.kit.resilience import (
    NO_RETRY,
    BreakerRegistry,
    CircuitOpenError,
    ResilientCaller,
    ResponseTooLarge,
    RetryPolicy,
    UpstreamServerError,
)
from creditdesk.payments.errors import (
    GatewayAuthError,
    GatewayBadResponse,
    GatewayCircuitOpen,
    GatewayError,
    GatewayNotFound,
    GatewayRejected,
    GatewayUnavailable,
    WebhookSignatureInvalid,
)
from creditdesk.payments.wire import (
    IDEMPOTENCY_HEADER,
    OrderStatus,
    PaymentLinkStatus,
    PaymentMethod,
    PaymentStatus,
    PayoutMode,
    PayoutStatus,
    RefundStatus,
    TokenMethod,
    TokenStatus,
    from_paise,
    to_paise,
    verify_signature,
)

USER_AGENT = "CreditDesk payments connector"
BREAKER_NAME = "payments"
M = TypeVar("M", bound=BaseModel)


def _rupees(value: Any) -> Any:
    return from_paise(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: an amount read from the wire (integer paise) as Decimal rupees
WireAmount = Annotated[Decimal, BeforeValidator(_rupees)]


class GatewayConfig(BaseModel):
    """A tenant's gateway account: where it is and its credentials (``repr`` never shows a secret)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = "default"
    base_url: str
    key_id: str = Field(min_length=1)
    key_secret: SecretStr
    webhook_secret: SecretStr
    timeout_ms: int = Field(default=10_000, ge=1, le=120_000)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        return value.rstrip("/")


# -- requests ------------------------------------------------------------------------------------------


class Customer(BaseModel):
    """Who a payment link is for."""

    name: str | None = None
    contact: str | None = None
    email: str | None = None


class OrderCreate(BaseModel):
    """An order to collect ``amount``."""

    amount: PositiveMoney
    receipt: str | None = Field(default=None, max_length=40)
    notes: dict[str, str] = Field(default_factory=dict)


class PaymentLinkCreate(BaseModel):
    """A payment link for ``amount`` (``expire_by``: Unix time)."""

    amount: PositiveMoney
    description: str | None = None
    reference_id: str | None = Field(default=None, max_length=40)
    customer: Customer | None = None
    expire_by: int | None = None
    accept_partial: bool = False
    notes: dict[str, str] = Field(default_factory=dict)


class UpiCollectCreate(BaseModel):
    """A UPI collect request to ``vpa`` (for ``order_id``'s amount due, or ``amount``)."""

    vpa: str
    amount: PositiveMoney | None = None
    order_id: str | None = None
    description: str | None = None


class BankAccount(BaseModel):
    """A beneficiary's bank account."""

    ifsc: str
    account_number: str
    name: str


class FundAccount(BaseModel):
    """Where a payout goes: a bank account or a UPI address."""

    account_type: str = Field(pattern="^(bank_account|vpa)$")
    bank_account: BankAccount | None = None
    vpa: dict[str, str] | None = None


class PayoutCreate(BaseModel):
    """A payout from ``account_number`` (our current account at the gateway) to ``fund_account``."""

    amount: PositiveMoney
    account_number: str
    fund_account: FundAccount
    mode: PayoutMode = "IMPS"
    purpose: str = "payout"
    reference_id: str = Field(max_length=40)
    narration: str | None = Field(default=None, max_length=30)
    notes: dict[str, str] = Field(default_factory=dict)


class RefundCreate(BaseModel):
    """A refund of a captured payment (all that is left, without ``amount``)."""

    amount: PositiveMoney | None = None
    receipt: str | None = None
    notes: dict[str, str] = Field(default_factory=dict)


class CustomerCreate(BaseModel):
    """A customer at the gateway (whom a mandate belongs to)."""

    name: str = Field(min_length=1, max_length=100)
    contact: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    notes: dict[str, str] = Field(default_factory=dict)


class TokenCreate(BaseModel):
    """A mandate registration: eNACH (``emandate``) or UPI AutoPay (``upi``) up to ``max_amount`` per debit."""

    customer_id: str
    method: TokenMethod = "emandate"
    max_amount: PositiveMoney
    reference_id: str = Field(max_length=80)
    frequency: str = "as_presented"
    notes: dict[str, str] = Field(default_factory=dict)


class RecurringDebitCreate(BaseModel):
    """A debit on a confirmed mandate; ``receipt`` is our idempotency key (one debit per token and receipt)."""

    token_id: str
    amount: PositiveMoney
    receipt: str = Field(max_length=80)
    description: str | None = None
    notes: dict[str, str] = Field(default_factory=dict)


# -- answers -------------------------------------------------------------------------------------------


class _Entity(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    created_at: int


class Order(_Entity):
    """An order."""

    amount: WireAmount
    amount_paid: WireAmount
    amount_due: WireAmount
    status: OrderStatus
    receipt: str | None = None
    attempts: int = 0


class PaymentLink(_Entity):
    """A payment link."""

    amount: WireAmount
    amount_paid: WireAmount
    status: PaymentLinkStatus
    short_url: str
    reference_id: str | None = None
    expire_by: int | None = None


class Payment(_Entity):
    """A payment (captured, failed, or a UPI collect request still ``created``)."""

    amount: WireAmount
    amount_refunded: WireAmount = Decimal("0.00")
    status: PaymentStatus
    method: PaymentMethod
    order_id: str | None = None
    payment_link_id: str | None = None
    vpa: str | None = None
    error_code: str | None = None
    error_description: str | None = None
    #: a recurring debit on a mandate: its token, our receipt, and the return reason code when it failed
    recurring: bool = False
    token_id: str | None = None
    receipt: str | None = None
    error_reason: str | None = None


class GatewayCustomer(_Entity):
    """A customer."""

    name: str


class Token(_Entity):
    """A mandate: ``pending`` until the sponsor bank / NPCI confirm or reject it."""

    customer_id: str
    method: TokenMethod
    max_amount: WireAmount
    reference_id: str
    umrn: str | None = None
    status: TokenStatus
    error_code: str | None = None
    error_description: str | None = None


class Payout(_Entity):
    """A payout."""

    amount: WireAmount
    status: PayoutStatus
    mode: PayoutMode
    reference_id: str | None = None
    utr: str | None = None
    failure_reason: str | None = None


class Refund(_Entity):
    """A refund."""

    amount: WireAmount
    payment_id: str
    status: RefundStatus


class WebhookEvent(BaseModel):
    """A verified inbound webhook: ``id`` is the same for every delivery of one event (deduplicate by it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    event: str
    account_id: str
    created_at: int
    payload: dict[str, dict[str, dict[str, Any]]]

    def entity(self, kind: str, model: type[M]) -> M | None:
        """The event's ``kind`` entity (``payment``, ``payout`` …) as ``model``, if it carries one."""
        found = self.payload.get(kind)
        return None if found is None else model.model_validate(found["entity"])


def verify_webhook(body: bytes, signature: str | None, webhook_secret: str) -> WebhookEvent:
    """Check an inbound webhook's signature (constant time) and parse it; raises WebhookSignatureInvalid."""
    if not verify_signature(body, signature, webhook_secret):
        raise WebhookSignatureInvalid("the webhook signature does not match its body")
    try:
        return WebhookEvent.model_validate_json(body)
    except ValidationError:
        raise GatewayBadResponse("the webhook body is not a gateway event") from None


def _wire(model: BaseModel) -> dict[str, Any]:
    """A request body: amounts as integer paise, unset fields left out."""
    body = model.model_dump(mode="python", exclude_none=True)
    return {k: to_paise(v) if isinstance(v, Decimal) else v for k, v in body.items()}


class PaymentGateway:
    """One tenant's gateway: typed calls, resilient, secrets only in the Authorization header."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        breakers: BreakerRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._client = client or httpx.Client(follow_redirects=False)
        self._retrying = ResilientCaller(breakers=breakers, retry=retry or RetryPolicy(), sleep=sleep)
        self._once = ResilientCaller(breakers=breakers, retry=NO_RETRY, sleep=sleep)
        self._breaker_key = (config.tenant_id, BREAKER_NAME)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    # -- orders, links, UPI, refunds ---------------------------------------------------------------

    def create_order(self, order: OrderCreate) -> Order:
        """Create an order (sent once)."""
        return self._call("POST", "/v1/orders", Order, body=_wire(order), idempotent=False)

    def fetch_order(self, order_id: str) -> Order:
        """Fetch an order."""
        return self._call("GET", f"/v1/orders/{order_id}", Order)

    def create_payment_link(self, link: PaymentLinkCreate) -> PaymentLink:
        """Create a payment link (sent once)."""
        body = _wire(link)
        return self._call("POST", "/v1/payment_links", PaymentLink, body=body, idempotent=False)

    def fetch_payment_link(self, link_id: str) -> PaymentLink:
        """Fetch a payment link (its status moves to expired past ``expire_by``)."""
        return self._call("GET", f"/v1/payment_links/{link_id}", PaymentLink)

    def cancel_payment_link(self, link_id: str) -> PaymentLink:
        """Cancel a payment link (safe to repeat: a cancelled link is answered again)."""
        return self._call("POST", f"/v1/payment_links/{link_id}/cancel", PaymentLink, body={})

    def create_upi_collect(self, request: UpiCollectCreate) -> Payment:
        """Send a UPI collect request (sent once); the payment stays ``created`` until the borrower answers."""
        body = _wire(request)
        return self._call("POST", "/v1/payments/upi/collect", Payment, body=body, idempotent=False)

    def fetch_payment(self, payment_id: str) -> Payment:
        """Fetch a payment."""
        return self._call("GET", f"/v1/payments/{payment_id}", Payment)

    def create_refund(self, payment_id: str, refund: RefundCreate) -> Refund:
        """Refund a captured payment (sent once)."""
        body = _wire(refund)
        return self._call("POST", f"/v1/payments/{payment_id}/refund", Refund, body=body, idempotent=False)

    def fetch_refund(self, refund_id: str) -> Refund:
        """Fetch a refund."""
        return self._call("GET", f"/v1/refunds/{refund_id}", Refund)

    # -- e-mandates ---------------------------------------------------------------------------------

    def create_customer(self, customer: CustomerCreate) -> GatewayCustomer:
        """Create a customer (sent once)."""
        return self._call("POST", "/v1/customers", GatewayCustomer, body=_wire(customer), idempotent=False)

    def create_token(self, token: TokenCreate) -> Token:
        """Register a mandate (sent once; a lost answer is found with :meth:`find_token_by_reference`)."""
        return self._call("POST", "/v1/tokens", Token, body=_wire(token), idempotent=False)

    def fetch_token(self, token_id: str) -> Token:
        """Fetch a mandate."""
        return self._call("GET", f"/v1/tokens/{token_id}", Token)

    def find_token_by_reference(self, reference_id: str) -> Token | None:
        """The latest mandate registered with ``reference_id``, or None: reconciles a lost answer."""
        request = self._request("GET", "/v1/tokens", params={"reference_id": reference_id})
        items = self._send(request, idempotent=True).get("items")
        if not isinstance(items, list):
            raise GatewayBadResponse("the token collection has no items")
        tokens = [self._parse(Token, item) for item in items]
        return tokens[-1] if tokens else None

    def cancel_token(self, token_id: str) -> Token:
        """Cancel a mandate (safe to repeat)."""
        return self._call("POST", f"/v1/tokens/{token_id}/cancel", Token, body={})

    def create_recurring_debit(self, debit: RecurringDebitCreate) -> Payment:
        """Present a debit on a mandate; retried (the gateway makes one debit per token and receipt).

        The answer is ``created``: the result arrives later by webhook (``payment.captured`` or
        ``payment.failed`` with ``error_reason``, the return reason code).
        """
        return self._call("POST", "/v1/payments/create/recurring", Payment, body=_wire(debit))

    # -- payouts -----------------------------------------------------------------------------------

    def create_payout(self, payout: PayoutCreate, *, idempotency_key: str) -> Payout:
        """Make a payout, at most once per ``idempotency_key`` (so retried on transient failures).

        If it still fails with :class:`GatewayUnavailable`, the payout may exist: reconcile with
        :meth:`find_payout_by_reference` before anything else.
        """
        headers = {IDEMPOTENCY_HEADER: idempotency_key}
        return self._call("POST", "/v1/payouts", Payout, body=_wire(payout), headers=headers)

    def fetch_payout(self, payout_id: str) -> Payout:
        """Fetch a payout."""
        return self._call("GET", f"/v1/payouts/{payout_id}", Payout)

    def find_payout_by_reference(self, reference_id: str) -> Payout | None:
        """The payout made with ``reference_id`` (the latest, if several), or None: reconciles a lost answer."""
        request = self._request("GET", "/v1/payouts", params={"reference_id": reference_id})
        data = self._send(request, idempotent=True)
        items = data.get("items")
        if not isinstance(items, list):
            raise GatewayBadResponse("the payout collection has no items")
        payouts = [self._parse(Payout, item) for item in items]
        return payouts[-1] if payouts else None

    # -- plumbing ----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> M:
        request = self._request(method, path, body=body, headers=headers)
        return self._parse(model, self._send(request, idempotent=idempotent))

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Request:
        token = f"{self.config.key_id}:{self.config.key_secret.get_secret_value()}".encode()
        timeout = self.config.timeout_ms / 1000
        return self._client.build_request(
            method,
            self.config.base_url + path,
            json=body,
            params=params,
            headers={
                "Authorization": "Basic " + base64.b64encode(token).decode(),
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **(headers or {}),
            },
            timeout=httpx.Timeout(timeout),
        )

    def _send(self, request: httpx.Request, *, idempotent: bool) -> dict[str, Any]:
        caller = self._retrying if idempotent else self._once
        try:
            response = caller.send(self._client, request, key=self._breaker_key)
        except CircuitOpenError as exc:
            raise GatewayCircuitOpen(f"payments circuit open; retry in {exc.retry_in_s:.0f} s") from None
        except UpstreamServerError as exc:
            raise GatewayUnavailable(f"the gateway answered HTTP {exc.status_code}") from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise GatewayUnavailable(f"the gateway did not answer ({type(exc).__name__})") from None
        except ResponseTooLarge:
            raise GatewayBadResponse("the gateway's answer is too large") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise self._refusal(response.status_code, data)
        if not isinstance(data, dict):
            raise GatewayBadResponse(f"the gateway answered HTTP {response.status_code} without a JSON object")
        return data

    @staticmethod
    def _refusal(status: int, data: Any) -> GatewayError:
        error = data.get("error") if isinstance(data, dict) else None
        code = str(error.get("code")) if isinstance(error, dict) else None
        description = str(error.get("description")) if isinstance(error, dict) else f"HTTP {status}"
        if status in (401, 403):
            return GatewayAuthError("the gateway refused the key id and secret", gateway_code=code)
        if status == 404:
            return GatewayNotFound(description, gateway_code=code)
        return GatewayRejected(f"the gateway refused the request: {description}", gateway_code=code)

    @staticmethod
    def _parse(model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problem = f"unexpected {model.__name__} from the gateway: {exc.error_count()} errors"
            raise GatewayBadResponse(problem) from None
