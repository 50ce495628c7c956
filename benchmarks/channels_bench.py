"""Channels under load (issue #15): messages accepted and sent per second through the queue.

A fresh PostgreSQL database holds one tenant (its time zone a fixed offset where it is about midday,
so the contact window is open), a ``tenant_admin`` API key, its SMS account on the SMS simulator, one
approved SMS template (DLT-registered, maker–checker: written by one user, approved by another) and
``--loans`` loans, each to its own borrower with a mobile number ending in 0–6 (the simulator delivers
those). ``creditdesk serve --workers 2`` in **production** mode (``CREDITDESK_ALLOW_PRIVATE_ENDPOINTS``
so the send job may call the simulator on 127.0.0.1; ``CREDITDESK_PUBLIC_BASE_URL`` the server's own
address, where the receipts come back) with no broker: each server process runs its embedded worker,
which sends the queued messages. The channel simulators run in their own process at zero latency
(``uvicorn --factory creditdesk.channels.simulator:build_channel_simulator_app``).

``wrk`` posts ``POST /api/v1/tenants/{t}/messages`` for ``--duration`` seconds at ``--connections``: every
request a distinct message (its own ``Idempotency-Key``) to a borrower, each borrower at most
``--per-borrower`` times (the SMS cap is 3 a day). The bodies and keys are written to a file before the
run; the Lua script (:data:`LUA`, written next to it) sends them in order, a different one per request,
and counts the answers by status and by the message's status (``queued`` or ``blocked``). Then the script
waits until every accepted message is delivered (the job sends it to the simulator, which posts the
signed ``submitted`` and ``delivered`` receipts back to the server) and reads the ``message`` table:

- **accepted/s** — 202 answers ÷ wrk's duration;
- **sent/s**, **delivered/s** — messages sent (delivered) ÷ seconds from the first accepted message's
  ``created_at`` to the last ``sent_at`` (``delivered_at``): the drain after wrk stops is included;
- CPU of the server tree (``serve`` and its worker processes), of this database's PostgreSQL processes,
  of the simulators and of the whole machine, from wrk's start until the last message was delivered,
  per delivered message.

The reference — ``minimal_app.py``'s ``POST /score`` under uvicorn, one process — runs at the same
connections in the same run: the HTTP floor of Python + uvicorn + FastAPI + Pydantic on this machine.

    .venv/bin/python benchmarks/channels_bench.py [--duration 15] [--connections 50] [--loans 5000]
        [--per-borrower 2] [--workers 2] [--worker-threads N] [--profile] [--skip-reference] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from creditdesk.channels.simulator import sms as sms_sim

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import log  # noqa: E402

DB = "creditdesk_bench_channels"
THREADS = 2
SIMULATORS_APP = "creditdesk.channels.simulator:build_channel_simulator_app"
DLT_TEMPLATE_ID = "1107161234567890123"
ENTITY_ID = "1201159543060917386"
BODY = "Dear {{customer_name}}, your EMI of {{amount}} is due. Pay to stay on track."
VARIABLES = {"customer_name": {"type": "text", "max_length": 30}, "amount": {"type": "amount", "max_length": 20}}
#: the states a message moves through after it is accepted; the drain waits until none is left in the first two
PENDING = ("queued", "sent")

#: wrk script: POSTs the messages of a file, a different one per request, with its own Idempotency-Key
LUA = r"""
-- channels_bench.py's wrk script (written next to the message file at each run).
-- BENCH_MESSAGES_FILE: one message per line, "<Idempotency-Key> <JSON body>"; BENCH_THREADS: wrk's -t.
-- Thread k sends lines k, k + T, k + 2T, … in order; a thread that runs out starts again (counted in
-- "wrapped": its answers are then replays of the same key). BENCH_API_KEY is sent as X-API-Key.
local path = os.getenv("BENCH_MESSAGES_FILE")
local total_threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local api_key = os.getenv("BENCH_API_KEY")
local next_id = 0
local threads = {}

