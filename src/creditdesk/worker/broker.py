"""The Dramatiq broker, the one job actor, and the embedded worker.

- No ``CREDITDESK_BROKER_URL``: a StubBroker and an in-process Worker (embedded mode). Unfinished
  jobs are re-sent from the jobs table at start, so they survive a restart.
- ``amqp://…``: RabbitMQ; ``redis://…``: Redis. Messages are durable in the broker; ``creditdesk worker``
  processes them on any number of hosts.

Every job runs through :func:`_run_job`: claim (with a lease) → handler in a tenant-scoped session →
commit → succeeded. A :class:`PermanentJobError` fails the job at once; any other exception is retried
with exponential backoff and, after the last attempt, the job is ``dead`` (listed at
``/api/v1/ops/dead-letters``, requeueable) and the message goes to the broker's dead-letter queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session

from creditdesk.config import Settings, get_settings
from creditdesk.db import Database, get_database, set_tenant_scope
from creditdesk.worker import service
from creditdesk.worker.errors import PermanentJobError

QUEUE = "creditdesk"
log = structlog.get_logger("creditdesk.worker")

JOBS_FINISHED = Counter("creditdesk_jobs_total", "Jobs finished by kind and outcome", ["kind", "outcome"])
JOB_SECONDS = Histogram("creditdesk_job_duration_seconds", "Job run time by kind", ["kind"])


@dataclass
class JobContext:
    """What a handler gets: its job, a tenant-scoped session, and a progress reporter."""

    job_id: str
    kind: str
    tenant_id: str | None
    payload: dict[str, Any]
    attempt: int
    session: Session
    db: Database
    lease_seconds: int
    extra: dict[str, Any] = field(default_factory=dict)

    def progress(self, fraction: float) -> None:
        """Report progress (0–1) in its own transaction, so pollers see it while the job runs.

        SQLite has one writer at a time: while this job's own session holds a transaction, a second
        connection would wait for it forever, so the update rides on the job's transaction instead
        (visible at its next commit — handlers commit between chunks and before long computations).
        """
        if not self.db.is_postgres and self.session.in_transaction():
            service.report_progress_in(self.session, self.job_id, fraction, lease_seconds=self.lease_seconds)
        else:
            service.report_progress(self.db, self.job_id, fraction, lease_seconds=self.lease_seconds)


Handler = Callable[[JobContext], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def _load_handlers() -> None:
    from creditdesk.worker import handlers  # noqa: F401  (imports every domain's tasks module)


_broker: dramatiq.Broker | None = None
_actor: dramatiq.Actor[Any, Any] | None = None
_worker: dramatiq.Worker | None = None
_relay: Any = None  # the OutboxRelayThread, once started
_lock = threading.Lock()


def get_broker(settings: Settings | None = None) -> dramatiq.Broker:
    """Create (once per process) the broker named by the settings and declare the job actor."""
    global _broker, _actor
    with _lock:
        if _broker is not None:
            return _broker
        settings = settings or get_settings()
        url = settings.broker_url
        broker: dramatiq.Broker
        if not url:
            broker = StubBroker()
            broker.emit_after("process_boot")
        elif url.startswith("amqp"):
            from dramatiq.brokers.rabbitmq import RabbitmqBroker

            broker = RabbitmqBroker(url=url)
        elif url.startswith("redis"):
            from dramatiq.brokers.redis import RedisBroker

            broker = RedisBroker(url=url)
        else:
            raise ValueError("CREDITDESK_BROKER_URL must start with amqp:// or redis://")
        broker.add_middleware(CurrentMessage())
        dramatiq.set_broker(broker)
        _actor = dramatiq.actor(
            _run_job,
            actor_name="creditdesk.run_job",
            queue_name=QUEUE,
            broker=broker,
            max_retries=3,
            min_backoff=settings.job_min_backoff_ms,
            max_backoff=settings.job_max_backoff_ms,
            time_limit=6 * 3600 * 1000,
        )
        _broker = broker
        _load_handlers()
        return broker


def send_job(job_id: str, *, max_attempts: int = 4, delay_ms: int | None = None) -> None:
    """Send a job's message (called after the creating transaction commits)."""
    get_broker()
    assert _actor is not None
    _actor.send_with_options(args=(job_id,), max_retries=max(0, max_attempts - 1), delay=delay_ms)


def _run_job(job_id: str) -> None:
    settings = get_settings()
    db = get_database()
    job = service.claim(db, job_id, lease_seconds=settings.job_lease_seconds)
    if job is None:
        status = service.status_of(db, job_id)
        if status == "running":  # another worker holds a live lease: look again when it may have lapsed
            send_job(job_id, delay_ms=settings.job_lease_seconds * 1000)
        return  # finished, unknown (another database), or re-sent above
    fn = _HANDLERS.get(job.kind)
    if fn is None:
        service.finish(db, job_id, status="failed", error=f"No handler for job kind '{job.kind}'")
        return
    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message else 0
    max_retries = message.options.get("max_retries", job.max_attempts - 1) if message else 0
    start = time.perf_counter()
    try:
        with db.session() as session:
            set_tenant_scope(session, job.tenant_id)
            ctx = JobContext(
                job_id=job.id,
                kind=job.kind,
                tenant_id=job.tenant_id,
                payload=job.payload,
                attempt=job.attempts,
                session=session,
                db=db,
                lease_seconds=settings.job_lease_seconds,
            )
            result = fn(ctx)
            session.commit()
        service.finish(db, job_id, status="succeeded", result=result or {})
        JOBS_FINISHED.labels(job.kind, "succeeded").inc()
        log.info("job succeeded", job_id=job_id, kind=job.kind, attempt=job.attempts)
    except PermanentJobError as exc:
        service.finish(db, job_id, status="failed", error=str(exc))
        JOBS_FINISHED.labels(job.kind, "failed").inc()
        log.warning("job failed permanently", job_id=job_id, kind=job.kind, error=str(exc))
    except Exception as exc:
        final = retries >= max_retries
        error = f"{type(exc).__name__}: {exc}"
        service.finish(db, job_id, status="dead" if final else "queued", error=error)
        JOBS_FINISHED.labels(job.kind, "dead" if final else "retried").inc()
        log.warning("job attempt failed", job_id=job_id, kind=job.kind, attempt=job.attempts, final=final, error=error)
        raise
    finally:
        JOB_SECONDS.labels(job.kind).observe(time.perf_counter() - start)


def is_embedded(settings: Settings | None = None) -> bool:
    """True when jobs run inside this process (no external broker configured)."""
    return not (settings or get_settings()).broker_url


def start_worker(settings: Settings, *, recover: bool) -> None:
    """Start a Dramatiq worker and the outbox relay in this process; re-send unfinished jobs if asked."""
    global _worker, _relay
    from creditdesk.worker.outbox import OutboxRelayThread

    broker = get_broker(settings)
    if isinstance(broker, StubBroker):
        broker.flush_all()
    if recover:
        db = get_database()
        service.reset_running(db)
        for job_id, max_attempts in service.unfinished_jobs(db):
            send_job(job_id, max_attempts=max_attempts)
    _worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=settings.worker_threads, worker_timeout=100)
    _worker.start()
    _relay = OutboxRelayThread(interval=settings.outbox_poll_seconds)
    _relay.start()


def stop_worker() -> None:
    """Stop the in-process worker and relay (graceful: running jobs finish first)."""
    global _worker, _relay
    if _relay is not None:
        _relay.stop()
        _relay = None
    if _worker is not None:
        _worker.stop(timeout=30_000)
        _worker = None
