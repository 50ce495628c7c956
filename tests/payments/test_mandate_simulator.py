"""The simulator's e-mandates on their own: deterministic outcomes per seed and identifier, the refusals,
one debit per receipt, and NPCI's return reasons (in-process, no database)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, build_payment_simulator_app
from creditdesk.payments.simulator.mandates import NACH_RETURNS, UPI_RETURNS

AUTH = (SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)
BASE = "/simulators/payments"


def _confirmed_token(sim: TestClient, method: str = "emandate", reference: str = "ref-1") -> dict[str, Any]:
    customer = sim.post(f"{BASE}/v1/customers", json={"name": "Asha"}, auth=AUTH).json()
    body = {"customer_id": customer["id"], "method": method, "max_amount": 1_000_000, "reference_id": reference}
    token = sim.post(f"{BASE}/v1/tokens", json=body, auth=AUTH, headers={"X-Sim-Mandate-Outcome": "confirmed"}).json()
    return _settled(sim, "tokens", token["id"], "pending")


def _settled(sim: TestClient, kind: str, object_id: str, waiting: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        found: dict[str, Any] = sim.get(f"{BASE}/v1/{kind}/{object_id}", auth=AUTH).json()
        if found["status"] != waiting:
            return found
        assert time.monotonic() < deadline, f"{kind} {object_id} stayed {waiting}"
        time.sleep(0.02)


def _bounces(seed: int, receipts: int = 40) -> list[str | None]:
    with TestClient(build_payment_simulator_app(seed=seed)) as sim:
        assert sim.put(f"{BASE}/accounts/{SANDBOX_KEY_ID}/faults", json={"debit_bounce_rate": 0.5}).is_success
        token = _confirmed_token(sim)
        outcomes = []
        for n in range(receipts):
            debit = {"token_id": token["id"], "amount": 50_000, "receipt": f"debit-{n}"}
            made = sim.post(f"{BASE}/v1/payments/create/recurring", json=debit, auth=AUTH).json()
            assert made["status"] == "created" and made["recurring"] is True
            settled = _settled(sim, "payments", made["id"], "created")
            outcomes.append(settled["error_reason"] if settled["status"] == "failed" else None)
        return outcomes


def test_bounces_and_their_reasons_are_the_same_for_the_same_seed_and_receipts():
    first, again, other = _bounces(5), _bounces(5), _bounces(6)
    assert first == again and first != other
    bounced = [code for code in first if code is not None]
    assert 5 < len(bounced) < 35 and set(bounced) <= set(NACH_RETURNS)


def test_one_debit_per_receipt_and_the_refusals():
    with TestClient(build_payment_simulator_app()) as sim:
        assert sim.post(f"{BASE}/v1/tokens", json={"customer_id": "cust_none"}, auth=AUTH).status_code == 404
        customer = sim.post(f"{BASE}/v1/customers", json={"name": "Asha"}, auth=AUTH).json()
        base = {"customer_id": customer["id"], "max_amount": 10_000, "reference_id": "r"}
        assert sim.post(f"{BASE}/v1/tokens", json={**base, "method": "cheque"}, auth=AUTH).status_code == 400
        pending = sim.post(
            f"{BASE}/v1/tokens",
            json={**base, "method": "upi"},
            auth=AUTH,
            headers={"X-Sim-Mandate-Outcome": "rejected"},
        ).json()
        assert pending["status"] == "pending" and len(pending["umrn"]) == 20
        rejected = _settled(sim, "tokens", pending["id"], "pending")
        assert rejected["status"] == "rejected" and rejected["error_code"] == "UM4"
        debit = {"token_id": pending["id"], "amount": 5_000, "receipt": "x"}
        assert sim.post(f"{BASE}/v1/payments/create/recurring", json=debit, auth=AUTH).status_code == 400
        assert sim.post(f"{BASE}/v1/tokens/{pending['id']}/cancel", auth=AUTH).json()["status"] == "rejected"
        token = _confirmed_token(sim, method="upi", reference="r2")
        debit = {"token_id": token["id"], "amount": 5_000, "receipt": "emi-1"}
        headers = {"X-Sim-Debit-Outcome": "Z9"}
        made = sim.post(f"{BASE}/v1/payments/create/recurring", json=debit, auth=AUTH, headers=headers).json()
        again = sim.post(f"{BASE}/v1/payments/create/recurring", json=debit, auth=AUTH).json()
        assert again["id"] == made["id"]  # the same receipt: the same debit, never a second one
        failed = _settled(sim, "payments", made["id"], "created")
        assert (failed["status"], failed["error_reason"], failed["error_description"]) == (
            "failed",
            "Z9",
            UPI_RETURNS["Z9"],
        )
        too_much = {"token_id": token["id"], "amount": 2_000_000, "receipt": "emi-2"}
        assert sim.post(f"{BASE}/v1/payments/create/recurring", json=too_much, auth=AUTH).status_code == 400
        unknown = {"token_id": token["id"], "amount": 5_000, "receipt": "emi-3"}
        refused = sim.post(
            f"{BASE}/v1/payments/create/recurring", json=unknown, auth=AUTH, headers={"X-Sim-Debit-Outcome": "04"}
        )
        assert refused.status_code == 400  # 04 is a NACH code, not a UPI one
        assert sim.post(f"{BASE}/v1/tokens/{token['id']}/cancel", auth=AUTH).json()["status"] == "cancelled"
        found = sim.get(f"{BASE}/v1/tokens", params={"reference_id": "r2"}, auth=AUTH).json()
        assert found["count"] == 1 and found["items"][0]["status"] == "cancelled"