function setup(thread)
   thread:set("thread_index", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   outcomes = {}
   wrapped = 0
   requests_made = {}
   local fh = assert(io.open(path, "rb"), "BENCH_MESSAGES_FILE not readable: " .. tostring(path))
   local n = 0
   for line in fh:lines() do
      if n % total_threads == thread_index then
         local key, body = line:match("^(%S+) (.+)$")
         local headers = {["Content-Type"] = "application/json", ["X-API-Key"] = api_key, ["Idempotency-Key"] = key}
         table.insert(requests_made, wrk.format("POST", nil, headers, body))
      end
      n = n + 1
   end
   fh:close()
   position = 0
end

function request()
   position = position + 1
   if position > #requests_made then
      position = 1
      wrapped = wrapped + 1
   end
   return requests_made[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 202 then
      local outcome = body:match('"status"%s*:%s*"(%w+)"') or "?"
      outcomes[outcome] = (outcomes[outcome] or 0) + 1
   end
end

local function merge(name)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get(name)
      if counts then
         for k, n in pairs(counts) do
            merged[k] = (merged[k] or 0) + n
         end
      end
   end
   return merged
end

local function json_map(map, fmt)
   local parts = {}
   for k, n in pairs(map) do
      table.insert(parts, string.format(fmt, k, n))
   end
   return table.concat(parts, ",")
end

function done(summary, latency, requests)
   local sent, wraps = 0, 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("position") or 0)
      wraps = wraps + (thread:get("wrapped") or 0)
   end
   local pct = {}
   for _, p in ipairs({50, 75, 90, 99, 99.9}) do
      table.insert(pct, string.format('"p%s":%d', tostring(p), latency:percentile(p)))
   end
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"status":{%s},"outcomes":{%s},'
         .. '"last_position":%d,"wrapped":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{%s,"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes, json_map(merge("statuses"), '"%d":%d'),
      json_map(merge("outcomes"), '"%s":%d'), sent, wraps,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
      summary.errors.timeout, table.concat(pct, ","), latency.min, latency.max, latency.mean, latency.stdev))
end
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=None, help="seconds of wrk (15; 3 with --quick)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--loans", type=int, default=None, help="loans, one borrower each (5000; 300 with --quick)")
    p.add_argument(
        "--per-borrower", type=int, default=2, help="messages per borrower at most (2; the SMS cap is 3/day)"
    )
    p.add_argument("--workers", type=int, default=2, help="server processes, each with its embedded worker (2)")
    p.add_argument(
        "--worker-threads", type=int, default=None, help="job threads per server process (the product's default: 2)"
    )
    p.add_argument("--warmup", type=int, default=40, help="messages sent one by one before the run (40)")
    p.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for every message delivered")
    p.add_argument("--profile", action="store_true", help="py-spy each server process during the run (needs py-spy)")
    p.add_argument(
        "--profile-gil",
        action="store_true",
        help="with --profile: sample only the thread holding the GIL (Python's CPU; misses C work without the GIL)",
    )
    p.add_argument("--skip-reference", action="store_true")
    p.add_argument("--quick", action="store_true", help="smoke check: 3 s, 300 loans")
    p.add_argument("--out", type=Path, default=None, help="results JSON (default results/channels-<date>.json)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (server logs, profiles)")
    args = p.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 15)
    args.loans = args.loans or (300 if args.quick else 5000)
    return args


# --------------------------------------------------------------------------------------------- prepare


def zone_at_noon() -> str:
    """A fixed-offset zone where it is now about midday (the 08:00–19:00 contact window is open there)."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def phone(i: int) -> str:
    """Borrower ``i``'s made-up mobile number; its last digit is 0–6, which the SMS simulator delivers."""
    return f"+919{i // 7:08d}{i % 7}"


_PREPARE = r"""
import json, sys
from datetime import timedelta
from decimal import Decimal
from creditdesk.audit.service import SystemActor
from creditdesk.auth.principal import Identity
from creditdesk.auth.schemas import ApiKeyCreate
from creditdesk.auth.service import create_api_key
from creditdesk.channels import accounts
from creditdesk.channels import service as channels
from creditdesk.channels.schemas import ChannelSettingsUpdate, TemplateCreate
from creditdesk.config import get_settings
from creditdesk.db import init_database, set_tenant_scope
from creditdesk.migrations import upgrade
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import permissions_for
spec = json.loads(sys.argv[1])
s = get_settings(); upgrade(s.sqlalchemy_url); db = init_database(s.sqlalchemy_url)
with db.session() as session, session.begin():
    tenant = Tenant(slug=spec["tenant"], name="Bench NBFC", timezone=spec["timezone"])
    session.add(tenant); session.flush()
    set_tenant_scope(session, tenant.id)
    admin = Identity(actor_type="system", id="bench", email=None, name="bench", role="tenant_admin",
                     tenant_id=tenant.id, tenant_slug=tenant.slug,
                     permissions=permissions_for("tenant_admin", platform_scoped=False))
    key = create_api_key(session, tenant=tenant, data=ApiKeyCreate(name="bench", role="tenant_admin"), actor=admin)
    sms = ChannelSettingsUpdate.model_validate(spec["sms"])
    accounts.update_account(session, tenant=tenant, channel="sms", data=sms,
                            actor=SystemActor(actor_type="user", id="bench-admin"))
    author = SystemActor(actor_type="user", id="bench-analyst", email="analyst@bench.example")
    approver = SystemActor(actor_type="user", id="bench-admin", email="admin@bench.example")
    draft = channels.create_template(session, tenant=tenant, actor=author, data=TemplateCreate.model_validate(
        {"name": "emi_due", "channel": "sms", "purpose": "reminder", "language": "en", "tone": "formal",
         "body": spec["body"], "variables": spec["variables"], "dlt_template_id": spec["dlt"]}))
    template = channels.approve_template(session, tenant=tenant, template_id=draft.id, actor=approver)
    disbursed = clock.today(tenant) - timedelta(days=20)
    loans = []
    for i, mobile in enumerate(spec["phones"]):
        loan = portfolio.disburse(session, tenant_id=tenant.id, spec=portfolio.LoanSpec(
            principal=Decimal(100000), annual_rate_pct=Decimal(12), tenure_months=12, disbursed_on=disbursed,
            customer=CustomerIn(name=f"Borrower {i}", phone=mobile)))
        loans.append(loan.id)
print(json.dumps({"tenant": spec["tenant"], "key": key.key, "template": template.id, "loans": loans}))
"""


