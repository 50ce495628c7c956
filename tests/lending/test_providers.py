"""The saga's providers: the payout through the real connector and simulator (a lost answer reconciled
by reference, one payout), the demo/dev defaults, and a mode without accounts refused clearly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr
from tests.bureaus.helpers import serve
from tests.factories import make_tenant
from tests.lending.fakes import Fakes, drive, new_saga

from creditdesk.config import get_settings
from creditdesk.db import get_database
from creditdesk.kit.resilience import RetryPolicy
from creditdesk.lending import saga as engine
from creditdesk.lending import tasks
from creditdesk.lending.esign_simulator import EsignSimulator, build_esign_app
from creditdesk.lending.providers import (
    GatewayMandateProvider,
    GatewayPayoutProvider,
    HttpEsignProvider,
    ProviderNotConfigured,
    Providers,
    default_providers,
    use_providers,
)
from creditdesk.payments.gateway import GatewayConfig, PaymentGateway
from creditdesk.payments.simulator import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    build_payment_simulator_app,
)
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import PermanentJobError


@pytest.fixture
def simulator() -> Iterator[str]:
    with serve(build_payment_simulator_app(seed=2)) as base:
        yield f"{base}/simulators/payments"


def test_a_lost_payout_answer_at_the_gateway_is_reconciled_into_one_payout(session, simulator):
    config = GatewayConfig(
        base_url=simulator,
        key_id=SANDBOX_KEY_ID,
        key_secret=SecretStr(SANDBOX_KEY_SECRET),
        webhook_secret=SecretStr(SANDBOX_WEBHOOK_SECRET),
    )
    gateway = PaymentGateway(config, retry=RetryPolicy(attempts=2, wait_initial_s=0, wait_max_s=0, jitter_s=0))
    fakes = Fakes()
    payouts = GatewayPayoutProvider(gateway, account_number="2323230000000001")
    providers = Providers(esign=fakes.esign, mandate=fakes.mandate, payouts=payouts)
    saga = new_saga(session)
    # both attempts of the payout call are applied at the gateway, and both answers are lost
    faults = {"lose_answer_next": 2, "hang_ms": 0}
    httpx.put(f"{simulator}/accounts/{SANDBOX_KEY_ID}/faults", json=faults, timeout=5).raise_for_status()

    class Wrapped(Fakes):
        def providers(self, *_: object) -> Providers:
            return providers

    assert drive(session, saga, Wrapped(esign=fakes.esign)) == "completed"
    session.refresh(saga)
    found = httpx.get(
        f"{simulator}/v1/payouts",
        params={"reference_id": saga.id},
        auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET),
        timeout=5,
    ).json()["items"]
    assert len(found) == 1 and found[0]["id"] == saga.payout_id
    assert saga.loan_id is not None
    (step,) = [s for s in engine.steps_of(session, saga) if s.name == "disburse"]
    assert step.attempts == 2 and step.reference == saga.payout_id  # the retry found it by reference
    gateway.close()


def test_demo_and_dev_use_the_simulators_and_production_refuses_without_accounts(session):
    tenant = make_tenant(session, "acme-finance")
    settings = get_settings().model_copy(update={"public_base_url": "http://sim.test:9000"})
    providers = default_providers(session, tenant.id, settings)
    assert isinstance(providers.esign, HttpEsignProvider)
    assert providers.esign.base_url == "http://sim.test:9000/simulators/esign"
    # the ESP calls the tenant's callback, so a signature moves the saga on at once
    assert providers.esign.callback_url == "http://sim.test:9000/api/v1/webhooks/esign/acme-finance"
    assert isinstance(providers.mandate, GatewayMandateProvider)
    assert providers.mandate.gateway.config.base_url == "http://sim.test:9000/simulators/payments"
    assert isinstance(providers.payouts, GatewayPayoutProvider)
    assert providers.payouts.gateway.config.base_url == "http://sim.test:9000/simulators/payments"
    providers.close()
    with pytest.raises(ProviderNotConfigured, match="no payment gateway account"):
        default_providers(session, tenant.id, settings.model_copy(update={"mode": "production"}))


def test_the_mandate_provider_registers_at_the_gateway_pending_until_the_bank_confirms(simulator):
    config = GatewayConfig(
        base_url=simulator,
        key_id=SANDBOX_KEY_ID,
        key_secret=SecretStr(SANDBOX_KEY_SECRET),
        webhook_secret=SecretStr(SANDBOX_WEBHOOK_SECRET),
    )
    faults = {"mandate_confirm_delay_ms": 300}
    httpx.put(f"{simulator}/accounts/{SANDBOX_KEY_ID}/faults", json=faults, timeout=5).raise_for_status()
    mandates = GatewayMandateProvider(PaymentGateway(config))
    assert mandates.find("saga-9:mandate") is None
    made = mandates.register(key="saga-9:mandate", max_amount=Decimal("8884.88"), customer_name="Kavya Nair")
    assert made.status == "pending" and made.umrn and made.max_amount == Decimal("8884.88")
    assert mandates.find("saga-9:mandate") == made  # a lost answer is found by the step's key
    deadline = time.monotonic() + 5
    while mandates.fetch(made.id).status == "pending":
        assert time.monotonic() < deadline, "the sponsor bank never answered"
        time.sleep(0.05)
    assert mandates.fetch(made.id).status == "active"
    mandates.cancel(made.id)
    mandates.cancel(made.id)  # safe to repeat
    assert mandates.fetch(made.id).status == "cancelled"
    mandates.gateway.close()


def test_the_job_fails_for_good_without_provider_accounts(session):
    saga = new_saga(session)

    def refuse(*_: object) -> Providers:
        raise ProviderNotConfigured("no e-sign or payment gateway account is configured for this tenant")

    ctx = JobContext(
        job_id="j",
        kind="lending.saga.advance",
        tenant_id=saga.tenant_id,
        payload={"saga_id": saga.id},
        attempt=1,
        session=session,
        db=get_database(),
        lease_seconds=60,
    )
    with use_providers(refuse), pytest.raises(PermanentJobError, match="no e-sign"):
        tasks.advance(ctx)
    with use_providers(Fakes().providers):
        assert tasks.advance(ctx) == {"status": "waiting"}


def test_the_esign_provider_creates_fetches_and_finds_by_reference():
    sim = EsignSimulator()
    with serve(build_esign_app(sim)) as base:
        esp = HttpEsignProvider(
            base_url=f"{base}/simulators/esign",
            api_key=sim.api_key,
            webhook_secret=sim.webhook_secret,
            callback_url=None,
        )
        assert esp.find("saga-1:esign") is None
        made = esp.create(document_hash="a" * 64, document_name="KFS", signer_name="Asha", reference="saga-1:esign")
        assert made.status == "pending" and made.document_hash == "a" * 64
        assert esp.find("saga-1:esign") == made == esp.fetch(made.id)
