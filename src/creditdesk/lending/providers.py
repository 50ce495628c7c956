"""The outside parties the saga talks to, each behind a small protocol.

- :class:`EsignProvider` — the e-sign service (ESP). :class:`HttpEsignProvider` speaks to the ESP
  simulator at ``/simulators/esign`` (or any ESP with its wire shape).
- :class:`MandateProvider` — the e-mandate (eNACH / UPI AutoPay) registration.
  :class:`GatewayMandateProvider` registers it at the payment gateway (a customer, then a mandate
  token with the step's key as its reference, ``pending`` until the sponsor bank answers by webhook),
  finds a registration whose answer was lost by that reference, and cancels it (the compensation).
- :class:`PayoutProvider` — the disbursement. :class:`GatewayPayoutProvider` goes through the payments
  connector (:class:`~creditdesk.payments.gateway.PaymentGateway`), idempotent by
  ``X-Payout-Idempotency``, and finds a payout whose answer was lost by its reference.

:func:`default_providers` builds them for a tenant: the tenant's stored gateway account, else (demo/dev)
the simulators' sandbox accounts; tests swap in their own with :func:`use_providers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import httpx
from sqlalchemy.orm import Session

from creditdesk.config import Settings, get_settings
from creditdesk.kit.crypto import DecryptionError
from creditdesk.kit.ssrf import UnsafeEndpoint, check_provider_url
from creditdesk.lending.esign_simulator import SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET
from creditdesk.lending.esign_wire import API_KEY_HEADER
from creditdesk.payments import service as payments
from creditdesk.payments.gateway import (
    BankAccount,
    CustomerCreate,
    FundAccount,
    PaymentGateway,
    Payout,
    PayoutCreate,
    TokenCreate,
)
from creditdesk.payments.mandates import MandateState, sandbox_config, state_of
from creditdesk.payments.models import gateway_config
from creditdesk.tenancy.models import Tenant


class ProviderNotConfigured(Exception):
    """No provider account for this tenant (outside demo/dev, where the simulators stand in)."""


@dataclass(frozen=True)
class SignRequestState:
    """What the ESP says of a sign request."""

    id: str
    status: str  # pending | otp_sent | signed | failed | abandoned | expired
    document_hash: str
    certificate_id: str | None = None


class EsignProvider(Protocol):
    """The e-sign service: create a sign request for a document hash, look one up."""

    webhook_secret: str

    def create(self, *, document_hash: str, document_name: str, signer_name: str, reference: str) -> SignRequestState:
        """Ask the borrower to sign the document identified by ``document_hash``."""

    def fetch(self, request_id: str) -> SignRequestState:
        """The request as the ESP sees it now (reconciles a lost callback)."""

    def find(self, reference: str) -> SignRequestState | None:
        """The latest request made with ``reference``, if any (reconciles a lost answer to ``create``)."""


class MandateProvider(Protocol):
    """The e-mandate registration (eNACH / UPI AutoPay) at the gateway."""

    def register(self, *, key: str, max_amount: Decimal, customer_name: str) -> MandateState:
        """Register a mandate for ``customer_name`` with ``key`` as its reference (``pending`` until confirmed)."""

    def find(self, key: str) -> MandateState | None:
        """The latest mandate registered with ``key``, if any (reconciles a lost answer to ``register``)."""

    def fetch(self, mandate_id: str) -> MandateState:
        """The mandate as the gateway sees it now (reconciles a lost webhook)."""

    def cancel(self, mandate_id: str) -> None:
        """Cancel a mandate (the compensation)."""


class PayoutProvider(Protocol):
    """The disbursement payout."""

    def pay(self, *, key: str, amount: Decimal, reference: str, beneficiary: BankAccount) -> Payout:
        """Make the payout at most once per ``key``."""

    def find(self, reference: str) -> Payout | None:
        """The payout made with ``reference``, if any (reconciles a lost answer)."""


class HttpEsignProvider:
    """An ESP over HTTP in the simulator's wire shape."""

    def __init__(self, *, base_url: str, api_key: str, webhook_secret: str, callback_url: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.callback_url = callback_url

    def _state(self, data: dict[str, Any]) -> SignRequestState:
        return SignRequestState(
            id=str(data["id"]),
            status=str(data["status"]),
            document_hash=str(data["document_hash"]),
            certificate_id=data.get("certificate_id"),
        )

    def create(self, *, document_hash: str, document_name: str, signer_name: str, reference: str) -> SignRequestState:
        body = {
            "document_hash": document_hash,
            "document_name": document_name,
            "signer_name": signer_name,
            "reference": reference,
            "callback_url": self.callback_url,
        }
        with httpx.Client(timeout=10) as http:
            r = http.post(f"{self.base_url}/v1/sign-requests", json=body, headers={API_KEY_HEADER: self.api_key})
        r.raise_for_status()
        return self._state(r.json())

    def fetch(self, request_id: str) -> SignRequestState:
        with httpx.Client(timeout=10) as http:
            r = http.get(f"{self.base_url}/v1/sign-requests/{request_id}", headers={API_KEY_HEADER: self.api_key})
        r.raise_for_status()
        return self._state(r.json())

    def find(self, reference: str) -> SignRequestState | None:
        with httpx.Client(timeout=10) as http:
            r = http.get(
                f"{self.base_url}/v1/sign-requests",
                params={"reference": reference},
                headers={API_KEY_HEADER: self.api_key},
            )
        r.raise_for_status()
        items = r.json()["items"]
        return self._state(items[-1]) if items else None


class GatewayMandateProvider:
    """Mandates at the payment gateway (the payments connector's token calls)."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway

    def register(self, *, key: str, max_amount: Decimal, customer_name: str) -> MandateState:
        customer = self.gateway.create_customer(CustomerCreate(name=customer_name[:100], notes={"reference": key}))
        token = self.gateway.create_token(TokenCreate(customer_id=customer.id, max_amount=max_amount, reference_id=key))
        return state_of(token)

    def find(self, key: str) -> MandateState | None:
        token = self.gateway.find_token_by_reference(key)
        return state_of(token) if token is not None else None

    def fetch(self, mandate_id: str) -> MandateState:
        return state_of(self.gateway.fetch_token(mandate_id))

    def cancel(self, mandate_id: str) -> None:
        self.gateway.cancel_token(mandate_id)


class GatewayPayoutProvider:
    """Payouts through the payments connector."""

    def __init__(self, gateway: PaymentGateway, *, account_number: str) -> None:
        self.gateway = gateway
        self.account_number = account_number

    def pay(self, *, key: str, amount: Decimal, reference: str, beneficiary: BankAccount) -> Payout:
        payout = PayoutCreate(
            amount=amount,
            account_number=self.account_number,
            fund_account=FundAccount(account_type="bank_account", bank_account=beneficiary),
            reference_id=reference,
            purpose="loan_disbursement",
        )
        return self.gateway.create_payout(payout, idempotency_key=key)

    def find(self, reference: str) -> Payout | None:
        return self.gateway.find_payout_by_reference(reference)


@dataclass
class Providers:
    """The saga's outside parties for one tenant."""

    esign: EsignProvider
    mandate: MandateProvider
    payouts: PayoutProvider

    def close(self) -> None:
        """Close the connections the providers hold."""
        if isinstance(self.payouts, GatewayPayoutProvider):
            self.payouts.gateway.close()
        if isinstance(self.mandate, GatewayMandateProvider):
            self.mandate.gateway.close()


#: our account at the gateway that payouts are made from (not stored with the tenant's gateway account yet;
#: the simulator accepts any)
PAYOUT_ACCOUNT = "2323230000000001"
#: where a demo borrower's money goes when the application names no bank account
DEMO_BENEFICIARY = BankAccount(ifsc="SIMB0000001", account_number="000123456789", name="Demo borrower")


def esign_callback_path(slug: str) -> str:
    """Where the ESP reports a sign request's outcome for a tenant (relative to this server; lending/router.py)."""
    return f"/api/v1/webhooks/esign/{slug}"


def stored_gateway(session: Session, tenant_id: str, settings: Settings) -> PaymentGateway | None:
    """A connector on the tenant's own gateway account (``PUT …/payments/gateway``), if it has one."""
    record = payments.find_settings(session, tenant_id=tenant_id)
    if record is None:
        return None
    try:
        check_provider_url(record.base_url, settings)
        config = gateway_config(record)
    except (UnsafeEndpoint, DecryptionError) as exc:
        raise ProviderNotConfigured(f"the tenant's payment gateway account cannot be used: {exc}") from None
    return PaymentGateway(config)


def stored_payouts(session: Session, tenant_id: str, settings: Settings) -> GatewayPayoutProvider | None:
    """Payouts through the tenant's own gateway account, if it has one."""
    gateway = stored_gateway(session, tenant_id, settings)
    return None if gateway is None else GatewayPayoutProvider(gateway, account_number=PAYOUT_ACCOUNT)


def _sandbox_payouts(tenant_id: str, settings: Settings) -> GatewayPayoutProvider:
    return GatewayPayoutProvider(PaymentGateway(sandbox_config(tenant_id, settings)), account_number=PAYOUT_ACCOUNT)


def default_providers(session: Session, tenant_id: str, settings: Settings | None = None) -> Providers:
    """The tenant's providers.

    Payouts and mandates go through the tenant's stored gateway account; without one, demo/dev use the
    payment simulator's sandbox account on this server. E-sign uses the ESP simulator's sandbox account in
    demo/dev (per-tenant ESP accounts are not stored yet). Anything missing outside demo/dev is refused
    with :class:`ProviderNotConfigured`, which fails the job at once with that message.
    """
    settings = settings or get_settings()
    payouts = stored_payouts(session, tenant_id, settings)
    if payouts is None and not settings.is_dev_like:
        raise ProviderNotConfigured("no payment gateway account is configured for this tenant (PUT …/payments/gateway)")
    if not settings.is_dev_like:
        raise ProviderNotConfigured("no e-sign service account is configured for this tenant")
    tenant = session.get_one(Tenant, tenant_id)
    return Providers(
        esign=HttpEsignProvider(
            base_url=f"{settings.own_base_url}/simulators/esign",
            api_key=SANDBOX_API_KEY,
            webhook_secret=SANDBOX_WEBHOOK_SECRET,
            # the ESP tells us the outcome at once, so the saga moves on without waiting for the sweep
            callback_url=f"{settings.own_base_url}{esign_callback_path(tenant.slug)}",
        ),
        mandate=GatewayMandateProvider(
            stored_gateway(session, tenant_id, settings) or PaymentGateway(sandbox_config(tenant_id, settings))
        ),
        payouts=payouts or _sandbox_payouts(tenant_id, settings),
    )


Factory = Callable[[Session, str], Providers]
_factory: Factory = default_providers


def providers_for(session: Session, tenant_id: str) -> Providers:
    """The providers the saga uses for ``tenant_id``."""
    return _factory(session, tenant_id)


@contextmanager
def use_providers(factory: Factory) -> Iterator[None]:
    """Use ``factory`` for the saga's providers inside the block (tests)."""
    global _factory
    previous, _factory = _factory, factory
    try:
        yield
    finally:
        _factory = previous
