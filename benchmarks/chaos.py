"""Chaos run: the real server under load while PostgreSQL, RabbitMQ and Redis go away and come back.

Starts a fresh PostgreSQL database (prepared like the HTTP benchmark: migrations, a champion trained on
20,000 synthetic rows, a tenant, API keys), ``creditdesk serve --workers 2`` and one
``creditdesk worker`` with RabbitMQ as the broker and Redis for rate limits and caches, then, each
while ~20 HTTP clients POST ``/api/v1/tenants/{t}/applications`` (httpx, one keep-alive connection
per thread, the benchmark's body with inline bureau data):

1. **PostgreSQL restart** (stop, 3 s down, start: a restart with a visible gap) — errors are allowed
   only while it is down; the API must answer 2xx again within 60 s of PostgreSQL accepting
   connections (the first successful ``pg_isready``), without being restarted.
2. **RabbitMQ stopped for ~20 s** — decisions continue without errors; a CSV batch submitted and
   loans disbursed while it is down are accepted (202/201), the batch completes after it returns,
   every outbox event is published and the webhook deliveries the loans caused all arrive.
3. **Redis stopped for ~15 s** — decisions continue without errors; ``creditdesk_redis_fallback`` is
   1 while it is down and 0 again after it returns.

It prints a per-second timeline of every scenario (2xx, errors by status or exception, P50/P99) and
writes ``benchmarks/results/chaos-<date>.json``. It stops and starts the machine's services itself
(as root) and always leaves all three running when it ends. Takes about 5 minutes.

    .venv/bin/python benchmarks/chaos.py [--connections 20] [--keep] [--only postgres,rabbitmq,redis]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import log  # noqa: E402

PG_DATABASE = "creditdesk_chaos"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"
RECOVERY_LIMIT_S = 60.0
SCENARIOS = ("postgres", "rabbitmq", "redis")

# --------------------------------------------------------------------------------------------- services


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def _run(cmd: list[str], timeout: float = 120) -> float:
    """Run a service command; return its duration (seconds). Raises on failure."""
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}: {out.stdout[-500:]} {out.stderr[-500:]}")
    return round(time.monotonic() - started, 2)


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def postgres_up() -> bool:
    out = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "1"], capture_output=True, check=False)
    return out.returncode == 0


def postgres(action: str) -> float:
    return _run(["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", action])


def redis_up() -> bool:
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True, check=False)
    return out.stdout.strip() == "PONG"


def redis_stop() -> float:
    started = time.monotonic()
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, check=False)
    _wait_for(lambda: not _port_open(6379), 10)
    return round(time.monotonic() - started, 2)


def redis_start() -> float:
    started = time.monotonic()
    _run(
        [
            "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
            "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
        ]
    )  # fmt: skip
    _wait_for(redis_up, 20)
    return round(time.monotonic() - started, 2)


def rabbitmq_up() -> bool:
    if not _port_open(5672):
        return False
    out = subprocess.run(["rabbitmq-diagnostics", "-q", "check_port_connectivity"], capture_output=True, check=False)
    return out.returncode == 0


def rabbitmq_stop() -> float:
    return _run(["rabbitmqctl", "stop"], timeout=120)


def rabbitmq_start() -> float:
    started = time.monotonic()
    subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, check=False)
    if not _wait_for(rabbitmq_up, 120, interval=0.5):
        raise RuntimeError("RabbitMQ did not come back within 120 s")
    return round(time.monotonic() - started, 2)


def ensure_services() -> dict[str, str]:
    """Start whatever of PostgreSQL, Redis and RabbitMQ is not running (called at the end, always)."""
    state: dict[str, str] = {}
    for name, up, start in (
        ("postgresql", postgres_up, lambda: postgres("start")),
        ("redis", redis_up, redis_start),
        ("rabbitmq", rabbitmq_up, rabbitmq_start),
    ):
        try:
            if up():
                state[name] = "running"
            else:
                start()
                state[name] = "restarted"
        except Exception as exc:  # noqa: BLE001 - report, and try the others
            state[name] = f"FAILED to start: {exc}"
    return state


# --------------------------------------------------------------------------------------------- load


class Load:
    """``connections`` threads, each POSTing the body in a loop on its own keep-alive connection."""

    def __init__(self, url: str, key: str, body: dict[str, Any], connections: int, timeout: float = 10.0):
        self.url = url
        self.headers = {"X-API-Key": key}
        self.body = json.dumps(body).encode()
        self.connections = connections
        self.timeout = timeout
        self.t0 = 0.0
        self.samples: list[tuple[float, str, float]] = []  # (seconds since t0 at completion, outcome, latency)
        self.events: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def mark(self, what: str) -> float:
        t = round(self.now(), 2)
        self.events.append((t, what))
        log(f"  t={t:6.1f}s  {what}")
        return t

    def _run(self) -> None:
        headers = dict(self.headers, **{"content-type": "application/json"})
        with httpx.Client(timeout=self.timeout, limits=httpx.Limits(max_connections=1)) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.post(self.url, content=self.body, headers=headers).status_code
                    outcome = str(status)
                except httpx.HTTPError as exc:
                    outcome, status = type(exc).__name__, 0
                done = time.monotonic()
                with self._lock:
                    self.samples.append((done - self.t0, outcome, done - started))
                if not 200 <= status < 300:
                    time.sleep(0.05)  # a failing server is not hammered in a hot loop

    def __enter__(self) -> Load:
        self.t0 = time.monotonic()
        for i in range(self.connections):
            t = threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout + 5)

    # ----------------------------------------------------------------------------------- analysis

    def errors(self) -> list[tuple[float, str]]:
        return [(t, o) for t, o, _ in self.samples if not o.startswith("2")]

    def timeline(self) -> list[dict[str, Any]]:
        by_second: dict[int, list[tuple[str, float]]] = {}
        for t, outcome, latency in self.samples:
            by_second.setdefault(int(t), []).append((outcome, latency))
        rows = []
        for second in range(0, int(max(by_second, default=0)) + 1):
            items = by_second.get(second, [])
            ok = [lat for o, lat in items if o.startswith("2")]
            errs = Counter(o for o, _ in items if not o.startswith("2"))
            lat = sorted(lat for _, lat in items)
            rows.append(
                {
                    "t": second,
                    "ok": len(ok),
                    "errors": sum(errs.values()),
                    "by_outcome": dict(errs),
                    "p50_ms": round(harness.percentile(lat, 50) * 1000, 1) if lat else None,
                    "p99_ms": round(harness.percentile(lat, 99) * 1000, 1) if lat else None,
                    "events": [w for t, w in self.events if int(t) == second],
                }
            )
        return rows

    def phase(self, start: float, end: float) -> dict[str, Any]:
        items = [(o, lat) for t, o, lat in self.samples if start <= t < end]
        ok = sorted(lat for o, lat in items if o.startswith("2"))
        seconds = max(end - start, 1e-9)
        return {
            "from_s": round(start, 1),
            "to_s": round(end, 1),
            "requests": len(items),
            "ok_per_s": round(len(ok) / seconds, 1),
            "errors": dict(Counter(o for o, _ in items if not o.startswith("2"))),
            "p50_ms": round(harness.percentile(ok, 50) * 1000, 1) if ok else None,
            "p99_ms": round(harness.percentile(ok, 99) * 1000, 1) if ok else None,
            "max_ms": round(ok[-1] * 1000, 1) if ok else None,
        }


def print_timeline(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n### {name}: per second (2xx, errors, P50/P99 ms)")
    for r in rows:
        errs = " ".join(f"{k}×{v}" for k, v in sorted(r["by_outcome"].items()))
        events = ("  <- " + "; ".join(r["events"])) if r["events"] else ""
        p50 = "-" if r["p50_ms"] is None else r["p50_ms"]
        p99 = "-" if r["p99_ms"] is None else r["p99_ms"]
        print(f"  {r['t']:>4}s  ok {r['ok']:>4}  err {r['errors']:>4} {errs:<28} p50 {p50:>7} p99 {p99:>7}{events}")


# --------------------------------------------------------------------------------------------- helpers


class WebhookReceiver:
    """A local HTTP endpoint that records the webhook events POSTed to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                event = {"event_id": self.headers.get("X-CreditDesk-Event-Id"), "bytes": len(body)}
                received.append(dict(event, kind=self.headers.get("X-CreditDesk-Event"), at=time.time()))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


