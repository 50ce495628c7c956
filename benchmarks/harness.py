"""Shared machinery of the HTTP benchmark (``http_bench.py``) and the soak test (``soak.py``).

* a server under test: a fresh database (SQLite in a temporary data directory, or a fresh PostgreSQL
  database), a champion model, a tenant and an API key prepared by a child process, then
  ``creditdesk serve`` started in production mode with explicit secrets;
* process accounting from ``/proc``: CPU seconds (utime + stime, plus the reaped children's
  cutime + cstime) and RSS/PSS summed over the server process and all its descendants — the uvicorn
  master and its worker processes;
* a ``wrk`` run with ``wrk_report.lua``, which counts responses by status code and prints latency
  percentiles as JSON;
* a ``GET /healthz`` prober (one request every 200 ms on a new connection, each in its own thread so a
  slow answer does not delay the next probe);
* the CSV batch (DESIGN.md §5 flat columns) uploaded and polled until the job finishes;
* for the benchmarks with simulators (``money_bench.py``, ``channels_bench.py``): an ASGI app in its own
  uvicorn process (:func:`app_server`) and :class:`Meter` — CPU of the server tree, one database's
  PostgreSQL processes, the simulators and the whole machine over a block.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
LUA = BENCH / "wrk_report.lua"
SAMPLE = ROOT / "data" / "sample_application.json"
PG_ADMIN = os.environ.get("CREDITDESK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_ROLE = "creditdesk_test"
TENANT = "bench-nbfc"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(message: str) -> None:
    """Progress goes to stderr; stdout is kept for the final report."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def raise_nofile(target: int = 65536) -> int:
    """Raise this process's open-file limit (inherited by wrk and the servers) for 2,000 connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want_soft, want_hard in ((target, max(hard, target)), (min(target, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want_soft, want_hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def application_body() -> dict[str, Any]:
    """The request body every run sends: data/sample_application.json with inline bureau data (no pulls)."""
    body = json.loads(SAMPLE.read_text())
    body.pop("pull_bureaus", None)
    return body


# --------------------------------------------------------------------------------------------- /proc


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from `state` on (the command may contain spaces)


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant (uvicorn's master, its workers, multiprocessing helpers)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            tree.append(pid)
            todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each process plus cutime + cstime (children it has reaped), in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            ticks += sum(int(v) for v in fields[11:15])
    return ticks / CLK_TCK


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (postmaster and backends), by command name."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry.name}/comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def system_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat minus idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def memory(pids: list[int]) -> dict[str, int]:
    """RSS and PSS summed over ``pids`` (PSS splits shared pages, so the sum does not double count)."""
    rss = pss = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            rss += int(fields[21]) * PAGE
        with contextlib.suppress(OSError):
            m = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
            if m:
                pss += int(m.group(1)) * 1024
    return {"rss_bytes": rss, "pss_bytes": pss, "processes": len(pids)}


# --------------------------------------------------------------------------------------------- servers


def postgres_database(name: str) -> str:
    """A fresh PostgreSQL database owned by an ordinary role (row-level security applies), as its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": PG_ROLE}).first():
            conn.execute(text(f"CREATE ROLE {PG_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name} OWNER {PG_ROLE}"))
    url = admin.url.set(username=PG_ROLE, password=None, database=name).render_as_string(hide_password=False)
    admin.dispose()
    return url


def drop_postgres_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with contextlib.suppress(Exception), admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def postgres_facts() -> dict[str, str]:
    from sqlalchemy import create_engine, text

    facts: dict[str, str] = {}
    try:
        admin = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            facts["version"] = conn.execute(text("SHOW server_version")).scalar_one()
            for name in ("max_connections", "shared_buffers", "synchronous_commit", "fsync"):
                facts[name] = conn.execute(text(f"SHOW {name}")).scalar_one()
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        facts["error"] = type(exc).__name__
    return facts


