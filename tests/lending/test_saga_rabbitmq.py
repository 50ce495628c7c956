"""With RabbitMQ: a worker killed with SIGKILL in the middle of a saga step; another worker resumes the
saga from its last completed step and completes it, with one payout."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.bureaus.helpers import serve
from tests.factories import make_tenant, make_user
from tests.lending.fakes import approved_application
from tests.servers import rabbit_reachable, send_job, start_rabbitmq_worker, truncate_all

from creditdesk.auth.principal import Identity
from creditdesk.db import Database, init_database
from creditdesk.lending import service
from creditdesk.lending.esign_simulator import EsignFaults, EsignSimulator, esign_router
from creditdesk.lending.models import Saga, SagaStep
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, build_payment_simulator_app
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.models import Job

pytestmark = pytest.mark.rabbitmq


def _latest_job(db: Database, saga_id: str) -> str:
    with db.session() as s:
        jobs = s.execute(select(Job).where(Job.kind == "lending.saga.advance").order_by(Job.created_at)).scalars()
        return [j.id for j in jobs if j.payload.get("saga_id") == saga_id][-1]


def _wait(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _prompt(db: Database, saga_id: str) -> None:
    """Run the saga forward once more (what the callback, the webhook or the sweep does)."""
    with db.session() as s:
        row = s.get(Saga, saga_id)
        assert row is not None
        service.enqueue_advance(s, row)
        s.commit()
    send_job(_latest_job(db, saga_id))


def _prompted_until_settled(db: Database, saga_id: str) -> bool:
    saga, steps = _saga(db, saga_id)
    if saga.status in ("completed", "compensated", "failed"):
        return True
    if saga.status == "waiting" and steps["mandate"].status == "waiting":
        _prompt(db, saga_id)
        time.sleep(1)
    return False


def _saga(db: Database, saga_id: str) -> tuple[Saga, dict[str, SagaStep]]:
    with db.session() as s:
        saga = s.get(Saga, saga_id)
        assert saga is not None
        steps = {st.name: st for st in s.execute(select(SagaStep).where(SagaStep.saga_id == saga_id)).scalars()}
        s.expunge_all()
        return saga, steps


def test_a_sigkilled_worker_mid_step_resumes_and_completes_with_one_payout(pg_url, tmp_path: Path):
    rabbit_reachable()
    esp = EsignSimulator()
    sims = FastAPI()
    sims.include_router(esign_router(esp))
    sims.mount("/", build_payment_simulator_app(seed=5))
    db = init_database(pg_url)
    first = second = None
    try:
        with serve(sims) as base:
            with db.session() as s:
                tenant = make_tenant(s)
                admin = make_user(s, tenant, "tenant_admin")
                application = approved_application(s, tenant.id)
                s.commit()
                caller = Identity(
                    actor_type="user",
                    id=admin.id,
                    email=admin.email,
                    name="a",
                    role="tenant_admin",
                    tenant_id=tenant.id,
                    tenant_slug=tenant.slug,
                )
                saga_id = service.start_disbursement(s, tenant=tenant, application_id=application.id, actor=caller).id
                s.commit()
            send_job(_latest_job(db, saga_id))
            first = start_rabbitmq_worker(pg_url, tmp_path, "worker-1", public_base_url=base)
            _wait("the KFS to be issued", lambda: _saga(db, saga_id)[0].status == "waiting")

            # the borrower accepts; the e-sign service is slow, and the worker dies inside the esign step
            esp.faults = EsignFaults(latency_ms=4000)
            with db.session() as s:
                tenant_row = s.get(Tenant, tenant.id)
                assert tenant_row is not None
                kfs_hash = _saga(db, saga_id)[0].kfs_hash
                assert kfs_hash is not None
                service.accept_kfs(s, tenant=tenant_row, saga_id=saga_id, content_hash=kfs_hash, actor=caller)
                s.commit()
            send_job(_latest_job(db, saga_id))
            _wait("the esign step to start", lambda: _saga(db, saga_id)[1]["esign"].status == "running")
            time.sleep(0.5)
            os.kill(first.pid, signal.SIGKILL)  # mid-step, no chance to clean up
            first.wait(timeout=10)
            esp.faults = EsignFaults()
            saga, steps = _saga(db, saga_id)
            assert steps["esign"].attempts == 1 and saga.esign_request_id is None  # its record never committed

            second = start_rabbitmq_worker(pg_url, tmp_path, "worker-2", public_base_url=base)
            _wait("the esign step to resume", lambda: _saga(db, saga_id)[1]["esign"].status == "waiting")
            saga, steps = _saga(db, saga_id)
            assert steps["esign"].attempts == 2 and steps["kfs"].attempts == 1  # resumed at the step, not the start
            # the borrower signs the request the saga recorded; the saga is prompted (as the callback would)
            request_id = saga.esign_request_id
            with httpx.Client(base_url=f"{base}/simulators/esign", timeout=10) as http:
                otp = http.post(f"/sign/{request_id}/otp", json={"aadhaar_last4": "1234"}).json()["sandbox_otp"]
                assert http.post(f"/sign/{request_id}/verify", json={"otp": otp}).json()["status"] == "signed"
            _prompt(db, saga_id)
            # the mandate is registered and waits for the sponsor bank; no server receives the gateway's
            # token.confirmed webhook here, so the saga is prompted again as the sweep would, until it settles
            _wait("the mandate step to wait on the bank", lambda: _saga(db, saga_id)[1]["mandate"].status != "pending")
            _wait("the saga to finish", lambda: _prompted_until_settled(db, saga_id), timeout=120)
            saga, steps = _saga(db, saga_id)
            assert saga.status == "completed", (tmp_path / "worker-2.log").read_text()[-3000:]
            payouts = httpx.get(
                f"{base}/simulators/payments/v1/payouts",
                params={"reference_id": saga_id},
                auth=(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET),
                timeout=10,
            ).json()["items"]
            assert [p["id"] for p in payouts] == [saga.payout_id]
            assert saga.loan_id is not None
            assert all(st.status == "completed" for st in steps.values())
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        truncate_all(db)
