"""The simulator on its own: mounted in dev mode, deterministic ids per seed, its refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, build_payment_simulator_app

AUTH = (SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)


def test_dev_mode_mounts_the_gateway_beside_the_bureaus(client) -> None:  # type: ignore[no-untyped-def]
    kit = client.get("/simulators/payments/sandbox-credentials").json()
    assert kit["key_id"] == SANDBOX_KEY_ID and kit["endpoint_url"].endswith("/simulators/payments")
    order = client.post("/simulators/payments/v1/orders", json={"amount": 50000}, auth=AUTH)
    assert order.status_code == 200 and order.json()["id"].startswith("order_")
    assert "/simulators/payments/v1/orders" not in client.get("/openapi.json").json()["paths"]


def _first_ids(seed: int) -> list[str]:
    with TestClient(build_payment_simulator_app(seed=seed)) as sim:
        order = sim.post("/simulators/payments/v1/orders", json={"amount": 100}, auth=AUTH).json()["id"]
        link = sim.post("/simulators/payments/v1/payment_links", json={"amount": 100}, auth=AUTH).json()["id"]
        return [order, link]


def test_ids_are_the_same_for_the_same_seed() -> None:
    assert _first_ids(3) == _first_ids(3)
    assert _first_ids(3) != _first_ids(4)


def test_refusals_use_the_gateway_error_shape() -> None:
    with TestClient(build_payment_simulator_app()) as sim:
        base = "/simulators/payments"
        cases = [
            ("POST", "/v1/orders", {"amount": 99}, 400),
            ("POST", "/v1/orders", {"amount": 1000, "currency": "USD"}, 400),
            ("POST", "/v1/orders", {"amount": 1000, "notes": ["x"]}, 400),
            ("POST", "/v1/payouts", {"amount": 1000}, 400),  # no idempotency header
            ("POST", "/v1/payments/upi/collect", {"vpa": "nobody"}, 400),
            ("POST", "/v1/payments/upi/collect", {"vpa": "a@b", "order_id": "order_none"}, 404),
            ("POST", "/v1/payments/pay_none/refund", {}, 404),
            ("POST", "/v1/payment_links/plink_none/cancel", {}, 404),
            ("POST", "/v1/payment_links", {"amount": 1000, "customer": "x"}, 400),
            ("GET", "/v1/refunds/rfnd_none", None, 404),
        ]
        for method, path, body, status in cases:
            r = sim.request(method, base + path, json=body, auth=AUTH)
            assert r.status_code == status, (path, r.text)
            assert set(r.json()["error"]) == {"code", "description", "field"}
        assert sim.post(f"{base}/v1/orders", content=b"{not json", auth=AUTH).status_code == 400
        assert sim.post(f"{base}/v1/orders", json=[1], auth=AUTH).status_code == 400
        assert sim.post(f"{base}/v1/orders", headers={"Authorization": "Basic %%%"}).status_code == 401
        assert sim.post(f"{base}/v1/payment_links/plink_none/pay", json={}).status_code == 404
        assert sim.post(f"{base}/v1/payments/pay_none/upi/respond", json={}).status_code == 404
        headers = {"X-Payout-Idempotency": "k1"}
        payout = {
            "amount": 1000,
            "account_number": "1",
            "fund_account": {"account_type": "vpa", "vpa": {"address": "x"}},
        }
        assert sim.post(f"{base}/v1/payouts", json=payout, headers=headers, auth=AUTH).status_code == 400
        payout["fund_account"] = {"account_type": "vpa", "vpa": {"address": "asha@upi"}}
        payout["mode"] = "CASH"
        assert sim.post(f"{base}/v1/payouts", json=payout, headers=headers, auth=AUTH).status_code == 400
        payout["mode"] = "UPI"
        made = sim.post(f"{base}/v1/payouts", json=payout, headers=headers, auth=AUTH).json()
        assert made["fund_account"]["vpa"]["address"] == "asha@upi"
        assert sim.get(f"{base}/accounts/key_nobody/faults").status_code == 404
        assert sim.put(f"{base}/accounts/key_nobody/faults", json={}).status_code == 404
        assert sim.get(f"{base}/accounts/key_nobody/webhook_deliveries").status_code == 404
        assert sim.get(f"{base}/accounts/{SANDBOX_KEY_ID}/faults").json()["webhook_duplicates"] == 1
        assert sim.put(f"{base}/accounts/{SANDBOX_KEY_ID}/faults", json={"error_rate": 2}).status_code == 422


def test_reversed_payouts_and_an_error_rate() -> None:
    with TestClient(build_payment_simulator_app()) as sim:
        base = "/simulators/payments"
        setup = {"key_secret": SANDBOX_KEY_SECRET, "payout_outcome": "reversed"}
        assert sim.put(f"{base}/accounts/{SANDBOX_KEY_ID}", json=setup).status_code == 200
        payout = {
            "amount": 1000,
            "account_number": "1",
            "reference_id": "r",
            "fund_account": {
                "account_type": "bank_account",
                "bank_account": {"ifsc": "X", "account_number": "1", "name": "A"},
            },
        }
        made = sim.post(f"{base}/v1/payouts", json=payout, headers={"X-Payout-Idempotency": "k"}, auth=AUTH).json()
        fetched = sim.get(f"{base}/v1/payouts/{made['id']}", auth=AUTH).json()
        assert fetched["status"] == "reversed" and fetched["failure_reason"]
        assert sim.get(f"{base}/v1/payouts", auth=AUTH).json()["count"] == 1
        sim.put(f"{base}/accounts/{SANDBOX_KEY_ID}/faults", json={"error_rate": 1.0, "error_status": 500})
        assert sim.get(f"{base}/v1/payouts", auth=AUTH).status_code == 500
