"""The worker owns a job's transaction: commit on return, roll back on error, unless told to keep.

Handlers here write one outbox event each (any row would do) so the test can see what was kept.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from tests.factories import bearer, make_user, wait_for_job

from creditdesk.worker import registry, service
from creditdesk.worker.context import Handler, JobContext
from creditdesk.worker.errors import PermanentJobError, TransientJobError
from creditdesk.worker.models import OutboxEvent


def _write(ctx: JobContext, step: str) -> None:
    service.emit(ctx.session, kind="test.step", tenant_id=None, payload={"job": ctx.job_id, "step": step})


def _fails_keeping_state(ctx: JobContext) -> None:
    _write(ctx, "recorded")
    raise PermanentJobError("refused; the attempt stays on record", keep_state=True)


def _fails(ctx: JobContext) -> None:
    _write(ctx, "discarded")
    raise PermanentJobError("refused")


def _checkpoints_then_fails(ctx: JobContext) -> None:
    _write(ctx, "chunk 1")
    ctx.checkpoint(progress=0.5)
    _write(ctx, "chunk 2")
    raise TransientJobError("the second chunk failed")


def _run(client, db, session, kind: str, fn: Handler) -> tuple[dict, list[str]]:
    running = registry.installed()  # the app's, installed when its worker started
    registry.install(replace(running, jobs={**running.jobs, kind: fn}))
    root = make_user(session, None, "platform_admin")
    job = service.enqueue(session, kind=kind, tenant_id=None, max_attempts=1)
    session.commit()
    done = wait_for_job(client, None, job.id, bearer(root))
    with db.session() as s:
        payloads = s.execute(select(OutboxEvent.payload).where(OutboxEvent.kind == "test.step")).scalars()
        steps = [p["step"] for p in payloads if p["job"] == job.id]
    return done, steps


@pytest.mark.parametrize(
    ("fn", "status", "kept"),
    [
        (_fails_keeping_state, "failed", ["recorded"]),
        (_fails, "failed", []),
        (_checkpoints_then_fails, "dead", ["chunk 1"]),
    ],
    ids=["keep_state", "rolled_back", "checkpoint"],
)
def test_what_a_failed_job_keeps(client, db, session, fn, status, kept):
    done, steps = _run(client, db, session, f"test.{fn.__name__}", fn)
    assert done["status"] == status and done["error"]
    assert steps == kept
