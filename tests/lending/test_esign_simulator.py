"""The e-sign simulator over real HTTP: sign a KFS's hash, wrong OTPs, abandonment, expiry, faults, callbacks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.bureaus.helpers import serve

from creditdesk.lending.apr import Charge
from creditdesk.lending.esign_simulator import (
    MAX_OTP_ATTEMPTS,
    SANDBOX_API_KEY,
    SANDBOX_WEBHOOK_SECRET,
    EsignSimulator,
    build_esign_app,
)
from creditdesk.lending.esign_wire import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_callback
from creditdesk.lending.kfs import KeyFactStatement, LoanTerms, build_kfs

KEY = {"X-Api-Key": SANDBOX_API_KEY}


@dataclass
class Clock:
    at: datetime = field(default_factory=lambda: datetime(2024, 10, 4, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Receiver:
    """The lender's callback endpoint: records every delivery (raw body and headers)."""

    calls: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    fail_first: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/esign-callback")
        async def callback(request: Request) -> JSONResponse:
            self.calls.append((await request.body(), dict(request.headers)))
            self.arrived.set()
            if len(self.calls) <= self.fail_first:
                return JSONResponse({"error": "try again"}, status_code=500)
            return JSONResponse({"ok": True})

        return app

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.calls]


@dataclass
class Esign:
    base: str
    sim: EsignSimulator
    clock: Clock
    receiver: Receiver
    callback_url: str
    http: httpx.Client

    def create(self, document_hash: str, **more: Any) -> dict[str, Any]:
        body = {
            "document_hash": document_hash,
            "document_name": "Key Fact Statement APP-0001",
            "signer_name": "Asha Rao",
            "reference": "saga-1",
            "callback_url": self.callback_url,
        } | more
        r = self.http.post(f"{self.base}/v1/sign-requests", json=body, headers=KEY)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def otp(self, signing_url: str) -> httpx.Response:
        return self.http.post(f"{signing_url}/otp", json={"aadhaar_last4": "1234"})


@pytest.fixture
def kfs() -> KeyFactStatement:
    terms = LoanTerms(
        reference="APP-0001",
        borrower_name="Asha Rao",
        amount=Decimal("100000"),
        tenure_months=12,
        interest_rate=Decimal("16.5"),
        charges=(Charge.percent_of("Processing fee", Decimal("100000"), Decimal("2")),),
    )
    return build_kfs(terms, today=date(2024, 10, 4))


@pytest.fixture
def esign() -> Iterator[Esign]:
    clock = Clock()
    sim = EsignSimulator(now=clock)
    receiver = Receiver()
    with serve(build_esign_app(sim)) as esp, serve(receiver.app()) as lender, httpx.Client(timeout=10) as http:
        yield Esign(f"{esp}/simulators/esign", sim, clock, receiver, f"{lender}/esign-callback", http)


def test_happy_path_records_the_kfs_hash_and_calls_back_signed(esign: Esign, kfs: KeyFactStatement) -> None:
    created = esign.create(kfs.content_hash)
    assert created["status"] == "pending" and created["document_hash"] == kfs.content_hash
    signing_url = created["signing_url"]
    assert signing_url == f"{esign.base}/sign/{created['id']}"

    page = esign.http.get(signing_url).json()
    assert page["document_hash"] == kfs.content_hash and page["signer_name"] == "Asha Rao"
    sent = esign.otp(signing_url)
    assert sent.status_code == 200 and sent.json()["status"] == "otp_sent"
    signed = esign.http.post(f"{signing_url}/verify", json={"otp": sent.json()["sandbox_otp"]})
    assert signed.status_code == 200, signed.text
    certificate_id = signed.json()["certificate_id"]

    status = esign.http.get(f"{esign.base}/v1/sign-requests/{created['id']}", headers=KEY).json()
    assert status["status"] == "signed" and status["certificate_id"] == certificate_id
    cert = esign.http.get(f"{esign.base}/v1/certificates/{certificate_id}", headers=KEY).json()
    assert cert["document_hash"] == kfs.content_hash == kfs.computed_hash()
    assert cert["aadhaar_last4"] == "1234" and cert["signature"]

    assert esign.receiver.arrived.wait(5)
    [(body, headers)] = esign.receiver.calls
    assert verify_callback(
        body, headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()], SANDBOX_WEBHOOK_SECRET
    )
    assert not verify_callback(
        body + b" ", headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()], SANDBOX_WEBHOOK_SECRET
    )
    assert not verify_callback(
        body, headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()], "another-secret"
    )
    assert not verify_callback(body, None, headers[SIGNATURE_HEADER.lower()], SANDBOX_WEBHOOK_SECRET)
    [event] = esign.receiver.events()
    assert event["event"] == "esign.signed" and event["document_hash"] == kfs.content_hash
    assert event["certificate_id"] == certificate_id and event["reference"] == "saga-1"

    again = esign.http.post(f"{signing_url}/verify", json={"otp": "000000"})
    assert again.status_code == 409 and again.json()["status"] == "signed"
    assert len(esign.receiver.calls) == 1  # a terminal outcome is called back once