_PREPARE_ADMIN = r"""
import json
from sqlalchemy import select
from creditdesk.config import get_settings
from creditdesk.db import init_database
from creditdesk.tenancy.models import Tenant
from creditdesk.auth.service import create_api_key
from creditdesk.auth.schemas import ApiKeyCreate
from creditdesk.auth.principal import Identity
from creditdesk.tenancy.permissions import permissions_for
db = init_database(get_settings().sqlalchemy_url)
with db.session() as session, session.begin():
    tenant = session.execute(select(Tenant).where(Tenant.slug == "%(tenant)s")).scalar_one()
    admin = Identity(actor_type="system", id="chaos", email=None, name="chaos", role="tenant_admin",
                     tenant_id=tenant.id, tenant_slug=tenant.slug,
                     permissions=permissions_for("tenant_admin", platform_scoped=False))
    data = ApiKeyCreate(name="chaos-admin", role="tenant_admin")
    key = create_api_key(session, tenant=tenant, data=data, actor=admin)
print(json.dumps({"admin_key": key.key}))
"""


def admin_key(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _PREPARE_ADMIN % {"tenant": harness.TENANT}],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"creating the tenant admin key failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["admin_key"]


def db_scalar(sql: str) -> Any:
    """One value from the chaos database, read as the administrator (row-level security does not apply)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(harness.PG_ADMIN, connect_args={"connect_timeout": 3})
    engine = create_engine(engine.url.set(database=PG_DATABASE), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def metric_values(base: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one metric on /metrics ({} when unreachable)."""
    try:
        text = httpx.get(base + "/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}
    pattern = rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+)$"
    return {m.group(1) or "": float(m.group(2)) for m in re.finditer(pattern, text, re.M)}


