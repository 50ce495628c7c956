"""E-mandates end to end over real HTTP: the app under uvicorn with its mounted gateway simulator.

A mandate is pending until the sponsor bank's webhook confirms it; the EMI due today is presented once
even by two workers at once; a captured debit delivered 5 times, at once and out of order, changes the
loan once; a bounce is recorded with NPCI's reason, levies one bounce charge, and the next day-end
moves the loan to SMA-0 with exactly one ``loan.dpd_changed`` (a rerun emits nothing). SQLite and
PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from contextlib import closing
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import bearer, make_tenant, make_user

from creditdesk.db import get_database, set_tenant_scope
from creditdesk.payments import mandates
from creditdesk.payments.gateway import CustomerCreate, GatewayConfig, PaymentGateway, TokenCreate
from creditdesk.payments.models import GatewayPaymentRecord, MandateDebitRecord
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.payments.simulator.mandates import NACH_RETURNS
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.dayend import BOUNCE_CHARGE, run_day_end
from creditdesk.portfolio.models import Charge, Payment
from creditdesk.portfolio.schedule import add_months
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.models import OutboxEvent


@pytest.fixture
def lender(session: Any, live_app: str) -> dict[str, Any]:
    """A tenant with a loan whose first EMI falls due today, and its gateway account on the app's simulator."""
    tenant = make_tenant(session)
    admin = make_user(session, tenant, "tenant_admin")
    today = clock.today(tenant)
    spec = portfolio.LoanSpec(
        principal=Decimal(100000),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=add_months(today, -1),
        first_due_on=today,
        customer=CustomerIn(name="Kavya Nair"),
    )
    loan_id = portfolio.disburse(session, tenant_id=tenant.id, spec=spec).id
    session.commit()
    api = f"{live_app}/api/v1/tenants/{tenant.slug}"
    sim = f"{live_app}/simulators/payments"
    account = {"key_secret": SANDBOX_KEY_SECRET, "webhook_secret": SANDBOX_WEBHOOK_SECRET}
    r = httpx.put(
        f"{api}/payments/gateway", json={"base_url": sim, "key_id": SANDBOX_KEY_ID, **account}, headers=bearer(admin)
    )
    assert r.status_code == 200, r.text
    hook = {**account, "webhook_url": live_app + r.json()["webhook_path"]}
    assert httpx.put(f"{sim}/accounts/{SANDBOX_KEY_ID}", json=hook).is_success
    config = GatewayConfig(
        tenant_id=tenant.id,
        base_url=sim,
        key_id=SANDBOX_KEY_ID,
        key_secret=SANDBOX_KEY_SECRET,
        webhook_secret=SANDBOX_WEBHOOK_SECRET,
    )
    return {
        "tenant_id": tenant.id,
        "tenant": tenant,
        "admin": admin,
        "loan_id": loan_id,
        "api": api,
        "sim": sim,
        "config": config,
        "today": today,
    }


def _faults(lender: dict[str, Any], **faults: Any) -> None:
    assert httpx.put(f"{lender['sim']}/accounts/{SANDBOX_KEY_ID}/faults", json=faults).is_success


def _register(session: Any, lender: dict[str, Any]) -> str:
    """Register a mandate for the loan at the gateway and record it (pending); its gateway token id."""
    with closing(PaymentGateway(lender["config"])) as gateway:
        customer = gateway.create_customer(CustomerCreate(name="Kavya Nair"))
        reference = f"loan:{lender['loan_id']}"
        token = gateway.create_token(
            TokenCreate(customer_id=customer.id, max_amount=Decimal(20000), reference_id=reference)
        )
    mandates.record(
        session,
        tenant_id=lender["tenant_id"],
        reference=reference,
        state=mandates.state_of(token),
        loan_id=lender["loan_id"],
    )
    session.commit()
    return token.id


def _mandate(lender: dict[str, Any]) -> httpx.Response:
    return httpx.get(f"{lender['api']}/loans/{lender['loan_id']}/mandate", headers=bearer(lender["admin"]))