def prepare(env: dict[str, str], *, loans: int, sms_base: str) -> dict[str, Any]:
    """Migrate; a tenant at midday, an API key, its SMS account, an approved template, ``loans`` loans (in a child)."""
    spec = {
        "tenant": harness.TENANT,
        "timezone": zone_at_noon(),
        "sms": {
            "base_url": sms_base,
            "account_sid": sms_sim.SANDBOX_SID,
            "api_key": sms_sim.SANDBOX_API_KEY,
            "api_token": sms_sim.SANDBOX_API_TOKEN,
            "webhook_secret": sms_sim.SANDBOX_WEBHOOK_SECRET,
            "sender": "CRDESK",
            "entity_id": ENTITY_ID,
            "unit_cost": "0.18",
        },
        "body": BODY,
        "variables": VARIABLES,
        "dlt": DLT_TEMPLATE_ID,
        "phones": [phone(i) for i in range(loans)],
    }
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PREPARE, json.dumps(spec)], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"preparing the channels database failed:\n{out.stderr[-4000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "timezone": spec["timezone"]}


def message_body(loan_id: str, template: str, n: int) -> dict[str, Any]:
    """One send: the approved template to a loan's borrower, with its variables."""
    amount = f"{2000 + n % 5000}.00"
    return {
        "loan_id": loan_id,
        "channel": "sms",
        "template": template,
        "variables": {"customer_name": f"Borrower {n % 100000}", "amount": amount},
    }


class Messages:
    """Hands out sends so that no borrower gets more than ``per_borrower`` over the whole benchmark."""

    def __init__(self, info: dict[str, Any], per_borrower: int) -> None:
        self.loans, self.template = info["loans"], info["template"]
        self.capacity = len(self.loans) * per_borrower
        self.used = 0

    def take(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        count = min(count, self.capacity - self.used)
        taken = [
            (f"bench-{uuid.uuid4().hex}", message_body(self.loans[n % len(self.loans)], self.template, n))
            for n in range(self.used, self.used + count)
        ]
        self.used += count
        return taken

    def write(self, path: Path, count: int) -> int:
        lines = [f"{key} {json.dumps(body, separators=(',', ':'))}" for key, body in self.take(count)]
        path.write_text("\n".join(lines) + "\n")
        return len(lines)


# --------------------------------------------------------------------------------------------- counting


def admin_engine(url: str) -> Engine:
    """The benchmark database as the superuser (no tenant filter: row-level security does not apply)."""
    return create_engine(make_url(harness.PG_ADMIN).set(database=make_url(url).database), pool_size=1)


def sessions_opened(engine: Engine) -> int | None:
    """Connections ever opened to the benchmark database (``pg_stat_database.sessions``, PostgreSQL 14+)."""
    with contextlib.suppress(Exception), engine.connect() as conn:
        return int(
            conn.execute(text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).scalar_one()
        )
    return None


def status_counts(engine: Engine, since: datetime) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM message WHERE created_at >= :t GROUP BY status"), {"t": since}
        ).all()
    return {status: n for status, n in rows}