def log_problems(path: Path) -> dict[str, Any]:
    return harness.Server("x", [], {}, 0, path).log_problems()


class Worker:
    """``creditdesk worker`` in its own process (the API does not run jobs when a broker is configured)."""

    def __init__(self, env: dict[str, str], log_path: Path, threads: int = 2):
        self.env = dict(env, CREDITDESK_LOG_LEVEL="INFO")
        self.log_path = log_path
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as fh:
            self.proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "creditdesk.cli", "worker", "--threads", str(self.threads)],
                env=self.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, cwd=harness.ROOT,
            )  # fmt: skip
        time.sleep(2)
        if self.proc.poll() is not None:
            raise RuntimeError(f"creditdesk worker exited: {self.log_path.read_text()[-2000:]}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def count(self, pattern: str) -> int:
        with contextlib.suppress(OSError):
            return len(re.findall(pattern, self.log_path.read_text(errors="replace")))
        return 0


# --------------------------------------------------------------------------------------------- scenarios


def scenario_postgres(ctx: dict[str, Any]) -> dict[str, Any]:
    load: Load
    with Load(ctx["url"], ctx["key"], ctx["body"], ctx["connections"]) as load:
        time.sleep(8)
        down_at = load.mark("PostgreSQL: stop")
        stop_s = postgres("stop")
        load.mark(f"PostgreSQL stopped ({stop_s} s)")
        time.sleep(3)
        load.mark("PostgreSQL: start")
        starting: dict[str, Any] = {}
        starter = threading.Thread(target=lambda: starting.update(s=postgres("start")), daemon=True)
        starter.start()  # pg_ctlcluster returns a while after the server accepts connections:
        _wait_for(postgres_up, 60, interval=0.1)  # "up" is the first successful pg_isready
        up_at = load.mark("PostgreSQL accepting connections")
        starter.join(timeout=60)
        start_s = starting.get("s")
        # watch until 10 clean seconds in a row, at most the recovery limit + 10 s
        deadline = up_at + RECOVERY_LIMIT_S + 10
        while load.now() < deadline:
            time.sleep(1)
            errs = [t for t, _ in load.errors() if t >= up_at]
            last_err = max(errs, default=up_at)
            if load.now() - last_err >= 10 and load.now() - up_at >= 15:
                break
        end = load.now()
    errors = load.errors()
    before = [o for t, o in errors if t < down_at]
    after_up = [t for t, _ in errors if t >= up_at]
    last_error = max(after_up, default=None)
    recovery_s = round(last_error - up_at, 1) if last_error is not None else 0.0
    first_ok = min((t for t, o, _ in load.samples if t >= up_at and o.startswith("2")), default=None)
    tail_ok = load.phase(end - 5, end)
    checks = {
        "no_errors_before_the_stop": not before,
        "recovered_within_60s": recovery_s <= RECOVERY_LIMIT_S,
        "clean_final_5s": not tail_ok["errors"] and tail_ok["ok_per_s"] > 0,
    }
    return {
        "stop_s": stop_s,
        "down_s": round(up_at - down_at, 1),
        "start_s": start_s,
        "recovery_after_up_s": recovery_s,
        "first_2xx_after_up_s": round(first_ok - up_at, 2) if first_ok is not None else None,
        "errors_total": len(errors),
        "errors_by_outcome": dict(Counter(o for _, o in errors)),
        "errors_while_down": sum(1 for t, _ in errors if down_at <= t < up_at),
        "errors_after_up": len(after_up),
        "phases": {
            "before": load.phase(0, down_at),
            "down": load.phase(down_at, up_at),
            "after_up": load.phase(up_at, end),
        },
        "checks": checks,
        "ok": all(checks.values()),
        "timeline": load.timeline(),
        "events": load.events,
    }


def scenario_rabbitmq(ctx: dict[str, Any]) -> dict[str, Any]:
    base, tenant = ctx["base"], ctx["tenant"]
    admin = {"X-API-Key": ctx["admin_key"]}
    officer = {"X-API-Key": ctx["key"]}
    receiver: WebhookReceiver = ctx["receiver"]
    received_before = len(receiver.received)
    accepted: dict[str, Any] = {}
    with Load(ctx["url"], ctx["key"], ctx["body"], ctx["connections"]) as load:
        time.sleep(5)
        down_at = load.mark("RabbitMQ: stop")
        stop_s = rabbitmq_stop()
        load.mark(f"RabbitMQ stopped ({stop_s} s)")
        time.sleep(2)
        r = httpx.post(
            f"{base}/api/v1/tenants/{tenant}/batches",
            headers=officer,
            files={"file": ("chaos.csv", harness.batch_csv(ctx["batch_rows"], seed=11), "text/csv")},
            timeout=60,
        )
        accepted["batch"] = {"http": r.status_code, **(r.json() if r.status_code == 202 else {"body": r.text[:300]})}
        load.mark(f"batch of {ctx['batch_rows']} rows submitted: HTTP {r.status_code}")
        loans = []
        for i in range(ctx["loans"]):
            r = httpx.post(
                f"{base}/api/v1/tenants/{tenant}/portfolio/loans",
                headers=admin,
                json={
                    "external_ref": f"CHAOS-LOAN-{int(time.time())}-{i}",
                    "customer": {"name": f"Chaos Borrower {i}", "external_ref": f"CHAOS-CUST-{int(time.time())}-{i}"},
                    "principal": "150000",
                    "annual_rate_pct": "16.5",
                    "tenure_months": 12,
                    "disbursed_on": (date.today() - timedelta(days=3)).isoformat(),
                },
                timeout=30,
            )
            loans.append(r.status_code)
            if r.status_code != 201:
                accepted.setdefault("loan_errors", []).append(r.text[:300])
        accepted["loans"] = loans
        load.mark(f"{len(loans)} loans disbursed: HTTP {dict(Counter(loans))}")
        remaining = ctx["rabbit_down_s"] - (load.now() - down_at)
        time.sleep(max(0.0, remaining))
        load.mark("RabbitMQ: start")
        start_s = rabbitmq_start()
        up_at = load.mark(f"RabbitMQ accepting connections (start took {start_s} s)")
        batch_id = accepted["batch"].get("batch_id")
        batch: dict[str, Any] = {}
        done_at = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if batch_id:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    url = f"{base}/api/v1/tenants/{tenant}/batches/{batch_id}"
                    batch = httpx.get(url, headers=officer, timeout=10).json()
            delivered = len(receiver.received) - received_before
            if batch.get("status") in ("succeeded", "failed", "dead") and done_at is None:
                done_at = load.mark(
                    f"batch {batch.get('status')}: {batch.get('done')} done, {batch.get('failed')} failed"
                )
            if done_at is not None and delivered >= ctx["loans"]:
                break
            time.sleep(1)
        delivered_at = load.mark(f"webhook deliveries received: {len(receiver.received) - received_before}")
        time.sleep(3)
        end = load.now()
    errors = load.errors()
    # every decision writes an outbox event, so under load the relay always trails by a poll; once the
    # load stops, the outbox must drain completely
    unpublished_sql = "SELECT count(*) FROM outbox_event WHERE published_at IS NULL"
    unpublished_under_load = db_scalar(unpublished_sql)
    drained = time.monotonic()
    _wait_for(lambda: db_scalar(unpublished_sql) == 0, 60, interval=1)
    drain_s = round(time.monotonic() - drained, 1)
    unpublished = db_scalar(unpublished_sql)
    queued = db_scalar("SELECT count(*) FROM job WHERE status = 'queued'")
    events = db_scalar("SELECT count(*) FROM outbox_event")
    delivered = len(receiver.received) - received_before
    checks = {
        "no_request_errors": not errors,
        "batch_accepted_while_down": accepted["batch"]["http"] == 202,
        "loans_accepted_while_down": all(s == 201 for s in loans),
        "batch_completed_after_return": batch.get("status") == "succeeded",
        "all_outbox_events_published": unpublished == 0,
        "all_webhooks_delivered": delivered >= ctx["loans"],
    }
    return {
        "stop_s": stop_s,
        "down_s": round(up_at - down_at, 1),
        "rabbitmq_start_s": start_s,
        "accepted_while_down": accepted,
        "batch": batch,
        "batch_done_after_return_s": round(done_at - up_at, 1) if done_at is not None else None,
        "webhooks_delivered": delivered,
        "webhooks_delivered_after_return_s": round(delivered_at - up_at, 1),
        "outbox_events_total": events,
        "outbox_unpublished_when_load_stopped": unpublished_under_load,
        "outbox_drained_in_s": drain_s,
        "outbox_unpublished_at_end": unpublished,
        "jobs_queued_at_end": queued,
        "errors_total": len(errors),
        "errors_by_outcome": dict(Counter(o for _, o in errors)),
        "phases": {
            "before": load.phase(0, down_at),
            "down": load.phase(down_at, up_at),
            "after_up": load.phase(up_at, end),
        },
        "checks": checks,
        "ok": all(checks.values()),
        "timeline": load.timeline(),
        "events": load.events,
    }


def scenario_redis(ctx: dict[str, Any]) -> dict[str, Any]:
    base = ctx["base"]
    gauge: dict[str, dict[str, float]] = {}
    with Load(ctx["url"], ctx["key"], ctx["body"], ctx["connections"]) as load:
        time.sleep(5)
        gauge["before"] = metric_values(base, "creditdesk_redis_fallback")
        down_at = load.mark("Redis: stop (shutdown nosave)")
        stop_s = redis_stop()
        load.mark(f"Redis stopped ({stop_s} s)")
        time.sleep(8)
        gauge["down"] = metric_values(base, "creditdesk_redis_fallback")
        load.mark(f"fallback gauge while down: {gauge['down']}")
        time.sleep(max(0.0, ctx["redis_down_s"] - (load.now() - down_at)))
        load.mark("Redis: start")
        start_s = redis_start()
        up_at = load.mark(f"Redis answering (start took {start_s} s)")
        time.sleep(12)  # > the 5 s back-off: each process probes Redis and goes back to it
        gauge["after"] = metric_values(base, "creditdesk_redis_fallback")
        load.mark(f"fallback gauge after return: {gauge['after']}")
        time.sleep(2)
        end = load.now()
    errors = load.errors()
    api = 'component="rate_limit:creditdesk-api"'
    down_values = [v for k, v in gauge["down"].items() if api in k]
    after_values = [v for k, v in gauge["after"].items() if api in k]
    checks = {
        "no_request_errors": not errors,
        "fallback_gauge_1_while_down": bool(down_values) and max(down_values) == 1.0,
        "fallback_gauge_0_after_return": bool(after_values) and max(after_values) == 0.0,
    }
    phases = {"before": load.phase(0, down_at), "down": load.phase(down_at, up_at), "after_up": load.phase(up_at, end)}
    return {
        "stop_s": stop_s,
        "down_s": round(up_at - down_at, 1),
        "redis_start_s": start_s,
        "fallback_gauge": gauge,
        "errors_total": len(errors),
        "errors_by_outcome": dict(Counter(o for _, o in errors)),
        "phases": phases,
        "checks": checks,
        "ok": all(checks.values()),
        "timeline": load.timeline(),
        "events": load.events,
    }


RUNNERS = {"postgres": scenario_postgres, "rabbitmq": scenario_rabbitmq, "redis": scenario_redis}


# --------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=20, help="load-generator threads (connections), 20")
    p.add_argument("--only", default=",".join(SCENARIOS), help="comma list of: postgres, rabbitmq, redis")
    p.add_argument("--rabbit-down", type=float, default=20.0, help="seconds RabbitMQ stays down, 20")
    p.add_argument("--redis-down", type=float, default=15.0, help="seconds Redis stays down, 15")
    p.add_argument("--batch-rows", type=int, default=500, help="rows of the batch submitted while RabbitMQ is down")
    p.add_argument("--loans", type=int, default=5, help="loans disbursed while RabbitMQ is down (one webhook each)")
    p.add_argument("--out", type=Path, default=None, help="results path (default benchmarks/results/chaos-<date>.json)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (server and worker logs)")
    args = p.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    if set(args.only) - set(SCENARIOS):
        p.error(f"unknown scenario: {', '.join(sorted(set(args.only) - set(SCENARIOS)))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("chaos.py stops and starts PostgreSQL, RabbitMQ and Redis: run it as root")
    state = ensure_services()
    if any(v.startswith("FAILED") for v in state.values()):
        sys.exit(f"services not available: {state}")
    harness.raise_nofile()
    report: dict[str, Any] = {
        "at": harness.now_iso(),
        "machine": harness.machine(),
        "connections": args.connections,
        "setup": {},
        "scenarios": {},
    }
    started = time.perf_counter()
    receiver = WebhookReceiver()
    url = harness.postgres_database(PG_DATABASE)
    server: harness.Server | None = None
    worker: Worker | None = None
    try:
        with harness.scratch_dir("creditdesk-chaos-", keep=args.keep) as scratch:
            extra = {
                "CREDITDESK_BROKER_URL": AMQP_URL,
                "CREDITDESK_REDIS_URL": REDIS_URL,
                "CREDITDESK_ALLOW_PRIVATE_ENDPOINTS": "true",  # the webhook receiver is on 127.0.0.1
            }
            log("preparing the database (migrations, a champion on 20,000 rows, a tenant, API keys)")
            server, info = harness.creditdesk_server(
                "chaos", workers=2, database_url=url, data_dir=scratch, extra_env=extra
            )
            key_admin = admin_key(server.env)
            worker = Worker(server.env, scratch / "chaos-worker.log")
            server.start()
            worker.start()
            base = server.base
            tenant = info["tenant"]
            r = httpx.post(
                f"{base}/api/v1/tenants/{tenant}/webhooks",
                headers={"X-API-Key": key_admin},
                json={"url": f"http://127.0.0.1:{receiver.port}/hook", "events": ["loan.disbursed"]},
                timeout=30,
            )
            if r.status_code != 201:
                raise RuntimeError(f"creating the webhook failed: {r.status_code} {r.text[:300]}")
            body = harness.application_body()
            check = httpx.post(
                f"{base}/api/v1/tenants/{tenant}/applications",
                json=body,
                headers={"X-API-Key": info["key"]},
                timeout=30,
            )
            if check.status_code != 201:
                raise RuntimeError(f"a first decision failed: {check.status_code} {check.text[:300]}")
            report["setup"] = {
                "api": f"creditdesk serve --workers 2 (pids {server.pids()})",
                "worker": "creditdesk worker --threads 2",
                "database": "PostgreSQL " + harness.postgres_facts().get("version", "?"),
                "broker": AMQP_URL.replace("guest:guest@", ""),
                "redis": REDIS_URL,
                "startup_s": server.startup_s,
                "load": f"{args.connections} httpx clients, POST …/applications (inline bureau data)",
            }
            ctx = {
                "base": base,
                "tenant": tenant,
                "key": info["key"],
                "admin_key": key_admin,
                "url": f"{base}/api/v1/tenants/{tenant}/applications",
                "body": body,
                "connections": args.connections,
                "receiver": receiver,
                "batch_rows": args.batch_rows,
                "loans": args.loans,
                "rabbit_down_s": args.rabbit_down,
                "redis_down_s": args.redis_down,
            }
            for name in args.only:
                log(f"scenario {name}")
                server.settle(max_wait=20)
                try:
                    result = RUNNERS[name](ctx)
                except Exception as exc:  # noqa: BLE001 - record it, restore the services, go on
                    result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                    log(f"scenario {name} crashed: {result['error']}")
                result["services_after"] = ensure_services()
                result["api_alive"] = server.proc is not None and server.proc.poll() is None
                result["worker_alive"] = worker.alive()
                report["scenarios"][name] = result
                log(f"scenario {name}: {'PASS' if result.get('ok') else 'FAIL'} {result.get('checks', '')}")
            report["metrics_end"] = {
                "creditdesk_job_send_failures_total": metric_values(base, "creditdesk_job_send_failures_total"),
                "creditdesk_redis_errors_total": metric_values(base, "creditdesk_redis_errors_total"),
                "creditdesk_http_shed_total": metric_values(base, "creditdesk_http_shed_total"),
            }
            server.stop()
            worker.stop()
            report["api_log"] = server.log_problems()
            report["worker_log"] = log_problems(worker.log_path)
            report["worker_log"]["jobs_resent_lines"] = worker.count(r"re-sent job messages")
            report["worker_log"]["send_failures_lines"] = worker.count(r"job message not sent")
            report["api_log"]["send_failures_lines"] = len(
                re.findall(r"job message not sent", server.log_path.read_text(errors="replace"))
            )
            report["api_log"]["error_lines_sample"] = _error_samples(server.log_path)
    finally:
        if server is not None:
            server.stop()
        if worker is not None:
            worker.stop()
        receiver.close()
        report["services_at_end"] = ensure_services()
        harness.drop_postgres_database(PG_DATABASE)
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["ok"] = all(s.get("ok") for s in report["scenarios"].values())

    for name, result in report["scenarios"].items():
        if "timeline" in result:
            print_timeline(name, result["timeline"])
    print("\n### summary")
    for name, result in report["scenarios"].items():
        summary = {k: v for k, v in result.items() if k not in ("timeline", "events", "phases")}
        print(f"{name}: {'PASS' if result.get('ok') else 'FAIL'}")
        print("  " + json.dumps(summary, default=str))
        for phase, figures in (result.get("phases") or {}).items():
            print(f"  {phase:<9} {json.dumps(figures)}")
    out = args.out or harness.dated_path(harness.BENCH / "results", f"chaos-{harness.today()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    log(f"results: {out}  ({report['total_s']} s, {'all scenarios passed' if report['ok'] else 'FAILURES'})")
    return 0 if report["ok"] else 1


def _error_samples(path: Path, limit: int = 5) -> list[str]:
    """The first few distinct error/exception log events (trimmed), to say what failed and where."""
    seen: dict[str, str] = {}
    with contextlib.suppress(OSError), open(path, errors="replace") as fh:
        for line in fh:
            if '"level": "error"' not in line and '"level":"error"' not in line:
                continue
            m = re.search(r'"event":\s*"([^"]{0,160})', line)
            key = m.group(1) if m else line[:80]
            if key not in seen:
                seen[key] = line.strip()[:2000]
            if len(seen) >= limit:
                break
    return list(seen.values())


if __name__ == "__main__":
    sys.exit(main())
