"""The connector against the live simulated gateway: links, webhooks, payouts, refunds, faults, auth."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from tests.payments.conftest import Live

from creditdesk.payments.errors import (
    GatewayAuthError,
    GatewayNotFound,
    GatewayRejected,
    GatewayUnavailable,
    WebhookSignatureInvalid,
)
from creditdesk.payments.gateway import (
    BankAccount,
    Customer,
    FundAccount,
    OrderCreate,
    Payment,
    PaymentLink,
    PaymentLinkCreate,
    Payout,
    PayoutCreate,
    RefundCreate,
    UpiCollectCreate,
    verify_webhook,
)
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_WEBHOOK_SECRET
from creditdesk.payments.wire import SIGNATURE_HEADER, from_paise, to_paise

BANK = FundAccount(
    account_type="bank_account", bank_account=BankAccount(ifsc="HDFC0000001", account_number="50100123", name="Asha")
)


def _payout(reference: str = "saga-1", amount: str = "25000.00") -> PayoutCreate:
    return PayoutCreate(
        amount=Decimal(amount), account_number="2323230000001", fund_account=BANK, reference_id=reference
    )


def test_paise_conversion_is_exact() -> None:
    assert to_paise(Decimal("1234.56")) == 123456
    assert from_paise(123456) == Decimal("1234.56")
    with pytest.raises(ValueError, match="fraction of a paisa"):
        to_paise(Decimal("1.005"))


def test_link_paid_by_the_borrower_sends_signed_webhooks(live: Live) -> None:
    gateway = live.gateway()
    link = gateway.create_payment_link(
        PaymentLinkCreate(amount=Decimal("4500.50"), reference_id="loan-1-emi-3", customer=Customer(name="Asha"))
    )
    assert link.id.startswith("plink_") and link.status == "created" and link.amount == Decimal("4500.50")
    paid = httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={"method": "upi", "vpa": "asha@okbank"})
    assert paid.status_code == 200 and paid.json()["status"] == "captured"
    assert paid.json()["amount"] == 450050  # paise on the wire
    hooks = live.received.wait_for(2)
    events = [
        verify_webhook(body, headers[SIGNATURE_HEADER.lower()], SANDBOX_WEBHOOK_SECRET) for body, headers in hooks
    ]
    assert [e.event for e in events] == ["payment.captured", "payment_link.paid"]
    payment = events[0].entity("payment", Payment)
    assert payment is not None and payment.id.startswith("pay_") and payment.amount == Decimal("4500.50")
    assert payment.payment_link_id == link.id and payment.vpa == "asha@okbank"
    paid_link = events[1].entity("payment_link", PaymentLink)
    assert paid_link is not None and paid_link.status == "paid"
    assert events[1].entity("payout", Payout) is None
    assert hooks[0][1]["x-gateway-event-id"] == events[0].id
    assert gateway.fetch_payment_link(link.id).status == "paid"
    assert gateway.fetch_payment(payment.id).status == "captured"
    # a paid link is paid no more, and cannot be cancelled
    assert httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={}).status_code == 400
    with pytest.raises(GatewayRejected):
        gateway.cancel_payment_link(link.id)


def test_a_wrong_webhook_secret_or_tampered_body_fails_verification(live: Live) -> None:
    gateway = live.gateway()
    link = gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("100")))
    httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={"method": "card", "outcome": "failure"})
    body, headers = live.received.wait_for(1)[0]
    signature = headers["x-gateway-signature"]
    assert verify_webhook(body, signature, SANDBOX_WEBHOOK_SECRET).event == "payment.failed"
    with pytest.raises(WebhookSignatureInvalid):
        verify_webhook(body, signature, "another-webhook-secret")
    with pytest.raises(WebhookSignatureInvalid):
        verify_webhook(body.replace(b"failed", b"captured"), signature, SANDBOX_WEBHOOK_SECRET)
    with pytest.raises(WebhookSignatureInvalid):
        verify_webhook(body, None, SANDBOX_WEBHOOK_SECRET)
    assert gateway.fetch_payment_link(link.id).status == "created"  # a failed payment leaves it payable


def test_a_wrong_key_secret_is_refused_401(live: Live) -> None:
    with pytest.raises(GatewayAuthError):
        live.gateway(secret="not-the-secret").create_order(OrderCreate(amount=Decimal("10")))
    r = httpx.post(f"{live.base}/v1/orders", json={"amount": 1000}, auth=(SANDBOX_KEY_ID, "wrong"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
    assert httpx.get(f"{live.base}/v1/orders/order_x").status_code == 401  # no credentials at all
    assert live.sim.accounts[SANDBOX_KEY_ID].orders == {}


def test_payout_is_made_once_per_idempotency_key(live: Live) -> None:
    gateway = live.gateway()
    first = gateway.create_payout(_payout(), idempotency_key="saga-1")
    again = gateway.create_payout(_payout(), idempotency_key="saga-1")
    assert first.id == again.id and first.id.startswith("pout_") and first.status == "processing"
    assert again.status == "processed" and again.utr
    with pytest.raises(GatewayRejected, match="different request body"):
        gateway.create_payout(_payout(amount="1.00"), idempotency_key="saga-1")
    assert len(live.sim.accounts[SANDBOX_KEY_ID].payouts) == 1
    hooks = live.received.wait_for(1)
    assert [json.loads(body)["event"] for body, _ in hooks] == ["payout.processed"]


def test_ten_concurrent_payouts_with_one_key_make_one_payout(live: Live) -> None:
    gateway = live.gateway()
    start = threading.Barrier(10)

    def pay(_: int) -> str:
        start.wait()
        return gateway.create_payout(_payout("saga-c"), idempotency_key="saga-c").id

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(pay, range(10)))
    assert len(ids) == 1
    assert len(live.sim.accounts[SANDBOX_KEY_ID].payouts) == 1


def test_a_lost_payout_answer_is_reconciled_by_reference(live: Live) -> None:
    gateway = live.gateway(attempts=2)
    live.faults(lose_answer_next=2)  # applied, then 504 — twice: the retry's answer is lost too
    with pytest.raises(GatewayUnavailable):
        gateway.create_payout(_payout("saga-lost"), idempotency_key="saga-lost")
    found = gateway.find_payout_by_reference("saga-lost")
    assert found is not None and found.status == "processed" and found.reference_id == "saga-lost"
    assert gateway.create_payout(_payout("saga-lost"), idempotency_key="saga-lost").id == found.id
    assert len(live.sim.accounts[SANDBOX_KEY_ID].payouts) == 1
    assert gateway.find_payout_by_reference("never-made") is None
    assert gateway.fetch_payout(found.id).id == found.id


def test_a_timed_out_answer_is_reconciled_the_same_way(live: Live) -> None:
    gateway = live.gateway(attempts=1, timeout_ms=300)
    live.faults(hang_ms=1500)
    with pytest.raises(GatewayUnavailable, match="did not answer"):
        gateway.create_payout(_payout("saga-slow"), idempotency_key="saga-slow")
    live.faults()
    found = gateway.find_payout_by_reference("saga-slow")
    assert found is not None


def test_5xx_is_retried_for_idempotent_calls_only(live: Live) -> None:
    gateway = live.gateway(attempts=3)
    order = gateway.create_order(OrderCreate(amount=Decimal("999.99"), receipt="r-1"))
    account = live.sim.accounts[SANDBOX_KEY_ID]
    live.faults(fail_next=2)
    before = account.request_count
    assert gateway.fetch_order(order.id).amount == Decimal("999.99")  # two 503s, then the answer
    assert account.request_count - before == 3
    live.faults(fail_next=1)
    before = account.request_count
    with pytest.raises(GatewayUnavailable, match="503"):
        gateway.create_order(OrderCreate(amount=Decimal("5")))  # not blindly sent again
    assert account.request_count - before == 1
    assert len(account.orders) == 1
    live.faults(fail_next=1)
    assert gateway.create_payout(_payout("saga-r"), idempotency_key="saga-r").status == "processing"
    assert len(account.payouts) == 1


def test_duplicate_and_out_of_order_webhooks_are_produced_as_configured(live: Live) -> None:
    gateway = live.gateway()
    live.faults(webhook_duplicates=3, webhook_order="reverse")
    link = gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("250")))
    httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={"method": "netbanking"})
    live.received.wait_for(6)
    names = [e["event"] for e in live.received.events()]
    assert names == ["payment_link.paid"] * 3 + ["payment.captured"] * 3
    assert len({e["id"] for e in live.received.events()}) == 2  # duplicates share the event id
    deliveries = httpx.get(f"{live.base}/accounts/{SANDBOX_KEY_ID}/webhook_deliveries").json()
    assert deliveries["count"] == 6 and {d["status_code"] for d in deliveries["items"]} == {200}


def test_fault_headers_override_per_request(live: Live) -> None:
    gateway = live.gateway()
    link = gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("300"), accept_partial=True))
    headers = {"X-Sim-Webhook-Duplicates": "5", "X-Sim-Webhook-Concurrency": "5", "X-Sim-Latency-Ms": "50"}
    r = httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={"amount": 10000}, headers=headers)
    assert r.status_code == 200
    live.received.wait_for(10)
    names = sorted(e["event"] for e in live.received.events())
    assert names == ["payment.captured"] * 5 + ["payment_link.partially_paid"] * 5
    assert httpx.get(f"{live.base}/v1/orders/x", headers={"X-Sim-Fault": "502"}).status_code == 401
    auth = (SANDBOX_KEY_ID, "sim-sandbox-key-secret-0001")
    assert httpx.get(f"{live.base}/v1/orders/x", headers={"X-Sim-Fault": "502"}, auth=auth).status_code == 502
    lost = httpx.post(f"{live.base}/v1/orders", json={"amount": 500}, headers={"X-Sim-Fault": "lose-answer"}, auth=auth)
    assert lost.status_code == 504 and len(live.sim.accounts[SANDBOX_KEY_ID].orders) == 1
    bad = httpx.get(f"{live.base}/v1/orders/x", headers={"X-Sim-Webhook-Order": "sideways"}, auth=auth)
    assert bad.status_code == 400


def test_upi_collect_on_an_order_and_refunds(live: Live) -> None:
    gateway = live.gateway()
    order = gateway.create_order(OrderCreate(amount=Decimal("1200")))
    assert order.id.startswith("order_") and order.status == "created"
    declined = gateway.create_upi_collect(UpiCollectCreate(vpa="ravi@upi", order_id=order.id))
    assert declined.status == "created" and declined.amount == Decimal("1200.00")
    r = httpx.post(f"{live.base}/v1/payments/{declined.id}/upi/respond", json={"approve": False})
    assert r.json()["status"] == "failed" and r.json()["error_code"]
    assert gateway.fetch_order(order.id).status == "attempted"
    collect = gateway.create_upi_collect(UpiCollectCreate(vpa="ravi@upi", order_id=order.id))
    httpx.post(f"{live.base}/v1/payments/{collect.id}/upi/respond", json={})
    paid = gateway.fetch_order(order.id)
    assert paid.status == "paid" and paid.amount_due == 0 and paid.attempts == 2
    part = gateway.create_refund(collect.id, RefundCreate(amount=Decimal("200")))
    assert part.id.startswith("rfnd_") and part.status == "processed" and part.amount == Decimal("200.00")
    rest = gateway.create_refund(collect.id, RefundCreate())
    assert rest.amount == Decimal("1000.00") and gateway.fetch_refund(rest.id).payment_id == collect.id
    with pytest.raises(GatewayRejected):
        gateway.create_refund(collect.id, RefundCreate())
    with pytest.raises(GatewayRejected):
        gateway.create_refund(declined.id, RefundCreate())
    assert gateway.fetch_payment(collect.id).amount_refunded == Decimal("1200.00")
    live.received.wait_for(5)
    names = sorted(e["event"] for e in live.received.events())  # each call's webhooks are sent after its answer:
    # two calls' deliveries may overtake each other
    assert names == sorted(["payment.failed", "payment.captured", "order.paid", "refund.processed", "refund.processed"])
    with pytest.raises(GatewayNotFound):
        gateway.fetch_order("order_missing")


def test_links_cancel_and_expire(live: Live) -> None:
    gateway = live.gateway()
    link = gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("100")))
    assert gateway.cancel_payment_link(link.id).status == "cancelled"
    assert gateway.cancel_payment_link(link.id).status == "cancelled"  # safe to repeat
    assert httpx.post(f"{live.base}/v1/payment_links/{link.id}/pay", json={}).status_code == 400
    now = live.sim.now()
    soon = gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("100"), expire_by=now + 1))
    live.sim.now = lambda: now + 5
    live.sim.accounts[SANDBOX_KEY_ID].now = live.sim.now
    assert gateway.fetch_payment_link(soon.id).status == "expired"
    with pytest.raises(GatewayRejected):
        gateway.create_payment_link(PaymentLinkCreate(amount=Decimal("100"), expire_by=now))


def test_ids_are_deterministic_per_seed(live: Live) -> None:
    gateway = live.gateway()
    first = gateway.create_order(OrderCreate(amount=Decimal("1"))).id
    assert first == live.gateway().fetch_order(first).id
    r = httpx.put(f"{live.base}/accounts/key_test_other", json={"key_secret": "other-secret-1"})
    assert r.status_code == 200
    auth = ("key_test_other", "other-secret-1")
    other = httpx.post(f"{live.base}/v1/orders", json={"amount": 100}, auth=auth).json()["id"]
    assert other != first  # another account, another stream
    assert httpx.get(f"{live.base}/v1/orders/{first}", auth=auth).status_code == 404  # state per key id
