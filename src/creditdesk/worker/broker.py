"""The Dramatiq broker, the one job actor, and the embedded worker.

- No ``CREDITDESK_BROKER_URL``: a StubBroker and an in-process Worker (embedded mode). Unfinished
  jobs are re-sent from the jobs table at start, so they survive a restart.
- ``amqp://…``: RabbitMQ; ``redis://…``: Redis. Messages are durable in the broker; ``creditdesk worker``
  processes them on any number of hosts.

Every job runs through :func:`_run_job`: claim (with a lease) → the handler the installed
:class:`~creditdesk.worker.registry.TaskRegistry` names, in a tenant-scoped session → commit →
succeeded. The worker owns that transaction: a handler raising rolls it back, unless its
:class:`~creditdesk.worker.errors.JobError` says ``keep_state`` (then it is committed first). A
:class:`PermanentJobError` fails the job at once; any other exception is retried with exponential
backoff and, after the last attempt, the job is ``dead`` (listed at ``/api/v1/ops/dead-letters``,
requeueable) and the message goes to the broker's dead-letter queue.

Broker outages: a job row is committed before its message is sent, so a failed send (broker down)
is logged and counted (``creditdesk_job_send_failures_total``) and never raised into the request that
created the job — the job simply stays ``queued``. After a failure this process sends nothing for
``SEND_RETRY_AFTER_S`` (jobs created meanwhile stay queued too), so a dead broker costs one failed
connection attempt per period, not one per request. Every ``creditdesk worker`` runs a sweep
(:class:`JobResendThread`, every ``RESEND_SWEEP_SECONDS``) that re-sends jobs still ``queued`` after
``RESEND_AFTER_S`` (retries waiting out their back-off: after the longest back-off too). (A job
``running`` on a worker that died needs no sweep: its unacknowledged message is redelivered by the
broker, and the message re-sends itself until the lease lapses.) It runs in the worker, not the API: the worker is
the process that needs the broker anyway, and without a live worker no job would run either. A
re-sent job may end up with two messages; that is harmless — :func:`service.claim` lets exactly one
run it, and a message that finds its job finished is dropped.

Data residency (docs/data-residency.md): with region databases a job lives in its tenant's region
database, and its message carries the region (``(job_id, region)``), so :func:`_run_job` claims and
runs it there; the re-send sweep, the start-up recovery and the outbox relay walk every database
(:meth:`~creditdesk.db.Database.partitions`). Without region databases messages carry the job id alone.

Domain events: with RabbitMQ, :func:`publish_topic` publishes the outbox relay's events to a durable
topic exchange over the same connection (publisher confirms; see ``creditdesk.events.publisher``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
import structlog
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from prometheus_client import Counter, Histogram
from sqlalchemy import func, or_, select, update

from creditdesk.config import Settings, get_settings
from creditdesk.db import Database, get_database, in_region, set_tenant_scope, utcnow
from creditdesk.worker import service
from creditdesk.worker.context import JobContext
from creditdesk.worker.errors import JobError, PermanentJobError
from creditdesk.worker.models import Job
from creditdesk.worker.outbox import OutboxRelayThread
from creditdesk.worker.registry import TaskRegistry, install, installed
from creditdesk.worker.scheduler import TICK_SECONDS, SchedulerThread

QUEUE = "creditdesk"
log = structlog.get_logger("creditdesk.worker")

JOBS_FINISHED = Counter("creditdesk_jobs_total", "Jobs finished by kind and outcome", ["kind", "outcome"])
JOB_SECONDS = Histogram("creditdesk_job_duration_seconds", "Job run time by kind", ["kind"])
SEND_FAILURES = Counter(
    "creditdesk_job_send_failures_total",
    "Job messages not sent (the job stays queued for the re-send sweep)",
    ["reason"],  # error: the send failed; skipped: a recent failure, not tried
)
JOBS_RESENT = Counter("creditdesk_jobs_resent_total", "Jobs re-sent by the sweep (their message was missing)")

#: After a failed send, this process does not try the broker again for this long (seconds).
SEND_RETRY_AFTER_S = 2.0
#: A job queued (or with a lapsed lease) for this long has its message re-sent by the sweep (seconds).
RESEND_AFTER_S = 30.0
#: How often ``creditdesk worker`` runs the re-send sweep (seconds).
RESEND_SWEEP_SECONDS = 10.0


_broker: dramatiq.Broker | None = None
_broker_url: str | None = None
_actor: dramatiq.Actor[Any, Any] | None = None
_worker: dramatiq.Worker | None = None
_relay: Any = None  # the OutboxRelayThread, once started
_resender: Any = None  # the JobResendThread, once started
_scheduler: Any = None  # the SchedulerThread, once started
_send_blocked_until = 0.0  # monotonic time before which send_job does not try the broker
_lock = threading.Lock()


def _shorten_timeouts(params: Any, url: str) -> None:
    """Shorter socket timeouts than pika's 10 s / 15 s, unless the URL sets them.

    The API sends job messages from request threads; a broker that does not answer must not hold them long.
    """
    query = url.partition("?")[2]
    if "socket_timeout" not in query:
        params.socket_timeout = 2.0
    if "stack_timeout" not in query:
        params.stack_timeout = 4.0


def get_broker(settings: Settings | None = None) -> dramatiq.Broker:
    """Create (once per process) the broker named by the settings and declare the job actor.

    Settings naming another broker URL (tests switch between them) replace the broker.
    """
    global _broker, _broker_url, _actor
    settings = settings or get_settings()
    url = settings.broker_url or None
    with _lock:
        if _broker is not None and url == _broker_url:
            return _broker
        if _broker is not None:
            _close_quietly(_broker)
            _broker = None
        broker: dramatiq.Broker
        if not url:
            broker = StubBroker()
            broker.emit_after("process_boot")
        elif url.startswith("amqp"):
            from dramatiq.brokers.rabbitmq import RabbitmqBroker  # noqa: PLC0415 - pika loads only when configured

            broker = RabbitmqBroker(url=url)
            for params in broker.parameters if isinstance(broker.parameters, list) else [broker.parameters]:
                _shorten_timeouts(params, url)
        elif url.startswith("redis"):
            from dramatiq.brokers.redis import RedisBroker  # noqa: PLC0415 - redis loads only when configured

            broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]  # dramatiq leaves it unannotated
        else:
            raise ValueError("CREDITDESK_BROKER_URL must start with amqp:// or redis://")
        broker.add_middleware(CurrentMessage())
        dramatiq.set_broker(broker)
        _actor = dramatiq.actor(
            actor_name="creditdesk.run_job",
            queue_name=QUEUE,
            broker=broker,
            max_retries=3,
            min_backoff=settings.job_min_backoff_ms,
            max_backoff=settings.job_max_backoff_ms,
            time_limit=6 * 3600 * 1000,
        )(_run_job)
        _broker, _broker_url = broker, url
        return broker


def _close_quietly(broker: dramatiq.Broker) -> None:
    try:
        broker.close()
    except Exception as exc:  # noqa: BLE001 - a broker being replaced may already be gone
        log.debug("closing the previous broker failed", error=f"{type(exc).__name__}: {exc}")


def reset_broker() -> None:
    """Close and forget this process's broker (tests; the next use builds it from the settings again)."""
    global _broker, _broker_url, _actor, _send_blocked_until
    with _lock:
        if _broker is not None:
            _close_quietly(_broker)
        _broker, _broker_url, _actor, _send_blocked_until = None, None, None, 0.0