def server_env(data_dir: Path, database_url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production mode with explicit secrets; rate limits out of the way; batches of 100,000 rows allowed."""
    from creditdesk.config import generate_encryption_key

    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        {
            "CREDITDESK_MODE": "production",
            "CREDITDESK_DATA_DIR": str(data_dir),
            "CREDITDESK_JWT_SECRET": "bench-" + "x" * 40,
            "CREDITDESK_ENCRYPTION_KEYS": generate_encryption_key("b1"),
            "CREDITDESK_RATE_LIMIT_PER_TENANT": "100000000/minute",
            "CREDITDESK_RATE_LIMIT_PER_API_KEY": "100000000/minute",
            "CREDITDESK_MAX_BATCH_ROWS": "100000",
            "CREDITDESK_MAX_UPLOAD_BYTES": str(256 * 1024 * 1024),
            "CREDITDESK_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
        }
    )
    if database_url:
        env["CREDITDESK_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


_PREPARE = r"""
import json
from creditdesk.config import get_settings
from creditdesk.migrations import upgrade
from creditdesk.db import init_database
from creditdesk.ml import registry
from creditdesk.ml.training import train_default_model
from creditdesk.tenancy.models import Tenant
from creditdesk.auth.service import create_api_key
from creditdesk.auth.schemas import ApiKeyCreate
from creditdesk.auth.principal import Identity
from creditdesk.tenancy.permissions import permissions_for
s = get_settings(); upgrade(s.sqlalchemy_url); db = init_database(s.sqlalchemy_url)
result = train_default_model(seed=1, n=20000, swap_set=False)
with db.session() as session, session.begin():
    registry.register(session, tenant_id=None, result=result, name="bench", dataset="synthetic", target="default",
                      created_by=None, status="champion")
    tenant = Tenant(slug="%(tenant)s", name="Bench NBFC"); session.add(tenant); session.flush()
    admin = Identity(actor_type="system", id="bench", email=None, name="bench", role="tenant_admin",
                     tenant_id=tenant.id, tenant_slug=tenant.slug,
                     permissions=permissions_for("tenant_admin", platform_scoped=False))
    key = create_api_key(session, tenant=tenant, data=ApiKeyCreate(name="bench", role="field_officer"), actor=admin)
print(json.dumps({"tenant": "%(tenant)s", "key": key.key, "model_trees": result.report.get("best_iteration")}))
"""


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Migrate, register a champion (20,000 synthetic rows), create a tenant and an API key — in a child."""
    out = subprocess.run(
        [sys.executable, "-c", _PREPARE % {"tenant": TENANT}], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"preparing the benchmark database failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class Server:
    """A server process under test; accounting covers it and all its descendants."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    ready_path: str = "/readyz"
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240.0) -> Server:
        started = time.perf_counter()
        with open(self.log_path, "ab") as fh:
            self.proc = subprocess.Popen(  # noqa: S603
                self.cmd, env=self.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + self.ready_path, timeout=2).status_code == 200:
                    self.startup_s = round(time.perf_counter() - started, 2)
                    # uvicorn --workers N: wait until every worker process is up, not only the first
                    time.sleep(1.0)
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        assert self.proc is not None
        return process_tree(self.proc.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def memory(self) -> dict[str, int]:
        return memory(self.pids())

    def settle(self, *, idle_cores: float = 0.1, max_wait: float = 60.0) -> float:
        """Wait until the server is idle (requests still queued from the last run finished); seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < max_wait:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if (self.cpu_seconds() - before) / 0.5 < idle_cores:
                break
        return round(time.monotonic() - started, 1)

    def counter(self, name: str) -> float:
        """Sum of a Prometheus counter's samples on /metrics (0 when absent or unreachable)."""
        try:
            text = httpx.get(self.base + "/metrics", timeout=10).text
        except httpx.HTTPError:
            return float("nan")
        return sum(float(v) for v in re.findall(rf"^{name}(?:\{{[^}}]*\}})? ([0-9.e+-]+)$", text, re.M))

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # uvicorn's master stops its workers
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # the session this harness started for it
            self.proc.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def log_problems(self) -> dict[str, Any]:
        """Warnings, errors and tracebacks the server logged (structured JSON lines at WARNING and above)."""
        levels: dict[str, int] = {}
        events: dict[str, int] = {}
        tracebacks = 0
        with contextlib.suppress(OSError), open(self.log_path, errors="replace") as fh:
            for line in fh:
                if line.startswith("Traceback"):
                    tracebacks += 1
                m = re.search(r'"level":\s*"(\w+)"', line)
                if not m:
                    continue
                levels[m.group(1)] = levels.get(m.group(1), 0) + 1
                e = re.search(r'"event":\s*"([^"]{0,120})', line)
                if e and m.group(1) in ("error", "critical", "exception"):
                    events[e.group(1)] = events.get(e.group(1), 0) + 1
        top = sorted(events.items(), key=lambda kv: -kv[1])[:8]
        return {"levels": levels, "tracebacks": tracebacks, "error_events": dict(top)}


def creditdesk_server(
    name: str, *, workers: int, database_url: str | None, data_dir: Path, extra_env: dict[str, str] | None = None
) -> tuple[Server, dict[str, Any]]:
    """Prepare the database and return a (not yet started) ``creditdesk serve`` and the tenant/API key."""
    env = server_env(data_dir, database_url, extra_env)
    info = prepare(env)
    port = free_port()
    env["CREDITDESK_HEALTH_PORT"] = str(free_port())  # the probes' own listener (kit/health.py)
    cmd = [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return Server(name, cmd, env, port, data_dir / f"{name}-server.log"), info


def reference_server(data_dir: Path) -> Server:
    """The minimal FastAPI app (benchmarks/minimal_app.py) under uvicorn, one process."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH),
        "minimal_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return Server("reference", cmd, env, port, data_dir / "reference-server.log", ready_path="/healthz")


def app_server(name: str, app: str, log_path: Path, *, ready_path: str = "/healthz", factory: bool = True) -> Server:
    """An ASGI app (``module:factory``, importable from benchmarks/ or the package) under uvicorn, one process.

    The simulators the benchmarks call run this way, apart from the server: their state is in memory, and
    a request routed to another server process would not find it. No ``CREDITDESK_*`` setting reaches it.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH), *(["--factory"] if factory else []), app]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return Server(name, cmd, env, port, log_path, ready_path=ready_path)


# --------------------------------------------------------------------------------------------- accounting


def pg_pids_of(database: str) -> list[int]:
    """The PostgreSQL processes working for ``database`` (its backends) and the server's shared ones
    (checkpointer, WAL writer, …) — not other databases' backends (other tests on the same server)."""
    mine = []
    for pid in postgres_pids():
        with contextlib.suppress(OSError):
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "127.0.0.1(" not in title and "[local]" not in title or f" {database} " in title:
                mine.append(pid)
    return mine


class Meter:
    """CPU of the server tree, this database's PostgreSQL processes and the whole machine over a block."""

    def __init__(self, server: Server, database: str, extra: list[Server] | None = None) -> None:
        self.server, self.database, self.extra = server, database, extra or []

    def pids(self) -> set[int]:
        return set(self.server.pids())

    def _read(self) -> tuple[float, float, float, float, float]:
        pg = cpu_seconds(pg_pids_of(self.database))
        extra = sum(s.cpu_seconds() for s in self.extra)
        return time.perf_counter(), self.server.cpu_seconds(), pg, extra, system_busy_seconds()

    def __enter__(self) -> Meter:
        self.pids_before = self.pids()
        self.before = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._read()
        wall, server, pg, extra, busy = (a - b for a, b in zip(after, self.before, strict=True))
        self.result = {
            "wall_s": round(wall, 2),
            "server_cpu_s": round(server, 2),
            "postgres_cpu_s": round(pg, 2),
            "simulators_cpu_s": round(extra, 2),
            "machine_busy_s": round(busy, 2),
            "machine_busy_cores": round(busy / wall, 2),
            # server processes that were not there at the start: a worker uvicorn restarted (it kills a
            # worker that does not answer its health check within 5 s)
            "server_processes_started": len(self.pids() - self.pids_before),
        }


# --------------------------------------------------------------------------------------------- load


class HealthProbe:
    """``GET /healthz`` every ``interval`` seconds on a fresh connection, each probe in its own thread."""

    def __init__(self, base: str, interval: float = 0.2, timeout: float = 15.0):
        self.url = base + "/healthz"
        self.interval = interval
        self.timeout = timeout
        self.latencies_ms: list[float] = []
        self.failures: dict[str, int] = {}
        self.samples: list[tuple[float, float | str]] = []  # (seconds since the first probe, ms or failure)
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=int(timeout / interval) + 8, thread_name_prefix="healthz")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _probe(self) -> None:
        started = time.perf_counter()
        try:
            status = httpx.get(self.url, timeout=self.timeout).status_code
            outcome = None if status == 200 else f"http_{status}"
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with self._lock:
            self.samples.append((round(started - self._t0, 2), round(elapsed, 1) if outcome is None else outcome))
            if outcome is None:
                self.latencies_ms.append(elapsed)
            else:
                self.failures[outcome] = self.failures.get(outcome, 0) + 1

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._pool.submit(self._probe)
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> HealthProbe:
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "interval_ms": int(self.interval * 1000),
            "probes": len(lat) + sum(self.failures.values()),
            "ok": len(lat),
            "failures": self.failures,
            "p50_ms": round(percentile(lat, 50), 2) if lat else None,
            "p99_ms": round(percentile(lat, 99), 2) if lat else None,
            "max_ms": round(lat[-1], 2) if lat else None,
            "samples": sorted(self.samples, key=lambda s: s[0]),
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(pct / 100 * len(sorted_values) + 0.4999)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    text = (out.stdout + out.stderr).strip()
    return text.splitlines()[0].split(" Copyright")[0].strip() if text else "?"