class Sampler:
    """The messages by status every ``interval`` seconds in a thread (the timeline of the run and the drain)."""

    def __init__(self, engine: Engine, since: datetime, interval: float = 2.0) -> None:
        self.engine, self.since, self.interval = engine, since, interval
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                counts = status_counts(self.engine, self.since)
                self.samples.append({"t": round(time.perf_counter() - self._t0, 1), **counts})
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_drained(engine: Engine, since: datetime, timeout: float) -> dict[str, Any]:
    """Wait until no message of the run is ``queued`` or ``sent`` (or nothing moved for 30 s, or ``timeout``)."""
    started = time.perf_counter()
    last, last_change = None, started
    counts: dict[str, int] = {}
    while time.perf_counter() - started < timeout:
        counts = status_counts(engine, since)
        pending = sum(counts.get(s, 0) for s in PENDING)
        if pending == 0:
            break
        if counts != last:
            last, last_change = counts, time.perf_counter()
        elif time.perf_counter() - last_change > 30:
            break
        time.sleep(0.5)  # the polls' PostgreSQL CPU is counted in the run's: keep them few
    return {"waited_s": round(time.perf_counter() - started, 2), "counts": counts}


def count_run(engine: Engine, since: datetime) -> dict[str, Any]:
    """What the run left in the database: messages by status, timings, history rows, jobs, events."""
    with engine.connect() as conn:
        m = (
            conn.execute(
                text(
                    "SELECT count(*) AS messages,"
                    " count(*) FILTER (WHERE status <> 'blocked') AS accepted,"
                    " count(*) FILTER (WHERE status = 'blocked') AS blocked,"
                    " count(sent_at) AS sent, count(delivered_at) AS delivered,"
                    " count(*) FILTER (WHERE status = 'delivered') AS status_delivered,"
                    " count(*) FILTER (WHERE status = 'failed') AS failed,"
                    " count(DISTINCT provider_message_id) AS provider_ids,"
                    " count(DISTINCT customer_id) AS borrowers,"
                    " min(created_at) AS first_created, max(created_at) AS last_created,"
                    " max(sent_at) AS last_sent, max(delivered_at) AS last_delivered,"
                    " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))"
                    "   AS sent_p50,"
                    " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at))"
                    "   AS sent_p99,"
                    " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))"
                    "   AS delivered_p50,"
                    " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))"
                    "   AS delivered_p99"
                    " FROM message WHERE created_at >= :t"
                ),
                {"t": since},
            )
            .mappings()
            .one()
        )
        history = conn.execute(
            text(
                "SELECT s.status, count(*) FROM message_status s JOIN message m ON m.id = s.message_id"
                " WHERE m.created_at >= :t GROUP BY s.status"
            ),
            {"t": since},
        ).all()
        jobs = conn.execute(
            text(
                "SELECT status, count(*), max(attempts) FROM job WHERE kind = 'channels.message.send'"
                " AND created_at >= :t GROUP BY status"
            ),
            {"t": since},
        ).all()
        blocked_by = conn.execute(
            text("SELECT blocked_by, count(*) FROM message WHERE created_at >= :t AND status = 'blocked' GROUP BY 1"),
            {"t": since},
        ).all()
        errors = conn.execute(
            text("SELECT error_code, count(*) FROM message WHERE created_at >= :t AND status = 'failed' GROUP BY 1"),
            {"t": since},
        ).all()
        # a status recorded twice in one message's history (a receipt and the job's answer racing)
        twice = conn.execute(
            text(
                "SELECT s.status, count(*) FROM (SELECT s.message_id, s.status FROM message_status s"
                " JOIN message m ON m.id = s.message_id WHERE m.created_at >= :t"
                " GROUP BY s.message_id, s.status HAVING count(*) > 1) s GROUP BY s.status"
            ),
            {"t": since},
        ).all()
        unpublished = conn.execute(text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")).scalar_one()
    out: dict[str, Any] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in m.items()}
    out["history"] = {s: n for s, n in history}
    out["jobs"] = {s: {"count": n, "max_attempts": a} for s, n, a in jobs}
    out["blocked_by"] = {str(r): n for r, n in blocked_by}
    out["failed_by"] = {str(r): n for r, n in errors}
    out["outbox_unpublished"] = unpublished
    out["messages_with_a_status_twice"] = {st: n for st, n in twice}
    return out


# --------------------------------------------------------------------------------------------- profile