def send_job(job_id: str, *, max_attempts: int = 4, delay_ms: int | None = None, region: str | None = None) -> bool:
    """Send a job's message (called after the creating transaction commits); True when it was sent.

    ``region``: the region database the job lives in (None: the catalogue, or the only database).

    Never raises: when the broker cannot take the message the failure is logged and counted, and the
    job stays ``queued`` in the database for the re-send sweep. After a failure, sends are not even
    tried for ``SEND_RETRY_AFTER_S``.
    """
    global _send_blocked_until
    if time.monotonic() < _send_blocked_until:
        SEND_FAILURES.labels("skipped").inc()
        log.info("job message deferred; the broker failed recently", job_id=job_id)
        return False
    try:
        get_broker()
        assert _actor is not None
        args = (job_id,) if region is None else (job_id, region)
        _actor.send_with_options(args=args, max_retries=max(0, max_attempts - 1), delay=delay_ms)
    except Exception as exc:  # noqa: BLE001 - the job is committed; the sweep re-sends it
        _send_blocked_until = time.monotonic() + SEND_RETRY_AFTER_S
        SEND_FAILURES.labels("error").inc()
        log.warning(
            "job message not sent; the job stays queued for the re-send sweep",
            job_id=job_id,
            error=f"{type(exc).__name__}: {exc}",
        )
        return False
    return True