def _wait(predicate: Any, what: str, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = predicate()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _active(session: Any, lender: dict[str, Any]) -> None:
    _register(session, lender)
    _wait(lambda: _mandate(lender).json()["status"] == "active", "the mandate to be confirmed")


def _present_twice_at_once(lender: dict[str, Any]) -> list[dict[str, int]]:
    """Two workers run the presentation job for the tenant at the same moment, each in its own transaction."""
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with get_database().session() as session, closing(PaymentGateway(lender["config"])) as gateway:
            barrier.wait()  # both start together (on SQLite the first to begin holds the write lock)
            session.begin()
            set_tenant_scope(session, lender["tenant_id"])
            tenant = session.get_one(Tenant, lender["tenant_id"])
            results.append(
                mandates.present_due(
                    session, tenant=tenant, gateway=gateway, today=lender["today"], checkpoint=session.commit
                )
            )
            session.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    return results


def _deliveries(lender: dict[str, Any], event: str, count: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        items = httpx.get(f"{lender['sim']}/accounts/{SANDBOX_KEY_ID}/webhook_deliveries").json()["items"]
        mine = [d for d in items if d["event"] == event]
        return mine if len(mine) >= count else None

    return _wait(found, f"{count} {event} deliveries")


def _rows(model: Any, tenant_id: str, *where: Any) -> list[Any]:
    """The tenant's rows, read in a fresh read-only session (on SQLite a writing one would hold the write lock)."""
    with get_database().session(read_only=True) as reader:
        return list(reader.execute(select(model).where(model.tenant_id == tenant_id, *where)).scalars())


def _events(tenant_id: str, kind: str) -> list[OutboxEvent]:
    return _rows(OutboxEvent, tenant_id, OutboxEvent.kind == kind)


def _debits(tenant_id: str) -> list[MandateDebitRecord]:
    return _rows(MandateDebitRecord, tenant_id)


def test_a_mandate_is_pending_until_the_sponsor_banks_webhook_confirms_it(session, lender):
    _faults(lender, mandate_confirm_delay_ms=700)
    assert _mandate(lender).status_code == 404  # no mandate yet
    token_id = _register(session, lender)
    pending = _mandate(lender).json()
    assert pending["status"] == "pending" and pending["umrn"] and Decimal(pending["max_amount"]) == 20000
    assert set(pending) == {"id", "status", "umrn", "max_amount", "registered_at", "debits"}
    assert len(pending["debits"]) == 12 and pending["debits"][0]["due_date"] == lender["today"].isoformat()
    assert {d["status"] for d in pending["debits"]} == {"scheduled"}
    assert set(pending["debits"][0]) == {"due_date", "amount", "status", "reason_code", "reason"}
    confirmed = _deliveries(lender, "token.confirmed", 1)
    assert confirmed[0]["status_code"] == 200
    active = _mandate(lender).json()
    assert active["status"] == "active" and active["umrn"] == pending["umrn"] and active["id"] == pending["id"]
    with closing(PaymentGateway(lender["config"])) as gateway:
        assert gateway.fetch_token(token_id).status == "confirmed"


def test_a_confirmation_that_beats_the_registrations_commit_is_delivered_again(session, lender):
    """The sponsor bank answered before our transaction recording the registration committed: the webhook is
    refused (409, nothing changed), the gateway delivers it again, and the retry activates the mandate."""
    _faults(lender, mandate_confirm_delay_ms=0, webhook_retry_ms=400)
    with closing(PaymentGateway(lender["config"])) as gateway:
        customer = gateway.create_customer(CustomerCreate(name="Kavya Nair"))
        reference = f"loan:{lender['loan_id']}"
        token = gateway.create_token(
            TokenCreate(customer_id=customer.id, max_amount=Decimal(20000), reference_id=reference)
        )
    first = _deliveries(lender, "token.confirmed", 1)[0]
    assert first["status_code"] == 409
    mandates.record(
        session,
        tenant_id=lender["tenant_id"],
        reference=reference,
        state=mandates.state_of(token),
        loan_id=lender["loan_id"],
    )
    session.commit()
    _wait(lambda: _mandate(lender).json()["status"] == "active", "the mandate to be confirmed by the retry")
    statuses = [d["status_code"] for d in _deliveries(lender, "token.confirmed", 2)]
    assert statuses[0] == 409 and statuses[-1] == 200


def test_a_rejected_mandate_is_recorded_with_the_banks_reason(session, lender):
    _faults(lender, mandate_rejection_rate=1.0)
    _register(session, lender)
    _wait(lambda: _mandate(lender).json()["status"] == "rejected", "the rejection")
    assert _deliveries(lender, "token.rejected", 1)[0]["status_code"] == 200


def test_two_workers_present_todays_emi_once_and_its_captured_webhook_changes_the_loan_once(session, lender):
    _active(session, lender)
    _faults(lender, webhook_duplicates=5, webhook_concurrency=5, webhook_order="shuffle")
    results = _present_twice_at_once(lender)
    assert sorted(r["claimed"] for r in results) == [0, 1]  # one claim for the one instalment due
    captured = _deliveries(lender, "payment.captured", 5)
    assert len({d["event_id"] for d in captured}) == 1  # one debit at the gateway, its event delivered 5 times
    assert {d["status_code"] for d in captured} == {200}
    tenant_id = lender["tenant_id"]
    debits = _wait(lambda: [d for d in _debits(tenant_id) if d.status == "paid"], "the debit to be paid")
    assert len(_debits(tenant_id)) == 1 and debits[0].instalment_seq == 1
    payments = _rows(Payment, tenant_id)
    assert len(payments) == 1 and payments[0].channel == "nach" and payments[0].amount == debits[0].amount
    assert payments[0].reference == f"gw:{debits[0].gateway_payment_id}"
    claimed = _rows(GatewayPaymentRecord, tenant_id)
    assert [c.status for c in claimed] == ["applied"]
    assert len(_events(tenant_id, "payment.received")) == 1
    shown = _mandate(lender).json()["debits"]
    assert shown[0]["status"] == "paid" and {d["status"] for d in shown[1:]} == {"scheduled"}
    # a rerun the same day finds the instalment paid and claimed: nothing new at the gateway
    assert _present_twice_at_once(lender) == [{"claimed": 0, "presented": 0}] * 2
    assert len(_debits(tenant_id)) == 1


def test_a_bounce_is_charged_once_and_the_next_day_end_moves_the_loan_to_sma_0_once(session, lender):
    tenant_id, today = lender["tenant_id"], lender["today"]
    _active(session, lender)
    tenant = session.get_one(Tenant, tenant_id)
    assert run_day_end(session, tenant=tenant, as_of=today - timedelta(days=1)).changed == []  # standard
    session.commit()
    _faults(lender, debit_bounce_rate=1.0, webhook_duplicates=5, webhook_concurrency=5, webhook_order="reverse")
    _present_twice_at_once(lender)
    failed = _deliveries(lender, "payment.failed", 5)
    assert {d["status_code"] for d in failed} == {200}
    bounced = _wait(lambda: [d for d in _debits(tenant_id) if d.status == "bounced"], "the bounce")
    assert bounced[0].reason_code in NACH_RETURNS and bounced[0].reason == NACH_RETURNS[bounced[0].reason_code]
    charges = _rows(Charge, tenant_id)
    assert [(c.kind, c.amount, c.levied_on, c.loan_id) for c in charges] == [
        ("bounce", BOUNCE_CHARGE, today, lender["loan_id"])
    ]
    assert _rows(Payment, tenant_id) == []
    shown = _mandate(lender).json()["debits"][0]
    assert shown["status"] == "bounced" and shown["reason_code"] == bounced[0].reason_code and shown["reason"]
    # the next day-end: the EMI due today is unpaid at its day-end → DPD 1, SMA-0, one event
    session.expire_all()
    first = run_day_end(session, tenant=session.get_one(Tenant, tenant_id), as_of=today)
    session.commit()
    assert first.changed == [lender["loan_id"]]
    (event,) = _events(tenant_id, "loan.dpd_changed")
    assert event.payload == {
        "loan_id": lender["loan_id"],
        "previous_dpd": 0,
        "dpd": 1,
        "previous_bucket": "current",
        "bucket": "1-30",
        "previous_asset_class": "standard",
        "asset_class": "sma_0",
        "as_of": today.isoformat(),
    }
    again = run_day_end(session, tenant=session.get_one(Tenant, tenant_id), as_of=today)
    session.commit()
    assert again.changed == [] and len(_events(tenant_id, "loan.dpd_changed")) == 1
    detail = portfolio.loan_detail(
        session, tenant=session.get_one(Tenant, tenant_id), loan_id=lender["loan_id"], as_of=today
    )
    assert detail["asset_class"] == "sma_0" and detail["dpd"] == 1


def test_the_mandate_route_is_tenant_scoped_and_needs_portfolio_read(session, lender):
    _register(session, lender)
    other = make_tenant(session)
    stranger = make_user(session, other, "tenant_admin")
    officer = make_user(session, lender["tenant"], "field_officer")
    auditor = make_user(session, lender["tenant"], "auditor")
    session.commit()
    url = f"{lender['api']}/loans/{lender['loan_id']}/mandate"
    assert httpx.get(url, headers=bearer(auditor)).status_code == 200
    assert httpx.get(url, headers=bearer(officer)).status_code == 403
    assert httpx.get(url, headers=bearer(stranger)).status_code == 404  # another tenant's: existence never leaks
    elsewhere = f"{lender['api'].rsplit('/', 1)[0]}/{other.slug}/loans/{lender['loan_id']}/mandate"
    missing = httpx.get(elsewhere, headers=bearer(stranger))
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    assert httpx.get(f"{lender['api']}/loans/nope/mandate", headers=bearer(auditor)).status_code == 404