#: leaves of a stack where a thread waits (for PostgreSQL, a lock, a queue, a socket, uvloop's epoll):
#: left out of the on-CPU profile
WAITING = frozenset(
    {
        "Connection.wait (connection.py)",
        "Condition.wait (threading.py)",
        "Queue.get (queue.py)",
        "Event.wait (threading.py)",
        "EpollSelector.select (selectors.py)",
        "_PollLikeSelector.select (selectors.py)",
        "Thread._wait_for_tstate_lock (threading.py)",
        "SyncStream.read (sync.py)",
        "Runner.run (runners.py)",
    }
)
#: what a sample is working on: the first of these frames found on its stack, outermost first
ACTIVITIES = (
    ("send_message (router.py)", "POST /messages (route, idempotency, gate, insert)"),
    ("receive_webhooks (messaging.py)", "receipts applied (webhook writer)"),
    ("receive_channel_webhook (router.py)", "receipt webhook route"),
    ("connector (accounts.py)", "send job: a new httpx.Client per send (TLS context)"),
    ("_deliver (messaging.py)", "send job: the call to the provider"),
    ("send (messaging.py)", "send job: read, render, record"),
    ("_run_job", "job wrapper (claim, session, commit)"),
    ("process_message (worker.py)", "dramatiq worker"),
    ("OutboxRelay", "outbox relay"),
    ("GroupCommitWriter", "group-commit writers"),
    ("run_asgi (httptools_impl.py)", "ASGI stack (middleware, routing, auth)"),
    ("httptools_impl.py", "uvicorn protocol"),
)