def is_rabbitmq(settings: Settings | None = None) -> bool:
    """True when the configured broker is RabbitMQ (``amqp://`` or ``amqps://``)."""
    return ((settings or get_settings()).broker_url or "").startswith("amqp")


@dataclass(frozen=True)
class TopicMessage:
    """One message for a topic exchange: its routing key, JSON body and id (receivers de-duplicate by it)."""

    routing_key: str
    body: bytes
    message_id: str
    timestamp: int | None = None  # unix seconds
    headers: Mapping[str, str] = field(default_factory=dict)


_topic = threading.local()  # per thread, like dramatiq's connections: (connection, channel, declared exchanges)


def _topic_channel(broker: Any, exchange: str) -> Any:
    """This thread's confirming channel on the broker's connection, with ``exchange`` declared (durable topic)."""
    connection = broker.connection  # dramatiq's connection for this thread (opened on first use)
    channel = getattr(_topic, "channel", None)
    if channel is None or not channel.is_open or getattr(_topic, "connection", None) is not connection:
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish returns once RabbitMQ has taken the message
        _topic.connection, _topic.channel, _topic.declared = connection, channel, set()
    if exchange not in _topic.declared:
        channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
        _topic.declared.add(exchange)
    return channel


def publish_topic(exchange: str, messages: Sequence[TopicMessage]) -> None:
    """Publish persistent messages to a durable topic exchange on the RabbitMQ broker, each confirmed.

    Uses the broker's connection for this thread and a channel of its own in confirm mode, so a
    message counts as published only when RabbitMQ has taken it. Raises when it could not publish
    every message (after reconnecting once): the caller's transaction rolls back and it publishes
    them again later — at least once, so a message may arrive twice (its ``message_id`` tells).
    A message no queue is bound for is dropped by RabbitMQ, as a topic exchange does.
    """
    import pika  # type: ignore[import-untyped]  # noqa: PLC0415 - untyped; loads only when RabbitMQ is configured

    if not is_rabbitmq():
        raise RuntimeError("publish_topic needs the RabbitMQ broker (CREDITDESK_BROKER_URL=amqp://…)")
    broker: Any = get_broker()  # a RabbitmqBroker: its per-thread ``connection``
    for attempt in (1, 2):
        try:
            channel = _topic_channel(broker, exchange)
            for m in messages:
                properties = pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=2,  # persistent: survives a RabbitMQ restart in a durable queue
                    message_id=m.message_id,
                    timestamp=m.timestamp,
                    headers=dict(m.headers) or None,
                )
                channel.basic_publish(exchange=exchange, routing_key=m.routing_key, body=m.body, properties=properties)
            return
        except pika.exceptions.AMQPError:
            _topic.channel = None
            del broker.connection  # closes this thread's connection; the next use opens a new one
            if attempt == 2:
                raise


def resend_stale_jobs(
    db: Database,
    *,
    older_than_s: float = RESEND_AFTER_S,
    backoff_s: float | None = None,
    limit: int = 500,
) -> int:
    """Re-send the messages of jobs that have waited too long; return how many were sent.

    Candidates: ``queued`` jobs untouched for ``older_than_s``; those waiting out a retry back-off
    (they carry the last error) only after ``backoff_s`` more, default the longest job back-off.
    Each re-send touches the job's ``updated_at`` in a conditional update first, so concurrent
    sweeps (one per worker process) do not both send it, and a job is re-sent at most once per
    ``older_than_s``. Stops at the first failed send (the broker is still down).
    """
    if backoff_s is None:
        backoff_s = get_settings().job_max_backoff_ms / 1000
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_s)
    retry_cutoff = cutoff - timedelta(seconds=backoff_s)
    touched = func.coalesce(Job.updated_at, Job.created_at)
    stale = (Job.status == "queued") & or_(
        Job.error.is_(None) & (touched < cutoff), Job.error.is_not(None) & (touched < retry_cutoff)
    )
    with db.session(read_only=True) as session:
        candidates = session.execute(
            select(Job.id, Job.max_attempts).where(stale).order_by(Job.created_at).limit(limit)
        ).all()
    sent = 0
    for job_id, max_attempts in candidates:
        with db.session() as session, session.begin():
            touch = update(Job).where(Job.id == job_id, stale).values(updated_at=now)
            claimed = session.connection().execute(touch).rowcount
        if claimed != 1:
            continue  # another sweep took it, or it has moved on
        if not send_job(job_id, max_attempts=max_attempts, region=db.region):
            break
        sent += 1
        JOBS_RESENT.inc()
    if sent:
        log.info("re-sent job messages", jobs=sent)
    return sent