def test_wrong_otps_count_down_then_fail(esign: Esign, kfs: KeyFactStatement) -> None:
    created = esign.create(kfs.content_hash)
    url = created["signing_url"]
    assert esign.http.post(f"{url}/verify", json={"otp": "1"}).json()["error"] == "otp_not_sent"
    right = esign.otp(url).json()["sandbox_otp"]
    wrong = "999999" if right != "999999" else "111111"
    first = esign.http.post(f"{url}/verify", json={"otp": wrong})
    assert first.status_code == 400 and first.json() == {
        "error": "wrong_otp",
        "detail": "the OTP does not match",
        "status": "otp_sent",
        "attempts_left": MAX_OTP_ATTEMPTS - 1,
    }
    for _ in range(MAX_OTP_ATTEMPTS - 2):
        assert esign.http.post(f"{url}/verify", json={"otp": wrong}).status_code == 400
    last = esign.http.post(f"{url}/verify", json={"otp": wrong})
    assert last.status_code == 400 and last.json()["status"] == "failed"
    assert esign.http.post(f"{url}/verify", json={"otp": right}).status_code == 409  # too late for the right one
    assert esign.receiver.arrived.wait(5)
    assert [e["event"] for e in esign.receiver.events()] == ["esign.failed"]
    assert esign.receiver.events()[0]["certificate_id"] is None


def test_a_wrong_otp_then_the_right_one_signs(esign: Esign, kfs: KeyFactStatement) -> None:
    url = esign.create(kfs.content_hash)["signing_url"]
    right = esign.otp(url).json()["sandbox_otp"]
    assert esign.http.post(f"{url}/verify", json={"otp": "x"}).status_code == 400
    assert esign.http.post(f"{url}/verify", json={"otp": right}).json()["status"] == "signed"


def test_the_signer_abandons(esign: Esign, kfs: KeyFactStatement) -> None:
    url = esign.create(kfs.content_hash)["signing_url"]
    assert esign.http.post(f"{url}/abandon").json() == {"status": "abandoned"}
    assert esign.otp(url).status_code == 409
    assert [e["event"] for e in esign.receiver.events()] == ["esign.abandoned"]

    esign.http.put(f"{esign.base}/faults", json={"abandon_rate": 1.0}).raise_for_status()
    url2 = esign.create(kfs.content_hash, reference="saga-2")["signing_url"]
    left = esign.otp(url2)
    assert left.status_code == 409 and left.json()["status"] == "abandoned"
    assert [(e["event"], e["reference"]) for e in esign.receiver.events()][-1] == ("esign.abandoned", "saga-2")


def test_an_unsigned_request_expires_after_its_time_to_live(esign: Esign, kfs: KeyFactStatement) -> None:
    created = esign.create(kfs.content_hash)
    url = created["signing_url"]
    esign.otp(url)
    esign.clock.at += timedelta(seconds=esign.sim.ttl_s - 1)
    assert esign.http.get(f"{esign.base}/v1/sign-requests/{created['id']}", headers=KEY).json()["status"] == "otp_sent"
    esign.clock.at += timedelta(seconds=1)
    status = esign.http.get(f"{esign.base}/v1/sign-requests/{created['id']}", headers=KEY).json()
    assert status["status"] == "expired" and status["callbacks"] == [200]
    assert esign.http.post(f"{url}/verify", json={"otp": "123456"}).json()["error"] == "expired"
    assert esign.http.get(url).json()["status"] == "expired"
    assert [e["event"] for e in esign.receiver.events()] == ["esign.expired"]