@contextlib.contextmanager
def profiled(server: harness.Server, out_dir: Path, seconds: float, tag: str, *, gil: bool = False) -> Any:
    """py-spy each of the server's worker processes (collapsed stacks, every running thread) during the block.

    Not ``--gil``: the send job's TLS set-up (CA certificates loaded by OpenSSL) runs without the GIL and
    would not be seen. Waiting threads are dropped afterwards by their leaf frame (:data:`WAITING`).
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    master = server.proc.pid if server.proc else -1
    pids = [p for p in server.pids() if p != master] or [master]
    files = [out_dir / f"py-spy-{tag}-{pid}.txt" for pid in pids]
    procs = []
    for pid, path in zip(pids, files, strict=True):
        cmd = [spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "100"]
        cmd += ["--format", "raw", "--output", str(path), "--nonblocking", *(["--gil"] if gil else [])]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # noqa: S603
    try:
        yield files
    finally:
        for proc in procs:
            try:
                proc.wait(timeout=seconds + 60)
            except subprocess.TimeoutExpired:
                proc.terminate()


def frame_name(frame: str) -> str:
    """``func (path/to/file.py:123)`` → ``func (file.py)``."""
    func, _, where = frame.partition(" (")
    return f"{func} ({where.rsplit(':', 1)[0].split('/')[-1].rstrip(')')})"


def profile_summary(paths: list[Path], limit: int = 25) -> dict[str, Any]:
    """On-CPU samples by activity (:data:`ACTIVITIES`), and the functions most often on top (self)."""
    activity: dict[str, int] = {}
    own: dict[str, int] = {}
    in_post: dict[str, int] = {}
    total = waiting = post = 0
    for path in paths:
        with contextlib.suppress(OSError):
            for line in path.read_text(errors="replace").splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                raw = stack.split(";")
                frames = [frame_name(f) for f in raw]
                n = int(count)
                if not frames or frames[-1] in WAITING:
                    waiting += n
                    continue
                total += n
                joined = ";".join(frames)
                label = next((name for key, name in ACTIVITIES if key in joined), "other")
                activity[label] = activity.get(label, 0) + n
                own[frames[-1]] = own.get(frames[-1], 0) + n
                if label.startswith("POST /messages"):  # where the accept path spends: our own functions in it
                    post += n
                    for f in {frame_name(f) for f in raw if "creditdesk/" in f}:
                        in_post[f] = in_post.get(f, 0) + n

    def pct(d: dict[str, int], top: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    if not total:
        return {"on_cpu_samples": 0, "waiting_samples": waiting}
    return {
        "on_cpu_samples": total,
        "waiting_samples": waiting,
        "by_activity_pct": pct(activity, len(ACTIVITIES) + 1),
        "self_pct": pct(own, limit),
        "post_messages_samples": post,
        "post_messages_inclusive_pct_of_post": [
            (k, round(100 * v / post, 1)) for k, v in sorted(in_post.items(), key=lambda kv: -kv[1])[:limit]
        ]
        if post
        else [],
    }


# --------------------------------------------------------------------------------------------- the run


def client_setup_cpu_ms(rounds: int = 20) -> float:
    """CPU of one ``httpx.Client()`` with its default TLS context, as the send job builds one per message."""
    started = time.process_time()
    for _ in range(rounds):
        httpx.Client(follow_redirects=False).close()
    return round((time.process_time() - started) * 1000 / rounds, 2)


def warm_up(api: str, key: str, messages: Messages, count: int) -> dict[str, int]:
    """``count`` sends one by one (caches, connections, the job path), before the measured run."""
    statuses: dict[str, int] = {}
    with httpx.Client(timeout=30) as http:
        for idem, body in messages.take(count):
            r = http.post(f"{api}/messages", json=body, headers={"X-API-Key": key, "Idempotency-Key": idem})
            label = f"{r.status_code}:{r.json().get('status')}" if r.status_code == 202 else str(r.status_code)
            statuses[label] = statuses.get(label, 0) + 1
    return statuses


def seconds_between(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() if a and b else None


def run_channels(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    data_dir = scratch / "channels"
    data_dir.mkdir()
    sims = harness.app_server(
        "simulators", SIMULATORS_APP, data_dir / "simulators.log", ready_path="/simulators/sms/sandbox-credentials"
    ).start()
    url = harness.postgres_database(DB)
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {
        "CREDITDESK_PUBLIC_BASE_URL": base,  # where the simulator posts the receipts (the SMS StatusCallback)
        "CREDITDESK_ALLOW_PRIVATE_ENDPOINTS": "true",  # production mode: the simulator is on 127.0.0.1
        "CREDITDESK_HEALTH_PORT": str(harness.free_port()),
    }
    if args.worker_threads:
        extra["CREDITDESK_WORKER_THREADS"] = str(args.worker_threads)
    env = harness.server_env(data_dir, url, extra)
    result: dict[str, Any] = {"loans": args.loans, "connections": args.connections, "duration_s": args.duration}
    server: harness.Server | None = None
    engine = admin_engine(url)
    try:
        log(f"channels: preparing {args.loans} loans, an SMS account on {sims.base}, an approved template")
        t0 = time.perf_counter()
        info = prepare(env, loans=args.loans, sms_base=f"{sims.base}/simulators/sms")
        result["prepare_s"] = round(time.perf_counter() - t0, 1)
        result["timezone"] = info["timezone"]
        messages = Messages(info, args.per_borrower)
        cmd = [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port), "--workers", str(args.workers)]
        server = harness.Server("channels", cmd, env, port, data_dir / "server.log").start()
        log(
            f"channels: serving on {base}, {args.workers} processes (production, embedded workers), "
            f"pids {server.pids()}"
        )
        api = f"{base}/api/v1/tenants/{info['tenant']}"
        server.settle()  # the outbox relay publishes the loans' disbursal events first
        result["warmup"] = warm_up(api, info["key"], messages, args.warmup)
        warm = wait_drained(engine, datetime(2000, 1, 1, tzinfo=UTC), 60)
        result["warmup_drained"] = warm["counts"]
        server.settle()
        path = data_dir / "messages.txt"
        lua = data_dir / "wrk_messages.lua"
        lua.write_text(LUA)
        written = messages.write(path, messages.capacity - messages.used)
        result["messages_in_file"] = written
        log(f"channels: {written} distinct messages in the file; wrk c={args.connections} for {args.duration} s")
        since = datetime.now(UTC)
        sessions_before = sessions_opened(engine)
        nothing: contextlib.nullcontext[list[Path]] = contextlib.nullcontext([])
        with (
            harness.Meter(server, DB, extra=[sims]) as whole,
            Sampler(engine, since) as sampler,
        ):
            with (  # the meter inside the profiler: its figures end with wrk, not after py-spy has written
                profiled(server, data_dir, args.duration, "accepting", gil=args.profile_gil)
                if args.profile
                else nothing as accept_files,
                harness.Meter(server, DB, extra=[sims]) as accepting,
            ):
                run = harness.run_wrk(
                    f"{api}/messages",
                    connections=args.connections,
                    duration=args.duration,
                    body_file=None,
                    api_key=info["key"],
                    server=server,
                    threads=THREADS,
                    script=lua,
                    script_env={"BENCH_MESSAGES_FILE": str(path), "BENCH_THREADS": str(THREADS)},
                )
                at_stop = status_counts(engine, since)
            # the drain alone: sending and receipts, no new messages (profiled for up to 15 s of it)
            with (
                profiled(server, data_dir, 15, "draining", gil=args.profile_gil)
                if args.profile
                else nothing as drain_files,
                harness.Meter(server, DB, extra=[sims]) as draining,
            ):
                drained = wait_drained(engine, since, args.drain_timeout)
        result["run"] = run
        result["meter_accepting"] = accepting.result
        result["meter_draining"] = draining.result
        result["meter_whole"] = whole.result
        result["at_wrk_stop"] = at_stop
        result["drain"] = drained
        result["timeline"] = sampler.samples
        db = count_run(engine, since)
        sessions_after = sessions_opened(engine)
        if sessions_before is not None and sessions_after is not None:
            # new PostgreSQL connections during the run and the drain: each is a backend started (and its caches
            # filled); the statistics are flushed when sessions end, so the figure may lag by a few
            db["postgres_sessions_opened"] = sessions_after - sessions_before
        result["database"] = db
        deliveries = httpx.get(
            f"{sims.base}/simulators/sms/accounts/{sms_sim.SANDBOX_SID}/deliveries", timeout=60
        ).json()
        by_status: dict[str, int] = {}
        for d in deliveries.get("items", []):
            label = str(d.get("status_code") or d.get("error"))
            by_status[label] = by_status.get(label, 0) + 1
        result["receipt_deliveries"] = by_status
        result["figures"] = figures(run, db, whole.result, accepting.result)
        sent_in_drain = db["delivered"] - at_stop.get("delivered", 0)
        if sent_in_drain > 0:  # what sending one message and applying its receipts costs, without new messages
            d = draining.result
            result["figures"]["drain_server_cpu_ms_per_message"] = round(d["server_cpu_s"] * 1000 / sent_in_drain, 2)
            result["figures"]["drain_postgres_cpu_ms_per_message"] = round(
                d["postgres_cpu_s"] * 1000 / sent_in_drain, 2
            )
            result["figures"]["drain_simulators_cpu_ms_per_message"] = round(
                d["simulators_cpu_s"] * 1000 / sent_in_drain, 2
            )
            result["figures"]["drain_delivered_per_s"] = round(sent_in_drain / d["wall_s"], 1)
            # the accept path alone: the accepting phase's server CPU less the sends finished in it, priced as in
            # the drain (an estimate: the drain's price per send, applied to the sends during wrk)
            accepted = run.get("outcomes", {}).get("queued", 0)
            sends_meanwhile = at_stop.get("delivered", 0) + at_stop.get("sent", 0)
            per_send = d["server_cpu_s"] / sent_in_drain
            if accepted:
                result["figures"]["accept_server_cpu_ms_per_message_est"] = round(
                    (accepting.result["server_cpu_s"] - sends_meanwhile * per_send) * 1000 / accepted, 2
                )
        result["problems"] = problems(run, db, args.connections)
        if args.profile:
            result["profile"] = {
                "tool": "py-spy record --rate 100 --nonblocking"
                + (" --gil (the thread holding the GIL)" if args.profile_gil else " (every running thread)"),
                "accepting": profile_summary(list(accept_files)),
                "draining": profile_summary(list(drain_files)),
            }
        result["server_memory_end"] = server.memory()
        f = result["figures"]
        log(
            f"channels: accepted {f['accepted_per_s']}/s (p50 {run['latency_ms']['p50']} ms, p99 "
            f"{run['latency_ms']['p99']} ms), sent {f['sent_per_s']}/s, delivered {f['delivered_per_s']}/s; "
            "CPU/message "
            f"server {f['server_cpu_ms_per_message']} ms + PostgreSQL {f['postgres_cpu_ms_per_message']} ms + "
            f"simulators {f['simulators_cpu_ms_per_message']} ms; machine {whole.result['machine_busy_cores']} cores "
            f"busy; problems: {result['problems'] or 'none'}"
        )
    finally:
        engine.dispose()
        if server is not None:
            server.stop()
            result["server_log"] = server.log_problems()
        sims.stop()
        if not args.keep:
            harness.drop_postgres_database(DB)
    if not args.skip_reference:
        result["reference"] = run_reference(args, scratch)
    return result


def figures(
    run: dict[str, Any], db: dict[str, Any], whole: dict[str, Any], accepting: dict[str, Any]
) -> dict[str, Any]:
    """The headline figures of a run (per second and CPU per message)."""
    accepted_answers = run.get("outcomes", {}).get("queued", 0)
    first = db["first_created"]
    sent_window = seconds_between(first, db["last_sent"])
    delivered_window = seconds_between(first, db["last_delivered"])
    n = db["delivered"] or 0

    def per(cpu_s: float) -> float | None:
        return round(cpu_s * 1000 / n, 2) if n else None

    return {
        "accepted_per_s": round(accepted_answers / run["duration_s"], 1),
        "answers_per_s": run["rps"],
        "accepted_window_s": round(seconds_between(first, db["last_created"]) or 0, 2),
        "sent_per_s": round(db["sent"] / sent_window, 1) if sent_window else None,
        "sent_window_s": round(sent_window, 2) if sent_window else None,
        "delivered_per_s": round(n / delivered_window, 1) if delivered_window else None,
        "delivered_window_s": round(delivered_window, 2) if delivered_window else None,
        "server_cpu_ms_per_message": per(whole["server_cpu_s"]),
        "postgres_cpu_ms_per_message": per(whole["postgres_cpu_s"]),
        "simulators_cpu_ms_per_message": per(whole["simulators_cpu_s"]),
        "machine_busy_ms_per_message": per(whole["machine_busy_s"]),
        "server_cpu_ms_per_accept_while_wrk": (
            round(accepting["server_cpu_s"] * 1000 / accepted_answers, 2) if accepted_answers else None
        ),
    }


def problems(run: dict[str, Any], db: dict[str, Any], connections: int) -> list[str]:
    """What makes the run not clean; an empty list when every check holds."""
    found = []
    if set(run["status"]) - {"202"}:
        found.append(f"non-202 answers: {run['status']}")
    if run.get("wrapped"):
        found.append(f"wrk ran out of distinct messages ({run['wrapped']} wraps): replays were sent")
    if db["blocked"]:
        found.append(f"{db['blocked']} blocked: {db['blocked_by']}")
    answered = run.get("outcomes", {}).get("queued", 0)
    if not answered <= db["accepted"] <= answered + connections:  # requests in flight when wrk stopped count too
        found.append(f"{db['accepted']} accepted in the database, {run.get('outcomes')} answered")
    if db["delivered"] != db["accepted"]:
        found.append(
            f"{db['accepted']} accepted but {db['delivered']} delivered ({db['failed']} failed: {db['failed_by']})"
        )
    if db["status_delivered"] != db["delivered"]:  # a status written backwards over a receipt (delivered_at set)
        found.append(f"{db['delivered']} delivered but {db['status_delivered']} with the status delivered")
    if db["provider_ids"] != db["sent"]:
        found.append(f"{db['sent']} sent but {db['provider_ids']} provider message ids")
    if db["messages_with_a_status_twice"]:
        found.append(f"a status twice in a message's history: {db['messages_with_a_status_twice']}")
    if set(db["jobs"]) - {"succeeded"}:
        found.append(f"send jobs not all succeeded: {db['jobs']}")
    return found


def run_reference(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """The minimal FastAPI app (one process) at the same connections: ``POST /score`` with the sample body."""
    body = scratch / "application.json"
    body.write_text(json.dumps(harness.application_body()))
    server = harness.reference_server(scratch).start()
    try:
        run = harness.run_wrk(
            server.base + "/score",
            connections=args.connections,
            duration=args.duration,
            body_file=body,
            server=server,
            threads=THREADS,
        )
    finally:
        server.stop()
    log(f"channels/reference: {harness.describe_run('reference', run)}")
    return {"app": "benchmarks/minimal_app.py", "path": "POST /score", "processes": 1, "run": run}


# --------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    harness.raise_nofile()
    report: dict[str, Any] = {
        "at": harness.now_iso(),
        "command": " ".join([".venv/bin/python", "benchmarks/channels_bench.py", *(argv or sys.argv[1:])]),
        "commit": subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            cwd=harness.ROOT,
        ).stdout.strip(),
        # files of the product changed in the working tree but not committed (other work in progress) are measured too
        "uncommitted_src": subprocess.run(  # noqa: S603
            ["git", "status", "--short", "--", "src"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            cwd=harness.ROOT,
        ).stdout.split("\n")[:-1],
        "machine": harness.machine(),
        # what the send job pays per message for its HTTP client (accounts.connector → httpx.Client()), here
        "httpx_client_setup_cpu_ms": client_setup_cpu_ms(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    busy0, wall0 = harness.system_busy_seconds(), time.perf_counter()
    with harness.scratch_dir("creditdesk-channels-", keep=args.keep) as scratch:
        out = args.out or harness.dated_path(
            harness.BENCH / "results" / ("quick" if args.quick else ""), f"channels-{harness.today()}"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        report["channels"] = run_channels(args, scratch)
        wall = time.perf_counter() - wall0
        report["machine_busy_cores_overall"] = round((harness.system_busy_seconds() - busy0) / wall, 2)
        report["load_after"] = [round(x, 2) for x in os.getloadavg()]
        out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    log(f"results: {out}")
    return out


if __name__ == "__main__":
    main()
