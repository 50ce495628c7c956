"""With RabbitMQ: a worker killed with SIGKILL in the middle of a batch loses no row."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import func, select
from tests.scoring.test_batches import make_csv
from tests.servers import rabbit_reachable, send_job, start_rabbitmq_worker, truncate_all


@pytest.mark.rabbitmq
def test_sigkilled_worker_loses_no_row(pg_url, trained_default, tmp_path):
    rabbit_reachable()
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

    send_job(job_id, max_retries=3, flush=True)

    def done_rows() -> int:
        with db.session() as s:
            return s.execute(
                select(func.count())
                .select_from(BatchRow)
                .where(BatchRow.batch_id == batch_id, BatchRow.state != "pending")
            ).scalar_one()

    first = start_rabbitmq_worker(pg_url, tmp_path, "worker-1")
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

        second = start_rabbitmq_worker(pg_url, tmp_path, "worker-2")
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
        truncate_all(db)