class JobResendThread(threading.Thread):
    """Run :func:`resend_stale_jobs` every ``interval`` seconds until stopped; errors are logged, not fatal."""

    def __init__(self, interval: float = RESEND_SWEEP_SECONDS, older_than_s: float = RESEND_AFTER_S):
        super().__init__(name="job-resend", daemon=True)
        self.interval = interval
        self.older_than_s = older_than_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                for db in get_database().partitions():  # every database holding jobs
                    resend_stale_jobs(db, older_than_s=self.older_than_s)
            except Exception as exc:  # noqa: BLE001 - e.g. the database is restarting: try again next time
                log.warning("job re-send sweep failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def _run_job(job_id: str, region: str | None = None) -> None:
    """The job actor: ``region`` names the region database the job lives in (see the module's docstring)."""
    with in_region(region):
        _run_job_in(get_database().for_region(region), job_id, region)


def _run_job_in(db: Database, job_id: str, region: str | None) -> None:
    settings = get_settings()
    job = service.claim(db, job_id, lease_seconds=settings.job_lease_seconds)
    if job is None:
        status = service.status_of(db, job_id)
        if status == "running":  # another worker holds a live lease: look again when it may have lapsed
            send_job(job_id, delay_ms=settings.job_lease_seconds * 1000, region=region)
        return  # finished, unknown (another database), or re-sent above
    fn = installed().handler_for(job.kind)
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
            try:
                result = fn(ctx)
            except JobError as exc:
                if exc.keep_state:  # "keep this state and fail": what the handler wrote stays
                    session.commit()
                raise
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


def start_worker(settings: Settings, registry: TaskRegistry, *, recover: bool) -> None:
    """Start a Dramatiq worker and the outbox relay running ``registry``'s jobs and consumers.

    Unfinished jobs are re-sent first if asked (``recover``: embedded mode, where this process is
    the only worker).

    With an external broker the job re-send sweep runs here too (embedded mode needs none: its
    in-process broker cannot fail a send, and unfinished jobs are re-sent at start).
    """
    global _worker, _relay, _resender, _scheduler
    install(registry)
    broker = get_broker(settings)
    if isinstance(broker, StubBroker):
        broker.flush_all()
    if recover:
        for db in get_database().partitions():
            service.reset_running(db)
            for job_id, max_attempts in service.unfinished_jobs(db):
                send_job(job_id, max_attempts=max_attempts, region=db.region)
    _worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=settings.worker_threads, worker_timeout=100)
    _worker.start()
    _relay = OutboxRelayThread(interval=settings.outbox_poll_seconds)
    _relay.start()
    if not isinstance(broker, StubBroker):
        _resender = JobResendThread()
        _resender.start()
    if registry.schedules:
        _scheduler = SchedulerThread(registry.schedules, tick=TICK_SECONDS)
        _scheduler.start()


def stop_worker() -> None:
    """Stop the in-process worker, relay and re-send sweep (graceful: running jobs finish first)."""
    global _worker, _relay, _resender, _scheduler
    if _scheduler is not None:
        _scheduler.stop()
        _scheduler = None
    if _resender is not None:
        _resender.stop()
        _resender = None
    if _relay is not None:
        _relay.stop()
        _relay = None
    if _worker is not None:
        _worker.stop(timeout=30_000)
        _worker = None
