"""The saga's mandate step over real HTTP: the app under uvicorn (its worker running), the payment simulator
mounted in it as the tenant's gateway. The mandate is registered pending; the saga waits; the sponsor bank's
webhook (after the simulated delay) runs it forward — to the payout when confirmed, to a full compensation
(never a payout) when rejected. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.bureaus.helpers import serve
from tests.factories import bearer, make_user
from tests.lending.fakes import Fakes, drive, new_saga

from creditdesk.audit import service as audit
from creditdesk.config import get_settings
from creditdesk.db import get_database
from creditdesk.lending import tasks as lending_tasks
from creditdesk.lending.models import Saga, SagaStep
from creditdesk.lending.providers import GatewayMandateProvider, Providers, stored_gateway, use_providers
from creditdesk.payments import service as payments
from creditdesk.payments.models import MandateRecord
from creditdesk.payments.schemas import GatewaySettingsUpdate
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.context import JobContext


@pytest.fixture
def live_api(app: Any) -> Iterator[str]:
    """The whole app on a real socket, with its in-process worker and its mounted payment simulator."""
    with serve(app, lifespan="on") as base:
        yield base


class OverTheGateway(Fakes):
    """The borrower's e-sign and the payout stay fakes; the mandate goes to the tenant's gateway over HTTP."""

    def providers(self, session: Session | None = None, tenant_id: str | None = None) -> Providers:
        assert session is not None and tenant_id is not None
        gateway = stored_gateway(session, tenant_id, get_settings())
        assert gateway is not None, "the tenant's gateway account is used"
        return Providers(esign=self.esign, mandate=GatewayMandateProvider(gateway), payouts=self.payouts)


def _tenant_on_the_gateway(session: Session, base: str, **faults: Any) -> Saga:
    saga = new_saga(session)
    tenant = session.get_one(Tenant, saga.tenant_id)
    sim = f"{base}/simulators/payments"
    account = GatewaySettingsUpdate.model_validate(
        {
            "base_url": sim,
            "key_id": SANDBOX_KEY_ID,
            "key_secret": SANDBOX_KEY_SECRET,
            "webhook_secret": SANDBOX_WEBHOOK_SECRET,
        }
    )
    payments.update_settings(session, tenant=tenant, data=account, actor=audit.SYSTEM)
    hook = {
        "key_secret": SANDBOX_KEY_SECRET,
        "webhook_secret": SANDBOX_WEBHOOK_SECRET,
        "webhook_url": base + payments.webhook_path(tenant.slug),
    }
    session.commit()
    assert httpx.put(f"{sim}/accounts/{SANDBOX_KEY_ID}", json=hook).is_success
    assert httpx.put(f"{sim}/accounts/{SANDBOX_KEY_ID}/faults", json=faults).is_success
    return saga


def _read(fn: Callable[[Session], Any]) -> Any:
    with get_database().session(read_only=True) as reader:
        return fn(reader)


def _wait_for(saga_id: str, statuses: set[str]) -> Saga:
    deadline = time.monotonic() + 30
    while True:
        found: Saga = _read(lambda s: s.get_one(Saga, saga_id))
        if found.status in statuses:
            return found
        assert time.monotonic() < deadline, f"the saga stayed {found.status}: {found.error}"
        time.sleep(0.1)


def _mandate_row(tenant_id: str) -> MandateRecord:
    rows = _read(lambda s: list(s.execute(select(MandateRecord).where(MandateRecord.tenant_id == tenant_id)).scalars()))
    assert len(rows) == 1
    return rows[0]


def _run_to_the_mandate(session: Session, saga: Saga, fakes: OverTheGateway) -> None:
    """The worker's first runs: sanction, KFS accepted, agreement signed, mandate registered — then it waits."""
    tenant_id = saga.tenant_id

    class Bound(OverTheGateway):
        def providers(self, *_: object) -> Providers:
            return fakes.providers(session, tenant_id)

    assert drive(session, saga, Bound(esign=fakes.esign, payouts=fakes.payouts), rounds=3) == "waiting"
    session.refresh(saga)
    steps = {s.name: s.status for s in session.execute(select(SagaStep).where(SagaStep.saga_id == saga.id)).scalars()}
    assert steps["esign"] == "completed" and steps["mandate"] == "waiting" and steps["disburse"] == "pending"
    assert saga.mandate_status == "pending" and fakes.payouts.made == {}
    session.commit()