def wrk_command(
    url: str,
    *,
    connections: int,
    duration: float,
    body_file: Path | None,
    api_key: str | None,
    timeout_s: float,
    threads: int,
    script: Path = LUA,
    script_env: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The wrk command line (``-t`` never above the connections) and its environment for the Lua script."""
    env = dict(os.environ, BENCH_BODY_FILE=str(body_file or ""), BENCH_API_KEY=api_key or "", **(script_env or {}))
    cmd = [
        "wrk",
        f"-t{max(1, min(threads, connections))}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        f"{max(1, round(timeout_s))}s",
        "-s",
        str(script),
        url,
    ]
    return cmd, env


def parse_wrk(stdout: str, stderr: str = "", returncode: int = 0) -> dict[str, Any]:
    """Throughput, statuses, socket errors and latency percentiles from wrk_report.lua's BENCH_RESULT line."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result (exit {returncode}):\n{stdout}\n{stderr}")
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    seconds = raw["duration_us"] / 1e6
    statuses = {k: raw["status"][k] for k in sorted(raw["status"])}
    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    errors = {k: raw["errors"][k] for k in ("connect", "read", "write", "timeout")}
    lat = raw["latency_us"]
    known = {"requests", "duration_us", "bytes", "status", "errors", "latency_us"}
    return {
        **{k: v for k, v in raw.items() if k not in known},  # what another script adds (wrk_webhooks.lua)
        "duration_s": round(seconds, 2),
        "requests": raw["requests"],
        "ok": ok,
        "rps": round(raw["requests"] / seconds, 1),
        "goodput_rps": round(ok / seconds, 1),
        "status": statuses,
        "non_2xx": {s: n for s, n in statuses.items() if not s.startswith("2")},
        "socket_errors": errors,
        "socket_errors_total": sum(errors.values()),
        "latency_ms": (
            {k: round(lat[k] / 1000, 2) for k in ("p50", "p75", "p90", "p99", "p99.9", "max", "mean")}
            if statuses
            else None
        ),
    }


def run_wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    body_file: Path | None,
    api_key: str | None = None,
    server: Server | None = None,
    timeout_s: float = 10.0,
    threads: int = 2,
    probe: bool = False,
    script: Path = LUA,
    script_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One wrk run; returns throughput, latency, statuses, socket errors and the server's CPU per 2xx."""
    cmd, env = wrk_command(
        url,
        connections=connections,
        duration=duration,
        body_file=body_file,
        api_key=api_key,
        timeout_s=timeout_s,
        threads=threads,
        script=script,
        script_env=script_env,
    )
    creditdesk = server is not None and server.name != "reference"
    pg = postgres_pids()
    cpu_before = server.cpu_seconds() if server else 0.0
    shed_before = server.counter("creditdesk_http_shed_total") if creditdesk else 0.0
    load_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_before, busy_before = cpu_seconds(pg), system_busy_seconds()
    wall = time.perf_counter()
    prober = HealthProbe(server.base) if (probe and server) else None
    health_port = server.env.get("CREDITDESK_HEALTH_PORT") if server else None
    # the same probe on the health listener (its own thread and port), which orchestrators should use
    port_prober = HealthProbe(f"http://127.0.0.1:{health_port}") if (probe and health_port) else None
    with prober or contextlib.nullcontext(), port_prober or contextlib.nullcontext():
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        # measured when wrk stops (before waiting for the last probes): CPU spent on requests still queued
        # when the run ends is part of the cost of the 2xx answered in it, CPU after it is not
        wall = time.perf_counter() - wall
        load_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_after = server.cpu_seconds() if server else 0.0
        pg_cpu = cpu_seconds(postgres_pids()) - pg_before  # backends that started during the run count from 0
        busy = system_busy_seconds() - busy_before
    parsed = parse_wrk(out.stdout, out.stderr, out.returncode)
    ok = parsed.pop("ok")
    cpu = cpu_after - cpu_before
    wrk_cpu = load_after.ru_utime + load_after.ru_stime - load_before.ru_utime - load_before.ru_stime
    result: dict[str, Any] = {
        "connections": connections,
        "threads": int(cmd[1][2:]),
        **parsed,
        "server_cpu_s": round(cpu, 2) if server else None,
        "server_cpu_cores": round(cpu / wall, 2) if server else None,
        "cpu_ms_per_2xx": round(cpu * 1000 / ok, 2) if (server and ok) else None,
        "postgres_cpu_s": round(pg_cpu, 2),
        "postgres_cpu_ms_per_2xx": round(pg_cpu * 1000 / ok, 3) if ok else None,
        "wrk_cpu_s": round(wrk_cpu, 2),
        # the machine's busy CPU not spent by the server, PostgreSQL or wrk: this harness (probes) and
        # anything else running — a large figure means the run was disturbed
        "other_cpu_s": round(busy - (cpu if server else 0.0) - pg_cpu - wrk_cpu, 2),
        "machine_busy_cores": round(busy / wall, 2),
    }
    if creditdesk:
        result["shed"] = server.counter("creditdesk_http_shed_total") - shed_before
    if server:
        result["server_memory"] = server.memory()
    if prober:
        result["healthz"] = prober.summary()
    if port_prober:
        result["healthz_port"] = port_prober.summary()
    return result


def describe_run(label: str, r: dict[str, Any]) -> str:
    lat = r["latency_ms"] or {}
    extra = f" healthz max {r['healthz']['max_ms']} ms p99 {r['healthz']['p99_ms']} ms" if r.get("healthz") else ""
    if r.get("healthz_port"):
        extra += f" (health port: max {r['healthz_port']['max_ms']} ms p99 {r['healthz_port']['p99_ms']} ms)"
    return (
        f"{label} c={r['connections']:<5} {r['rps']:>8.1f} req/s  goodput {r['goodput_rps']:>8.1f}/s  "
        f"p50 {lat.get('p50', '-')} p90 {lat.get('p90', '-')} p99 {lat.get('p99', '-')} ms  "
        f"non-2xx {r['non_2xx'] or 0}  sock {r['socket_errors_total']}  "
        f"cpu/2xx {r['cpu_ms_per_2xx']} ms{extra}"
    )


# --------------------------------------------------------------------------------------------- batch

_EMPLOYMENT = ["salaried", "salaried", "salaried", "self_employed", "gig", "farmer"]
_PURPOSE = ["personal", "business", "education", "vehicle", "home_improvement", "consumer_durable", "medical"]
_RESIDENCE = ["rented", "owned", "family"]
_STATES = ["Maharashtra", "Karnataka", "Tamil Nadu", "Gujarat", "Uttar Pradesh", "West Bengal", "Rajasthan"]
CSV_COLUMNS = [
    "external_ref",
    "name",
    "pan",
    "date_of_birth",
    "phone",
    "email",
    "employment_type",
    "employment_years",
    "monthly_income",
    "existing_emi",
    "residence_type",
    "city_tier",
    "state",
    "loan_amount",
    "tenure_months",
    "interest_rate",
    "purpose",
    "bureau_score",
    "bureau_utilization",
    "bureau_dpd_30_last_12m",
    "bureau_max_dpd_last_24m",
    "bureau_enquiries_last_6m",
    "bureau_credit_history_months",
    "bureau_active_accounts",
    "alt_avg_monthly_inflow",
    "alt_inflow_regularity",
    "alt_bounced_emis_last_6m",
    "alt_upi_txn_per_month",
]


def batch_csv(rows: int, seed: int = 7) -> bytes:
    """``rows`` varied, valid applications as flat CSV (DESIGN.md §5 columns), deterministic for a seed."""
    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for i in range(rows):
        income = rng.choice([18000, 25000, 32000, 45000, 65000, 90000, 150000]) + rng.randrange(0, 5000)
        ntc = rng.random() < 0.15  # new to credit: no bureau record
        initials = letters[i % 26] + letters[i // 26 % 26] + letters[i // 676 % 26]
        pan = f"{initials}P{letters[i // 17576 % 26]}{i % 10000:04d}K"  # unique for i < 130,000
        bureau = (
            [""] * 7
            if ntc
            else [
                rng.randrange(560, 860),
                round(rng.random() * 0.9, 2),
                int(rng.random() < 0.1),
                rng.choice([0, 0, 0, 15, 30, 60]),
                rng.randrange(0, 6),
                rng.randrange(6, 180),
                rng.randrange(1, 8),
            ]
        )
        w.writerow(
            [
                f"BATCH-{i:06d}",
                f"Applicant {i}",
                pan,
                f"{rng.randrange(1965, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                f"+9198{rng.randrange(10_000_000, 99_999_999)}",
                f"applicant{i}@example.com",
                rng.choice(_EMPLOYMENT),
                rng.randrange(0, 25),
                income,
                rng.choice([0, 0, 2000, 5000, 8000, 15000]),
                rng.choice(_RESIDENCE),
                rng.choice([1, 2, 3]),
                rng.choice(_STATES),
                rng.choice([50000, 100000, 200000, 300000, 500000]),
                rng.choice([12, 24, 36, 48]),
                round(rng.uniform(11, 26), 1),
                rng.choice(_PURPOSE),
                *bureau,
                round(income * rng.uniform(0.8, 1.3)),
                round(rng.uniform(0.4, 1.0), 2),
                rng.choice([0, 0, 0, 1, 2]),
                rng.randrange(5, 120),
            ]
        )
    return buf.getvalue().encode()


def run_batch(server: Server, *, tenant: str, key: str, rows: int, deadline_s: float = 3600.0) -> dict[str, Any]:
    """Upload a CSV of ``rows`` applications, poll until the job ends; rows/s end to end and CPU per row."""
    content = batch_csv(rows)
    headers = {"X-API-Key": key}
    base = f"{server.base}/api/v1/tenants/{tenant}/batches"
    cpu_before = server.cpu_seconds()
    peak_rss = 0
    started = time.perf_counter()
    r = httpx.post(base, headers=headers, timeout=600, files={"file": ("bench.csv", content, "text/csv")})
    upload_s = time.perf_counter() - started
    if r.status_code != 202:
        return {"rows": rows, "status": f"upload_http_{r.status_code}", "error": r.text[:500]}
    batch = r.json()
    state: dict[str, Any] = {}
    polls_failed = 0
    while time.perf_counter() - started < deadline_s:
        try:
            state = httpx.get(f"{base}/{batch['batch_id']}", headers=headers, timeout=30).json()
        except (httpx.HTTPError, ValueError):
            polls_failed += 1
        peak_rss = max(peak_rss, server.memory()["rss_bytes"])
        if state.get("status") in ("succeeded", "failed", "dead"):
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    return {
        "rows": rows,
        "csv_bytes": len(content),
        "upload_s": round(upload_s, 2),
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed, 1),
        "status": state.get("status", "timeout"),
        "done": state.get("done"),
        "failed": state.get("failed"),
        "server_cpu_s": round(cpu, 2),
        "cpu_ms_per_row": round(cpu * 1000 / rows, 3),
        "peak_server_rss_mb": round(peak_rss / 2**20, 1),
        "polls_failed": polls_failed,
    }


# --------------------------------------------------------------------------------------------- context


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        model = m.group(1) if m else ""
    mem = ""
    with contextlib.suppress(OSError):
        m = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(m.group(1)) / 2**20:.1f} GiB" if m else ""
    import sqlite3

    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version(),
        "postgresql": postgres_facts(),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def dated_path(directory: Path, stem: str, suffix: str = ".json") -> Path:
    """``directory/<stem><suffix>``, or ``<stem>-2<suffix>``, … when a run of the same day already exists."""
    directory.mkdir(parents=True, exist_ok=True)
    path, n = directory / f"{stem}{suffix}", 2
    while path.exists():
        path, n = directory / f"{stem}-{n}{suffix}", n + 1
    return path


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