def test_a_failing_callback_is_retried(esign: Esign, kfs: KeyFactStatement) -> None:
    esign.receiver.fail_first = 1
    url = esign.create(kfs.content_hash)["signing_url"]
    esign.http.post(f"{url}/abandon")
    assert len(esign.receiver.calls) == 2
    assert esign.receiver.calls[0][0] == esign.receiver.calls[1][0]  # the same body, redelivered
    unreachable = esign.create(kfs.content_hash, callback_url="http://127.0.0.1:9/nowhere")
    created = esign.http.post(f"{unreachable['signing_url']}/abandon")
    assert created.json()["status"] == "abandoned"
    status = esign.http.get(f"{esign.base}/v1/sign-requests/{unreachable['id']}", headers=KEY).json()
    assert status["callbacks"] == ["ConnectError"] * 3


def test_faults_auth_and_validation(esign: Esign, kfs: KeyFactStatement) -> None:
    body = {"document_hash": kfs.content_hash, "document_name": "KFS", "signer_name": "A", "reference": "r"}
    create = f"{esign.base}/v1/sign-requests"
    assert esign.http.post(create, json=body).status_code == 401
    assert esign.http.post(create, json=body, headers={"X-Api-Key": "guess"}).status_code == 401
    assert esign.http.get(f"{esign.base}/v1/sign-requests/esr_x", headers={"X-Api-Key": "guess"}).status_code == 401
    assert esign.http.get(f"{esign.base}/v1/certificates/esc_x", headers={"X-Api-Key": "guess"}).status_code == 401
    assert esign.http.post(create, json=body | {"document_hash": "ABC"}, headers=KEY).status_code == 422
    assert esign.http.get(f"{esign.base}/v1/sign-requests/esr_x", headers=KEY).status_code == 404
    assert esign.http.get(f"{esign.base}/v1/certificates/esc_x", headers=KEY).status_code == 404
    assert esign.http.get(f"{esign.base}/sign/esr_x").status_code == 404
    assert esign.http.post(f"{esign.base}/sign/esr_x/abandon").status_code == 404
    no_callback = esign.http.post(create, json=body, headers=KEY).json()
    assert esign.http.post(f"{no_callback['signing_url']}/abandon").json()["status"] == "abandoned"

    assert esign.http.get(f"{esign.base}/sandbox-credentials").json()["api_key"] == SANDBOX_API_KEY
    esign.http.put(f"{esign.base}/faults", json={"outage": True}).raise_for_status()
    assert esign.http.get(f"{esign.base}/faults").json()["outage"] is True
    down = esign.http.post(create, json=body, headers=KEY)
    assert down.status_code == 503 and down.json()["error"] == "service_unavailable"
    assert esign.http.get(f"{esign.base}/v1/sign-requests/esr_x", headers=KEY).status_code == 503
    esign.http.put(f"{esign.base}/faults", json={"error_rate": 1.0}).raise_for_status()
    assert esign.http.post(create, json=body, headers=KEY).status_code == 503
    esign.http.put(f"{esign.base}/faults", json={"latency_ms": 2000}).raise_for_status()
    with pytest.raises(httpx.ReadTimeout):
        esign.http.post(create, json=body, headers=KEY, timeout=0.2)
    assert esign.http.put(f"{esign.base}/faults", json={"abandon_rate": 2}).status_code == 422


def test_dev_mode_mounts_the_esign_simulator(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/simulators/esign/faults").json()["outage"] is False
    assert "/simulators/esign/v1/sign-requests" not in client.get("/openapi.json").json()["paths"]


def test_requests_are_found_by_reference_so_a_lost_answer_is_reconciled(esign: Esign, kfs: KeyFactStatement) -> None:
    first = esign.create(kfs.content_hash, reference="saga-9:esign")
    second = esign.create(kfs.content_hash, reference="saga-9:esign")
    esign.create(kfs.content_hash, reference="another")
    url = f"{esign.base}/v1/sign-requests"
    found = esign.http.get(url, params={"reference": "saga-9:esign"}, headers=KEY)
    assert found.status_code == 200
    assert [r["id"] for r in found.json()["items"]] == [first["id"], second["id"]]  # oldest first
    assert esign.http.get(url, params={"reference": "nothing"}, headers=KEY).json() == {"items": []}
    assert esign.http.get(url, params={"reference": "saga-9:esign"}).status_code == 401
    # expiry is seen on the look-up too
    esign.clock.at += timedelta(hours=1)
    assert {
        r["status"] for r in esign.http.get(url, params={"reference": "saga-9:esign"}, headers=KEY).json()["items"]
    } == {"expired"}
