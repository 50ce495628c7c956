"""The lending routes over the API, with the worker running the saga: the e-sign and payment simulators
over real HTTP, the KFS as JSON and PDF, the e-sign callback, one saga per application, 404/403."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.bureaus.helpers import serve
from tests.factories import bearer, make_user
from tests.lending.fakes import FakeMandate, Fakes, approved_application, drive, new_saga
from tests.portfolio.fixtures import Lender, make_lender

from creditdesk.audit.models import AuditEvent
from creditdesk.config import get_settings
from creditdesk.db import get_database, utcnow
from creditdesk.lending import service
from creditdesk.lending.esign_simulator import EsignSimulator, build_esign_app
from creditdesk.lending.esign_wire import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_callback
from creditdesk.lending.models import Saga
from creditdesk.lending.providers import (
    HttpEsignProvider,
    Providers,
    stored_payouts,
    use_providers,
)
from creditdesk.payments.gateway import GatewayConfig, PaymentGateway
from creditdesk.payments.simulator import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    build_payment_simulator_app,
)
from creditdesk.portfolio.models import Loan
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.models import Job, OutboxEvent


@dataclass
class Live:
    esp: str
    payments: str
    sim: EsignSimulator
    gateway: PaymentGateway
    http: httpx.Client

    def providers(self, session: Session, tenant_id: str) -> Providers:
        payouts = stored_payouts(session, tenant_id, get_settings())
        assert payouts is not None, "the tenant's gateway account is used"
        return Providers(
            esign=HttpEsignProvider(
                base_url=self.esp, api_key=self.sim.api_key, webhook_secret=self.sim.webhook_secret, callback_url=None
            ),
            mandate=FakeMandate(),
            payouts=payouts,
        )


@pytest.fixture
def live() -> Iterator[Live]:
    sim = EsignSimulator()
    with (
        serve(build_esign_app(sim)) as esp,
        serve(build_payment_simulator_app(seed=1)) as pay,
        httpx.Client(timeout=10) as http,
    ):
        config = GatewayConfig(
            base_url=f"{pay}/simulators/payments",
            key_id=SANDBOX_KEY_ID,
            key_secret=SecretStr(SANDBOX_KEY_SECRET),
            webhook_secret=SecretStr(SANDBOX_WEBHOOK_SECRET),
        )
        gateway = PaymentGateway(config)
        live = Live(f"{esp}/simulators/esign", config.base_url, sim, gateway, http)
        with use_providers(live.providers):
            yield live
        gateway.close()


def _wait(client, lender: Lender, saga_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        saga = client.get(f"{lender.base}/sagas/{saga_id}", headers=lender.headers()).json()
        if until(saga):
            return saga
        time.sleep(0.05)
    raise AssertionError(f"saga never got there: {saga}")


def _step(saga: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in saga["steps"] if s["name"] == name)


def _start(client, lender: Lender, application_id: str) -> str:
    r = client.post(f"{lender.base}/applications/{application_id}/disbursement", headers=lender.headers())
    assert r.status_code == 202, r.text
    return str(r.json()["saga_id"])


def _count(model: Any, *where: Any) -> int:
    with get_database().session() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_approve_to_booked_loan_over_the_api_and_the_simulators(client, session, live):
    lender = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    account = {
        "base_url": live.payments,
        "key_id": SANDBOX_KEY_ID,
        "key_secret": SANDBOX_KEY_SECRET,
        "webhook_secret": SANDBOX_WEBHOOK_SECRET,
    }
    configured = client.put(f"{lender.base}/payments/gateway", json=account, headers=lender.headers())
    assert configured.status_code == 200, configured.text
    saga_id = _start(client, lender, application.id)

    saga = _wait(client, lender, saga_id, lambda s: _step(s, "kfs")["status"] == "waiting")
    assert saga["status"] == "waiting" and [s["name"] for s in saga["steps"]] == [
        "sanction",
        "kfs",
        "esign",
        "mandate",
        "disburse",
        "book",
    ]
    assert _step(saga, "sanction")["status"] == "completed" and _step(saga, "sanction")["attempts"] == 1
    kfs = client.get(f"{lender.base}/applications/{application.id}/kfs", headers=lender.headers())
    assert kfs.status_code == 200, kfs.text
    kfs = kfs.json()
    assert kfs["content_hash"] == saga["kfs_hash"] and kfs["apr"] == "12.00" and len(kfs["schedule"]) == 12
    pdf = client.get(
        f"{lender.base}/applications/{application.id}/kfs", params={"format": "pdf"}, headers=lender.headers()
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert kfs["content_hash"] in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)

    url = f"{lender.base}/sagas/{saga_id}/kfs/accept"
    assert client.post(url, json={"content_hash": "0" * 64}, headers=lender.headers()).status_code == 422
    accepted = client.post(url, json={"content_hash": kfs["content_hash"]}, headers=lender.headers())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["kfs_accepted_hash"] == kfs["content_hash"]

    saga = _wait(client, lender, saga_id, lambda s: _step(s, "esign")["status"] == "waiting")
    (request,) = live.sim.requests.values()
    assert request.document_hash == kfs["content_hash"]
    # the borrower signs on the ESP's page (OTP), then the ESP calls the lender back
    otp = live.http.post(f"{live.esp}/sign/{request.id}/otp", json={"aadhaar_last4": "1234"}).json()["sandbox_otp"]
    signed = live.http.post(f"{live.esp}/sign/{request.id}/verify", json={"otp": otp}).json()
    assert signed["status"] == "signed"
    body = json.dumps({"event": "esign.signed", "request_id": request.id, "status": "signed"}).encode()
    ts = int(time.time())
    callback = f"/api/v1/webhooks/esign/{lender.tenant.slug}"
    bad = client.post(callback, content=body, headers={TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: "x" * 64})
    assert bad.status_code == 401
    headers = {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign_callback(body, ts, live.sim.webhook_secret)}
    assert client.post(callback, content=body, headers=headers).json() == {"received": True}

    saga = _wait(client, lender, saga_id, lambda s: s["status"] in ("completed", "compensated", "failed"))
    assert saga["status"] == "completed", saga
    assert all(s["status"] == "completed" and s["attempts"] == 1 for s in saga["steps"]), saga["steps"]
    payout = live.gateway.find_payout_by_reference(saga_id)
    assert payout is not None and payout.id == saga["payout_id"] and str(payout.amount) == "100000.00"
    loan = client.get(f"{lender.base}/portfolio/loans/{saga['loan_id']}", headers=lender.headers()).json()
    assert loan["application_id"] == application.id and loan["principal"] == "100000.00"
    assert _count(OutboxEvent, OutboxEvent.tenant_id == lender.tenant.id, OutboxEvent.kind == "loan.disbursed") == 1
    # a late callback changes nothing
    assert client.post(callback, content=body, headers=headers).json() == {"received": False}


def test_one_saga_per_application_however_many_ask_at_once(client, session):
    lender = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    url = f"{lender.base}/applications/{application.id}/disbursement"
    with use_providers(Fakes().providers), ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: client.post(url, headers=lender.headers()), range(10)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [202] + [409] * 9, [r.text for r in answers]
    (started,) = [r.json()["saga_id"] for r in answers if r.status_code == 202]
    assert all(started in r.json()["detail"] for r in answers if r.status_code == 409)
    assert _count(Saga, Saga.application_id == application.id) == 1


def test_only_an_approved_application_of_the_tenant_and_only_for_managers(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    approved = approved_application(session, lender.tenant.id)
    rejected = approved_application(session, lender.tenant.id, decision="Reject")
    foreign = approved_application(session, other.tenant.id)
    session.commit()
    base = lender.base
    with use_providers(Fakes().providers):
        assert (
            client.post(f"{base}/applications/{rejected.id}/disbursement", headers=lender.headers()).status_code == 409
        )
        assert (
            client.post(f"{base}/applications/{foreign.id}/disbursement", headers=lender.headers()).status_code == 404
        )
        assert client.get(f"{base}/applications/{foreign.id}/kfs", headers=lender.headers()).status_code == 404
        for role in ("auditor", "officer", "analyst"):
            r = client.post(f"{base}/applications/{approved.id}/disbursement", headers=lender.headers(role))
            assert r.status_code == 403, role
        saga_id = _start(client, other, foreign.id)
    assert client.get(f"{base}/sagas/{saga_id}", headers=lender.headers()).status_code == 404
    assert (
        client.post(
            f"{base}/sagas/{saga_id}/kfs/accept", json={"content_hash": "a" * 64}, headers=lender.headers()
        ).status_code
        == 404
    )
    assert client.get(f"{other.base}/sagas/{saga_id}", headers=other.headers("auditor")).status_code == 200
    assert client.get(f"{other.base}/sagas/{saga_id}", headers=other.headers("officer")).status_code == 403
    # a preview of the KFS before any saga
    preview = client.get(f"{base}/applications/{approved.id}/kfs", headers=lender.headers("analyst"))
    assert preview.status_code == 200 and preview.json()["borrower_name"] == "Kavya Nair"


def test_the_kfs_is_refused_after_valid_until_and_the_waiting_saga_compensates(client, session):
    lender = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    with use_providers(Fakes().providers):
        saga_id = _start(client, lender, application.id)
        saga = _wait(client, lender, saga_id, lambda s: s["status"] == "waiting")
        with get_database().session() as s:
            row = s.get(Saga, saga_id)
            assert row is not None and row.kfs_valid_until is not None
            row.kfs_valid_until -= timedelta(days=30)
            row.deadline_at = utcnow() - timedelta(seconds=1)
            s.commit()
        url = f"{lender.base}/sagas/{saga_id}/kfs/accept"
        refused = client.post(url, json={"content_hash": saga["kfs_hash"]}, headers=lender.headers())
        assert refused.status_code == 409 and "open for acceptance until" in refused.json()["detail"]
        with get_database().session() as s:
            assert service.sweep_timeouts(s, tenant_id=lender.tenant.id) == [saga_id]
            s.commit()
        saga = _wait(client, lender, saga_id, lambda s: s["status"] == "compensated")
    assert _step(saga, "kfs")["status"] == "failed" and _step(saga, "sanction")["status"] == "compensated"
    assert _count(Loan, Loan.tenant_id == lender.tenant.id) == 0
    again = client.post(
        f"{lender.base}/sagas/{saga_id}/kfs/accept", json={"content_hash": saga["kfs_hash"]}, headers=lender.headers()
    )
    assert again.status_code == 409


# -- the application's saga, an operator's retry and cancellation -------------------------------------


@pytest.fixture
def live_api(app: Any) -> Iterator[str]:
    """The whole app under uvicorn on a real socket, its in-process worker running the saga."""
    with serve(app, lifespan="on") as base:
        yield base


def _http_wait(base: str, lender: Lender, saga_id: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        saga = httpx.get(f"{base}{lender.base}/sagas/{saga_id}", headers=lender.headers()).json()
        if until(saga):
            return saga
        assert time.monotonic() < deadline, f"saga never got there: {saga}"
        time.sleep(0.05)


def _audited(action: str, saga_id: str) -> int:
    return _count(AuditEvent, AuditEvent.action == action, AuditEvent.resource_id == saga_id)


def _advance_jobs(tenant_id: str) -> int:
    return _count(Job, Job.tenant_id == tenant_id, Job.kind == service.ADVANCE_JOB)


def _to_esign(base: str, lender: Lender, application_id: str) -> dict[str, Any]:
    """Start the saga, accept its KFS: it waits on the borrower's signature with no job running."""
    r = httpx.post(f"{base}{lender.base}/applications/{application_id}/disbursement", headers=lender.headers())
    assert r.status_code == 202, r.text
    saga_id = r.json()["saga_id"]
    saga = _http_wait(base, lender, saga_id, lambda s: _step(s, "kfs")["status"] == "waiting" and s["can_retry"])
    url = f"{base}{lender.base}/sagas/{saga_id}/kfs/accept"
    assert httpx.post(url, json={"content_hash": saga["kfs_hash"]}, headers=lender.headers()).status_code == 200
    return _http_wait(base, lender, saga_id, lambda s: _step(s, "esign")["status"] == "waiting" and s["can_retry"])


