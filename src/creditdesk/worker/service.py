"""Jobs: enqueue (sent only after commit), claim with a lease, progress, finish, dead letters.

Invariant: a job's message is sent to the broker only after the transaction that created the job
commits (the job row is the outbox), so a rolled-back request never runs a job, and a job never runs
before its inputs are visible.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import Database, fan_out, utcnow
from creditdesk.errors import Conflict, NotFound
from creditdesk.kit.pagination import Page, paginate
from creditdesk.tenancy.scope import get_visible
from creditdesk.worker.models import Job, OutboxEvent

if TYPE_CHECKING:
    from creditdesk.tenancy.deps import TenantContext

TERMINAL = frozenset({"succeeded", "failed", "dead"})


def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released (SQLAlchemy says "after_commit" for it too): not committed yet
    from creditdesk.worker import broker  # noqa: PLC0415 - the broker imports this module

    pending: list[tuple[str, int, str | None]] = session.info.pop("jobs_to_send", [])
    for job_id, max_attempts, region in pending:
        broker.send_job(job_id, max_attempts=max_attempts, region=region)


def _send_when_committed(session: Session, job: Job) -> None:
    """Queue the job's message for sending once this session's (outermost) transaction commits.

    The message names the job's region when region databases are configured (the database its row went
    to), so the worker claims it there."""
    if not session.info.get("jobs_listener"):
        session.info["jobs_listener"] = True
        event.listen(session, "after_commit", _send_after_commit)
    db: Database | None = session.info.get("db")
    region = db.session_region(session) if db is not None else None
    session.info.setdefault("jobs_to_send", []).append((job.id, job.max_attempts, region))


def enqueue(
    session: Session,
    *,
    kind: str,
    tenant_id: str | None,
    payload: dict[str, Any] | None = None,
    created_by: str | None = None,
    max_attempts: int = 4,
) -> Job:
    """Create a job; its message goes to the broker when this transaction commits."""
    job = Job(kind=kind, tenant_id=tenant_id, payload=payload or {}, created_by=created_by, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    _send_when_committed(session, job)
    return job


def claim(db: Database, job_id: str, *, lease_seconds: int) -> Job | None:
    """Atomically mark a queued (or lease-expired running) job as running; None if another worker has it."""
    now = utcnow()
    with db.session() as session, session.begin():
        result = session.connection().execute(  # Core: a CursorResult, whose rowcount says who won
            update(Job)
            .where(
                Job.id == job_id,
                or_(Job.status == "queued", (Job.status == "running") & (Job.lease_until < now)),
            )
            .values(
                status="running",
                attempts=Job.attempts + 1,
                started_at=now,
                updated_at=now,
                lease_until=now + timedelta(seconds=lease_seconds),
            )
        )
        if result.rowcount != 1:
            return None
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def status_of(db: Database, job_id: str) -> str | None:
    """Return a job's status (None if it does not exist)."""
    with db.session() as session:
        return session.execute(select(Job.status).where(Job.id == job_id)).scalar_one_or_none()


def report_progress_in(session: Session, job_id: str, progress: float, *, lease_seconds: int) -> None:
    """Record progress (0–1) and renew the lease within ``session``'s transaction."""
    now = utcnow()
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(
            progress=max(0.0, min(1.0, progress)), updated_at=now, lease_until=now + timedelta(seconds=lease_seconds)
        )
    )


def report_progress(db: Database, job_id: str, progress: float, *, lease_seconds: int) -> None:
    """Record progress (0–1) in its own short transaction and renew the lease."""
    with db.session() as session, session.begin():
        report_progress_in(session, job_id, progress, lease_seconds=lease_seconds)


def finish(
    db: Database, job_id: str, *, status: str, result: dict[str, Any] | None = None, error: str | None = None
) -> None:
    """Move a job to succeeded / failed / dead, or back to queued for a retry."""
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now, "lease_until": None, "error": error}
    if status == "succeeded":
        values.update(progress=1.0, result=result or {}, finished_at=now, error=None)
    elif status in ("failed", "dead"):
        values.update(finished_at=now)
    with db.session() as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def get_job(session: Session, *, ctx: TenantContext, job_id: str) -> Job:
    """Return a tenant's job the caller may read, or 404 (a field officer reads only the jobs they started)."""
    return get_visible(session, Job, job_id, ctx, what="Job")


def list_dead(session: Session, *, limit: int, offset: int) -> Page[Job]:
    """Jobs that exhausted their retries (the dead-letter list), newest first — in every database."""
    stmt = select(Job).where(Job.status == "dead").order_by(Job.finished_at.desc())
    db: Database = session.info["db"]
    if not db.regions:
        return paginate(session, stmt, limit=limit, offset=offset)
    total = sum(fan_out(session, lambda s: [s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()]))
    rows = fan_out(session, lambda s: list(s.execute(stmt.limit(offset + limit)).scalars()))
    rows.sort(key=lambda j: j.finished_at or j.created_at, reverse=True)
    return Page(items=rows[offset : offset + limit], total=total, limit=limit, offset=offset)


def _find_job(session: Session, job_id: str) -> Job | None:
    """A job by id wherever it lives; with region databases the session is left pointing at its database."""
    db: Database = session.info["db"]
    if not db.regions:
        return session.get(Job, job_id)
    for part in db.partitions():
        session.info["region"] = part.region
        # a query, not session.get: the identity map may hold the job from a listing of another database
        job = session.execute(select(Job).where(Job.id == job_id)).scalar_one_or_none()
        if job is not None:
            return job
    session.info.pop("region", None)
    return None


def requeue(session: Session, *, job_id: str, actor: Any) -> Job:
    """Give a dead job a fresh set of attempts; it is sent after commit."""
    job = _find_job(session, job_id)
    if job is None or job.status != "dead":
        raise NotFound("Dead letter not found") if job is None else Conflict(f"Job is {job.status}, not dead")
    # attempts are kept (the history stays honest); the new message brings a fresh set of retries
    job.status, job.error, job.finished_at, job.updated_at = "queued", None, None, utcnow()
    _send_when_committed(session, job)
    audit.record(
        session,
        actor=actor,
        action="job.requeued",
        tenant_id=job.tenant_id,
        resource_type="job",
        resource_id=job.id,
        details={"kind": job.kind},
    )
    return job


def unfinished_jobs(db: Database) -> list[tuple[str, int]]:
    """(id, max_attempts) of jobs left queued or running (e.g. by a restart), oldest first."""
    with db.session() as session:
        rows = session.execute(
            select(Job.id, Job.max_attempts).where(Job.status.in_(("queued", "running"))).order_by(Job.created_at)
        )
        return [(r.id, r.max_attempts) for r in rows]


def reset_running(db: Database) -> None:
    """In embedded mode the only worker is this process: anything 'running' at start was interrupted."""
    with db.session() as session, session.begin():
        session.execute(update(Job).where(Job.status == "running").values(status="queued", lease_until=None))


def emit(session: Session, *, kind: str, tenant_id: str | None, payload: dict[str, Any]) -> OutboxEvent:
    """Write a domain event in the caller's transaction; it is relayed after commit."""
    evt = OutboxEvent(kind=kind, tenant_id=tenant_id, payload=payload)
    session.add(evt)
    return evt
