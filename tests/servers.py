"""Real processes for tests that need real HTTP or a real worker: ``creditdesk serve`` and ``worker``.

One way to build a child's environment (no inherited ``CREDITDESK_*``, this process's key ring so the
child opens what the test sealed), one way to start a server and wait until it answers, and the
RabbitMQ tests' shared set-up: the broker's URL, a ``creditdesk worker`` on it, a job handed to it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from dramatiq import Message
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from sqlalchemy import text
from tests.conftest import service_unavailable

from creditdesk.config import get_settings
from creditdesk.db import Database
from creditdesk.models_registry import Base

#: the RabbitMQ the broker tests use (CI starts one: .ci/run)
AMQP_URL = os.environ.get("CREDITDESK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
#: the queue ``creditdesk worker`` consumes
JOB_QUEUE = "creditdesk"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_env(*, database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a child ``creditdesk`` process on the test's database, in dev mode.

    Inherited ``CREDITDESK_*`` variables are dropped; the key ring is this process's, so the child
    reads what the test sealed. ``settings`` are more ``CREDITDESK_*`` values by their lower-case name
    (``log_level="INFO"`` → ``CREDITDESK_LOG_LEVEL=INFO``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        CREDITDESK_MODE="dev",
        CREDITDESK_DATA_DIR=str(data_dir),
        CREDITDESK_DATABASE_URL=database_url,
        CREDITDESK_LOG_LEVEL="WARNING",
        CREDITDESK_RATE_LIMIT_PER_TENANT="1000000/minute",
        CREDITDESK_RATE_LIMIT_PER_API_KEY="1000000/minute",
        CREDITDESK_ENCRYPTION_KEYS=get_settings().encryption_keys.get_secret_value(),
    )
    env.update({f"CREDITDESK_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serve(*, database_url: str, tmp_path: Path, start_timeout: float = 60, **settings: str) -> Iterator[str]:
    """Run ``creditdesk serve`` (one process, in-process worker) until the block ends; yield its base URL.

    ``start_timeout``: seconds to wait for ``/healthz`` (a server migrating several databases needs longer).
    """
    port = free_port()
    env = child_env(database_url=database_url, data_dir=tmp_path / "data", **settings)
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def rabbit_reachable() -> None:
    """Skip unless RabbitMQ answers at :data:`AMQP_URL` (fail in CI)."""
    url = urlsplit(AMQP_URL)
    try:
        socket.create_connection((url.hostname, url.port or 5672), timeout=2).close()
    except OSError as exc:
        service_unavailable("RabbitMQ", exc)


def start_rabbitmq_worker(database_url: str, tmp_path: Path, name: str, **settings: str) -> subprocess.Popen[bytes]:
    """``creditdesk worker --threads 1`` on RabbitMQ and the test's database, logging to ``<tmp_path>/<name>.log``.

    Job leases of 3 s and back-off from 100 ms, so a killed worker's job is taken over within seconds;
    ``settings`` are more ``CREDITDESK_*`` values (``public_base_url=…``).
    """
    env = child_env(
        database_url=database_url,
        data_dir=tmp_path / "data",
        broker_url=AMQP_URL,
        job_lease_seconds="3",
        log_level="INFO",
        job_min_backoff_ms="100",
        **settings,
    )
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - handed to the child process
    command = [sys.executable, "-m", "creditdesk.cli", "worker", "--threads", "1"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def send_job(job_id: str, *, max_retries: int = 5, flush: bool = False) -> None:
    """Hand a job to the RabbitMQ workers (the test process runs no broker of its own).

    ``flush`` empties the queue first — only for a test that owns the broker: the queue may be shared
    with another test's workers. A worker on another database drops a message for a job it does not
    know, so two RabbitMQ tests running at once against one broker can lose each other's redelivered
    messages (CI runs them one at a time).
    """
    broker = RabbitmqBroker(url=AMQP_URL)
    broker.declare_queue(JOB_QUEUE)
    if flush:
        broker.flush(JOB_QUEUE)
    message = Message(
        queue_name=JOB_QUEUE,
        actor_name="creditdesk.run_job",
        args=(job_id,),
        kwargs={},
        options={"max_retries": max_retries},
    )
    broker.enqueue(message)
    broker.close()


def truncate_all(db: Database) -> None:
    """Empty every table of a database the test shares with child processes (PostgreSQL)."""
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} CASCADE"))