def test_a_pending_mandate_waits_for_the_banks_webhook_then_the_saga_pays_out(session, live_api):
    saga = _tenant_on_the_gateway(session, live_api, mandate_confirm_delay_ms=1500)
    saga_id, tenant_id = saga.id, saga.tenant_id
    fakes = OverTheGateway()
    with use_providers(fakes.providers):
        _run_to_the_mandate(session, saga, fakes)
        pending = _mandate_row(tenant_id)
        assert pending.status == "pending" and pending.umrn and pending.application_id == saga.application_id
        done = _wait_for(saga_id, {"completed", "compensated", "failed"})
    assert done.status == "completed", done.error
    assert len(fakes.payouts.made) == 1 and done.payout_id and done.loan_id
    active = _mandate_row(tenant_id)
    assert active.status == "active" and active.gateway_token_id == done.mandate_id
    # the loan booked from the application shows its mandate
    tenant = session.get_one(Tenant, tenant_id)
    reader = make_user(session, tenant, "auditor")
    session.commit()
    shown = httpx.get(
        f"{live_api}/api/v1/tenants/{tenant.slug}/loans/{done.loan_id}/mandate", headers=bearer(reader)
    ).json()
    assert shown["status"] == "active" and shown["umrn"] == active.umrn and len(shown["debits"]) == 12


def test_a_rejected_mandate_compensates_the_saga_and_nothing_is_paid_out(session, live_api):
    saga = _tenant_on_the_gateway(session, live_api, mandate_confirm_delay_ms=800, mandate_rejection_rate=1.0)
    saga_id, tenant_id = saga.id, saga.tenant_id
    fakes = OverTheGateway()
    with use_providers(fakes.providers):
        _run_to_the_mandate(session, saga, fakes)
        done = _wait_for(saga_id, {"completed", "compensated", "failed"})
    assert done.status == "compensated" and done.payout_id is None and fakes.payouts.made == {}
    assert done.sanction_status == "void" and done.kfs_status == "expired" and done.agreement_status == "void"
    assert done.error and "rejected" in done.error
    rejected = _mandate_row(tenant_id)
    assert rejected.status == "rejected" and rejected.status_reason


def test_a_lost_confirmation_webhook_is_made_up_for_by_the_hourly_sweep(session, live_api):
    saga = _tenant_on_the_gateway(session, live_api, mandate_confirm_delay_ms=200)
    saga_id, tenant_id = saga.id, saga.tenant_id
    lost = {"key_secret": SANDBOX_KEY_SECRET, "webhook_secret": SANDBOX_WEBHOOK_SECRET, "webhook_url": None}
    assert httpx.put(f"{live_api}/simulators/payments/accounts/{SANDBOX_KEY_ID}", json=lost).is_success
    fakes = OverTheGateway()
    with use_providers(fakes.providers):
        _run_to_the_mandate(session, saga, fakes)
        token_id = saga.mandate_id
        assert token_id is not None
        auth = (SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)
        token_url = f"{live_api}/simulators/payments/v1/tokens/{token_id}"
        deadline = time.monotonic() + 10
        while httpx.get(token_url, auth=auth).json()["status"] != "confirmed":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert _read(lambda s: s.get_one(Saga, saga_id)).status == "waiting"  # nobody told us
        ctx = JobContext(
            job_id="sweep",
            kind="lending.saga.sweep_timeouts",
            tenant_id=tenant_id,
            payload={"period": "2026-03-31T10"},
            attempt=1,
            session=session,
            db=get_database(),
            lease_seconds=60,
        )
        assert lending_tasks.sweep(ctx) == {"sagas": 0, "mandates_looked_up": 1}
        session.commit()  # the saga's next run is sent to the worker
        done = _wait_for(saga_id, {"completed", "compensated", "failed"})
    assert done.status == "completed", done.error
    assert len(fakes.payouts.made) == 1 and _mandate_row(tenant_id).status == "active"
