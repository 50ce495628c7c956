"""With RabbitMQ: a worker killed with SIGKILL in the middle of a batch loses no row."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text
from tests.conftest import service_unavailable
from tests.scoring.test_batches import make_csv
from tests.servers import child_env

AMQP_URL = os.environ.get("CREDITDESK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _rabbit_reachable() -> None:
    url = urlsplit(AMQP_URL)
    try:
        socket.create_connection((url.hostname, url.port or 5672), timeout=2).close()
    except OSError as exc:
        service_unavailable("RabbitMQ", exc)


def _start_worker(pg_url: str, tmp_path: Path, name: str) -> subprocess.Popen:
    env = child_env(
        database_url=pg_url,
        data_dir=tmp_path / "data",
        broker_url=AMQP_URL,
        job_lease_seconds="3",
        log_level="INFO",
        job_min_backoff_ms="100",
    )
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - handed to the child process
    return subprocess.Popen(
        [sys.executable, "-m", "creditdesk.cli", "worker", "--threads", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.rabbitmq
def test_sigkilled_worker_loses_no_row(pg_url, trained_default, tmp_path):
    _rabbit_reachable()
    from dramatiq import Message
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from tests.factories import make_tenant, make_user

    from creditdesk.db import init_database
    from creditdesk.ml import registry
    from creditdesk.scoring import batches
    from creditdesk.scoring.models import Application, BatchRow
    from creditdesk.tenancy.deps import TenantContext
    from creditdesk.worker.models import Job

    db = init_database(pg_url)
    rows = 1500
    with db.session() as s:
        registry.register(
            s,
            tenant_id=None,
            result=trained_default,
            name="rmq",
            dataset=None,
            target=None,
            created_by=None,
            status="champion",
        )
        tenant = make_tenant(s)
        officer = make_user(s, tenant, "field_officer")
        s.commit()
        from creditdesk.auth.principal import Identity

        caller = Identity(
            actor_type="user",
            id=officer.id,
            email=officer.email,
            name="o",
            role="field_officer",
            tenant_id=tenant.id,
            tenant_slug=tenant.slug,
        )
        created = batches.submit(s, ctx=TenantContext.of(tenant, caller, s), content=make_csv(rows), filename="big.csv")
        s.commit()
    job_id, batch_id = created["job_id"], created["batch_id"]

    broker = RabbitmqBroker(url=AMQP_URL)
    broker.declare_queue("creditdesk")
    broker.flush("creditdesk")
    broker.enqueue(
        Message(
            queue_name="creditdesk",
            actor_name="creditdesk.run_job",
            args=(job_id,),
            kwargs={},
            options={"max_retries": 3},
        )
    )
    broker.close()

    def done_rows() -> int:
        with db.session() as s:
            return s.execute(
                select(func.count())
                .select_from(BatchRow)
                .where(BatchRow.batch_id == batch_id, BatchRow.state != "pending")
            ).scalar_one()

    first = _start_worker(pg_url, tmp_path, "worker-1")
    try:
        deadline = time.time() + 120
        while time.time() < deadline and done_rows() < 200:
            time.sleep(0.05)
        progressed = done_rows()
        assert 0 < progressed < rows, f"worker made no measurable progress: {progressed}"
        os.kill(first.pid, signal.SIGKILL)  # mid-batch, no chance to clean up
        first.wait(timeout=10)
        with db.session() as s:
            assert s.get(Job, job_id).status == "running"  # the dead worker still holds the job (its lease)

        second = _start_worker(pg_url, tmp_path, "worker-2")
        try:
            deadline = time.time() + 180
            status = None
            while time.time() < deadline:
                with db.session() as s:
                    status = s.get(Job, job_id).status
                if status in ("succeeded", "failed", "dead"):
                    break
                time.sleep(0.2)
            assert status == "succeeded", (tmp_path / "worker-2.log").read_text()[-3000:]
        finally:
            second.terminate()
            second.wait(timeout=30)
        with db.session() as s:
            states = dict(
                s.execute(
                    select(BatchRow.state, func.count()).where(BatchRow.batch_id == batch_id).group_by(BatchRow.state)
                )
                .tuples()
                .all()
            )
            apps = s.execute(
                select(func.count()).select_from(Application).where(Application.batch_id == batch_id)
            ).scalar_one()
            attempts = s.get(Job, job_id).attempts
        assert states == {"done": rows}, states
        assert apps == rows  # every row decided exactly once: nothing lost, nothing doubled
        assert attempts >= 2
    finally:
        if first.poll() is None:
            first.kill()
        from creditdesk.models_registry import Base

        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} CASCADE"))