def _burst(url: str, headers: dict[str, str], n: int, body: dict[str, Any] | None = None) -> list[httpx.Response]:
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: http.post(url, json=body, headers=headers), range(n)))


def test_the_application_finds_its_saga(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    url = f"{lender.base}/applications/{application.id}/disbursement"
    none = client.get(url, headers=lender.headers())
    assert none.status_code == 404 and "has no disbursement saga" in none.json()["detail"]
    with use_providers(Fakes().providers):
        saga_id = _start(client, lender, application.id)
        saga = _wait(client, lender, saga_id, lambda s: s["status"] == "waiting")
    found = client.get(url, headers=lender.headers("auditor"))
    assert found.status_code == 200 and found.json()["id"] == saga_id
    assert found.json()["steps"] == saga["steps"] and found.json()["application_id"] == application.id
    assert client.get(url, headers=lender.headers("officer")).status_code == 403
    assert (
        client.get(f"{other.base}/applications/{application.id}/disbursement", headers=other.headers()).status_code
        == 404
    )


def test_concurrent_retries_of_a_saga_whose_callback_was_lost_run_it_once(live_api, session):
    lender = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    fakes = Fakes()
    with use_providers(fakes.providers):
        saga = _to_esign(live_api, lender, application.id)
        assert saga["can_retry"] and saga["can_compensate"] and saga["esign_request_id"] == "esr_1"
        fakes.esign.finish("signed")  # the borrower signed; the ESP's callback never came
        jobs_before = _advance_jobs(lender.tenant.id)
        answers = _burst(f"{live_api}{lender.base}/sagas/{saga['id']}/retry", lender.headers(), 8)
        codes = sorted(r.status_code for r in answers)
        assert codes == [202] + [409] * 7, [r.text for r in answers]
        assert all(
            "already being run" in r.json()["detail"] or "completed" in r.json()["detail"]
            for r in answers
            if r.status_code == 409
        )
        done = _http_wait(live_api, lender, saga["id"], lambda s: s["status"] == "completed")
    assert len(fakes.payouts.made) == 1 and done["loan_id"] is not None
    assert _advance_jobs(lender.tenant.id) == jobs_before + 1
    assert _audited("lending.saga_retried", saga["id"]) == 1
    assert not done["can_retry"] and not done["can_compensate"]
    again = httpx.post(f"{live_api}{lender.base}/sagas/{saga['id']}/retry", headers=lender.headers())
    assert again.status_code == 409 and "nothing to retry" in again.json()["detail"]
    paid = httpx.post(
        f"{live_api}{lender.base}/sagas/{saga['id']}/compensate", json={"reason": "too late"}, headers=lender.headers()
    )
    assert paid.status_code == 409 and "has paid out" in paid.json()["detail"]


def test_concurrent_cancellations_before_the_payout_compensate_once(live_api, session):
    lender = make_lender(session)
    application = approved_application(session, lender.tenant.id)
    session.commit()
    fakes = Fakes()
    with use_providers(fakes.providers):
        saga = _to_esign(live_api, lender, application.id)
        url = f"{live_api}{lender.base}/sagas/{saga['id']}/compensate"
        for role in ("analyst", "auditor", "officer"):
            assert (
                httpx.post(url, json={"reason": "borrower withdrew"}, headers=lender.headers(role)).status_code == 403
            )
        assert httpx.post(url, json={"reason": ""}, headers=lender.headers()).status_code == 422
        answers = _burst(url, lender.headers(), 8, {"reason": "the borrower withdrew the application"})
        codes = sorted(r.status_code for r in answers)
        assert codes == [200] * 7 + [202], [r.text for r in answers]
        done = _http_wait(live_api, lender, saga["id"], lambda s: s["status"] == "compensated")
        fakes.esign.finish("signed")  # a signature that arrives afterwards changes nothing
        late = httpx.post(f"{live_api}{lender.base}/sagas/{saga['id']}/retry", headers=lender.headers())
    assert late.status_code == 409
    assert fakes.payouts.made == {} and _count(Loan, Loan.tenant_id == lender.tenant.id) == 0
    assert _audited("lending.saga_cancelled", saga["id"]) == 1
    assert done["error"] == "cancelled by the lender: the borrower withdrew the application"
    assert [s["status"] for s in done["steps"]] == ["compensated"] * 3 + ["pending"] * 3
    with get_database().session() as s:
        row = s.get(Saga, saga["id"])
        assert row is not None
        assert (row.sanction_status, row.kfs_status, row.agreement_status) == ("void", "expired", "void")


def test_retry_and_cancel_refuse_other_tenants_and_roles_without_the_permission(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    application = approved_application(session, other.tenant.id)
    session.commit()
    with use_providers(Fakes().providers):
        saga_id = _start(client, other, application.id)
        _wait(client, other, saga_id, lambda s: s["status"] == "waiting" and s["can_retry"])
    for action, body in (("retry", None), ("compensate", {"reason": "not yours"})):
        assert (
            client.post(f"{lender.base}/sagas/{saga_id}/{action}", json=body, headers=lender.headers()).status_code
            == 404
        )
        for role in ("analyst", "auditor", "officer"):
            r = client.post(f"{other.base}/sagas/{saga_id}/{action}", json=body, headers=other.headers(role))
            assert r.status_code == 403, (action, role)
    assert _audited("lending.saga_retried", saga_id) == _audited("lending.saga_cancelled", saga_id) == 0


def test_a_failed_saga_is_retried_from_its_book_step(client, session):
    saga = new_saga(session)
    fakes = Fakes()

    def broken_book(name: str, when: str) -> None:
        if name == "book":
            raise RuntimeError("the book is unavailable")

    assert drive(session, saga, fakes, inject=broken_book) == "failed"
    view_id = saga.id
    tenant = session.get(Tenant, saga.tenant_id)
    assert tenant is not None
    lender_admin, slug, tenant_id = make_user(session, tenant, "tenant_admin"), tenant.slug, tenant.id
    session.commit()  # and nothing more through this session: on SQLite its next transaction would block writers
    url = f"/api/v1/tenants/{slug}/sagas/{view_id}"
    with use_providers(fakes.providers):
        view = client.get(url, headers=bearer(lender_admin)).json()
        assert view["status"] == "failed" and view["can_retry"] and not view["can_compensate"]
        refused = client.post(f"{url}/compensate", json={"reason": "undo it"}, headers=bearer(lender_admin))
        assert refused.status_code == 409 and "has paid out" in refused.json()["detail"]
        retried = client.post(f"{url}/retry", headers=bearer(lender_admin))
        assert retried.status_code == 202, retried.text
        deadline = time.monotonic() + 30
        while (view := client.get(url, headers=bearer(lender_admin)).json())["status"] != "completed":
            assert time.monotonic() < deadline, view
            time.sleep(0.05)
    assert len(fakes.payouts.made) == 1 and _count(Loan, Loan.tenant_id == tenant_id) == 1
    assert _step(view, "book")["status"] == "completed" and _audited("lending.saga_retried", view["id"]) == 1
