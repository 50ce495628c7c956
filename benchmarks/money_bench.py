"""Money paths under load (issue #14): payment webhooks applied per second, and disbursement sagas per second.

**Webhooks.** A fresh PostgreSQL database with one tenant, its gateway account (webhook secret sealed)
and ``--loans`` loans, each with a payment link at the gateway; ``creditdesk serve --workers 2`` in
production mode. ``wrk`` with ``wrk_webhooks.lua`` posts valid ``payment.captured`` webhooks to
``POST /api/v1/webhooks/payments/{tenant}``, each with its own gateway payment id, spread over the
links. The bodies are signed before the run by this script (HMAC-SHA256 under the tenant's webhook
secret, ``X-Gateway-Signature``) and the Lua script sends them in order, a different one per request:
wrk's LuaJIT has no HMAC, and signing in the load generator would take CPU from the cores the server
shares. Runs: every delivery distinct, then 20 % duplicate deliveries (a line repeated later in the
file, as a gateway re-delivers). After each run the database is counted: every gateway payment id
claimed once, every claim applied to its loan once (one ``payment`` row, reference ``gw:<id>``), the
claims equal to the "applied" answers (plus at most the requests still in flight when wrk stopped).
The reference — ``minimal_app.py``'s webhook route (signature + Pydantic, nothing stored) — gets the
same bodies.

**Sagas.** A second fresh database; ``creditdesk serve --workers 2`` in dev mode (the saga's e-sign
provider has no production account yet) with the embedded workers, and the e-sign and payment gateway
simulators in their own process at zero latency (``--factory money_bench:simulators_app``). ``--sagas``
approved applications are inserted, then ``--saga-concurrency`` borrowers at a time each walk one
through the public routes: ``POST …/disbursement`` → wait for the KFS → ``POST …/kfs/accept`` → wait for
the sign request → OTP and verify at the ESP simulator → the ESP's signed callback → wait until the
saga completes (mandate, payout at the gateway simulator, book). Whatever step the saga waits on is
driven by :data:`WAITS`.

Every figure comes with server CPU (``creditdesk serve`` and its worker processes), the PostgreSQL
backends of the benchmark's database, and the machine's busy CPU over the run (``other_cpu_s``: what
other work on the machine spent meanwhile).

    .venv/bin/python benchmarks/money_bench.py [--duration 15] [--connections 50] [--loans 1000]
        [--sagas 200] [--saga-concurrency 20] [--skip-webhooks] [--skip-sagas] [--skip-reference] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from creditdesk.lending.esign_simulator import SANDBOX_API_KEY, esign_router
from creditdesk.lending.esign_simulator import SANDBOX_WEBHOOK_SECRET as ESIGN_SECRET
from creditdesk.lending.esign_wire import API_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_callback
from creditdesk.payments.simulator import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    GatewaySimulator,
    build_router,
)
from creditdesk.payments.wire import sign

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import log  # noqa: E402

WEBHOOK_LUA = harness.BENCH / "wrk_webhooks.lua"
WEBHOOK_DB = "creditdesk_bench_money"
SAGA_DB = "creditdesk_bench_saga"
PAYMENT_PAISE = 1000  # ₹10 per webhook: a loan of ₹1,00,000 takes thousands before it is paid off
THREADS = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=None, help="seconds per wrk run (15; 3 with --quick)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--loans", type=int, default=None, help="loans, one payment link each (1000; 100 with --quick)")
    p.add_argument("--dup-rate", type=float, default=0.2, help="share of duplicate deliveries in the second run")
    p.add_argument("--sagas", type=int, default=None, help="sagas to complete (200; 20 with --quick)")
    p.add_argument("--saga-concurrency", type=int, default=20, help="borrowers walking a saga at once (20)")
    p.add_argument("--workers", type=int, default=2, help="server processes (2)")
    p.add_argument("--skip-webhooks", action="store_true")
    p.add_argument("--skip-sagas", action="store_true")
    p.add_argument("--skip-reference", action="store_true")
    p.add_argument("--quick", action="store_true", help="smoke check: 3 s runs, 100 loans, 20 sagas")
    p.add_argument("--out", type=Path, default=None, help="results JSON (default results/money-<date>.json)")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (server logs)")
    args = p.parse_args(argv)
    args.duration = args.duration or (3 if args.quick else 15)
    args.loans = args.loans or (100 if args.quick else 1000)
    args.sagas = args.sagas or (20 if args.quick else 200)
    return args


# --------------------------------------------------------------------------------------------- webhooks

_PREPARE_WEBHOOKS = r"""
import json, sys
from datetime import timedelta
from decimal import Decimal
from creditdesk.config import get_settings
from creditdesk.db import init_database, set_tenant_scope
from creditdesk.migrations import upgrade
from creditdesk.payments.models import PAYMENT_GATEWAY_CREDENTIALS, PaymentGatewayConfigRecord, PaymentLinkRecord
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.schemas import CustomerIn
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
spec = json.loads(sys.argv[1])
s = get_settings(); upgrade(s.sqlalchemy_url); db = init_database(s.sqlalchemy_url)
links = []
with db.session() as session, session.begin():
    tenant = Tenant(slug=spec["tenant"], name="Bench NBFC"); session.add(tenant); session.flush()
    set_tenant_scope(session, tenant.id)
    account = PaymentGatewayConfigRecord(
        tenant_id=tenant.id, base_url="https://api.gateway.example/v1", key_id="key_bench")
    account.secrets = {}
    PAYMENT_GATEWAY_CREDENTIALS.update_map(
        account, {"key_secret": spec["key_secret"], "webhook_secret": spec["secret"]})
    session.add(account)
    disbursed = clock.today(tenant) - timedelta(days=20)
    for i in range(spec["loans"]):
        loan = portfolio.disburse(session, tenant_id=tenant.id, spec=portfolio.LoanSpec(
            principal=Decimal(100000), annual_rate_pct=Decimal(12), tenure_months=12, disbursed_on=disbursed,
            customer=CustomerIn(name=f"Borrower {i}")))
        link = f"plink_bench{i:06d}"
        session.add(PaymentLinkRecord(tenant_id=tenant.id, loan_id=loan.id, gateway_link_id=link,
                                      url="https://pay.example/" + link, amount=Decimal(100000), purpose="emi"))
        links.append(link)
print(json.dumps({"tenant": spec["tenant"], "links": links}))
"""


def prepare_webhooks(env: dict[str, str], *, loans: int, secret: str) -> dict[str, Any]:
    """Migrate; a tenant with its gateway account and ``loans`` loans, each with a payment link (in a child)."""
    spec = {"tenant": harness.TENANT, "loans": loans, "secret": secret, "key_secret": secrets.token_urlsafe(24)}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PREPARE_WEBHOOKS, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"preparing the webhook database failed:\n{out.stderr[-4000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def webhook_line(payment_id: str, link_id: str, secret: str, now: int) -> str:
    """``<signature> <body>``: a gateway's ``payment.captured`` event for one payment on one link."""
    payment = {
        "id": payment_id,
        "entity": "payment",
        "amount": PAYMENT_PAISE,
        "currency": "INR",
        "status": "captured",
        "method": "upi",
        "payment_link_id": link_id,
        "vpa": "borrower@upi",
        "created_at": now,
    }
    event = {
        "entity": "event",
        "id": "evt_" + payment_id.removeprefix("pay_"),
        "account_id": "acc_bench",
        "event": "payment.captured",
        "contains": ["payment"],
        "payload": {"payment": {"entity": payment}},
        "created_at": now,
    }
    body = json.dumps(event, separators=(",", ":"))
    return f"{sign(body.encode(), secret)} {body}"  # the function the gateway simulator signs with


def webhook_file(path: Path, *, run: str, count: int, links: list[str], secret: str, dup_rate: float) -> dict[str, int]:
    """Write ``count`` signed webhooks; a ``dup_rate`` share repeats one of the previous 2,000 lines."""
    rng = random.Random(run)
    now = int(time.time())
    lines: list[str] = []
    distinct = 0
    for i in range(count):
        if lines and rng.random() < dup_rate:
            lines.append(lines[rng.randrange(max(0, len(lines) - 2000), len(lines))])
        else:
            lines.append(webhook_line(f"pay_{run}{i:07d}", links[i % len(links)], secret, now))
            distinct += 1
    path.write_text("\n".join(lines) + "\n")
    return {"lines": count, "distinct": distinct}


def count_applied(url: str, *, run: str) -> dict[str, int]:
    """What the database holds for one run's payment ids (read as the superuser: no tenant filter)."""
    admin = make_url(harness.PG_ADMIN).set(database=make_url(url).database)
    engine = create_engine(admin)
    like = {"p": f"pay_{run}%", "r": f"gw:pay_{run}%"}
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT gateway_payment_id),"
                " count(*) FILTER (WHERE status = 'applied'), count(payment_id)"
                " FROM gateway_payment WHERE gateway_payment_id LIKE :p"
            ),
            like,
        ).one()
        payments = conn.execute(
            text("SELECT count(*), count(DISTINCT reference) FROM payment WHERE reference LIKE :r"), like
        ).one()
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM gateway_payment g LEFT JOIN payment p ON p.id = g.payment_id"
                " WHERE g.gateway_payment_id LIKE :p AND (p.id IS NULL OR p.reference <> 'gw:' || g.gateway_payment_id)"
            ),
            like,
        ).scalar_one()
    engine.dispose()
    return {
        "claims": row[0],
        "distinct_ids": row[1],
        "claims_applied": row[2],
        "claims_with_payment": row[3],
        "payments": payments[0],
        "distinct_payment_refs": payments[1],
        "claims_without_their_payment": orphans,
    }


def check_run(run: dict[str, Any], db: dict[str, int], connections: int) -> list[str]:
    """The exactly-once checks of one run; an empty list when every one holds."""
    problems = []
    applied_answers = run.get("outcomes", {}).get("applied", 0)
    if any(s.startswith("5") for s in run["status"]):
        problems.append(f"5xx answers: {run['status']}")
    if set(run["status"]) - {"200"}:
        problems.append(f"non-200 answers: {run['status']}")
    if db["claims"] != db["distinct_ids"]:
        problems.append("a gateway payment id was claimed twice")
    if not (db["claims"] == db["claims_applied"] == db["payments"] == db["distinct_payment_refs"]):
        problems.append(f"claims, applied claims and payments differ: {db}")
    if db["claims_without_their_payment"]:
        problems.append(f"{db['claims_without_their_payment']} claims without their own payment row")
    if not applied_answers <= db["claims"] <= applied_answers + connections:
        problems.append(f"{applied_answers} 'applied' answers but {db['claims']} claims (in flight ≤ {connections})")
    return problems


def run_webhooks(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    data_dir = scratch / "webhooks"
    data_dir.mkdir()
    url = harness.postgres_database(WEBHOOK_DB)
    secret = secrets.token_urlsafe(32)
    env = harness.server_env(data_dir, url)
    log(f"webhooks: preparing {args.loans} loans with payment links")
    t0 = time.perf_counter()
    info = prepare_webhooks(env, loans=args.loans, secret=secret)
    env["CREDITDESK_HEALTH_PORT"] = str(harness.free_port())
    port = harness.free_port()
    cmd = [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port), "--workers", str(args.workers)]
    server = harness.Server("webhooks", cmd, env, port, data_dir / "server.log")
    result: dict[str, Any] = {"prepare_s": round(time.perf_counter() - t0, 1), "loans": args.loans, "runs": {}}
    path = f"/api/v1/webhooks/payments/{info['tenant']}"
    count = int(args.duration * 4000) + 2000  # more than the run can send at the target's 4×
    plans = {"warmup": 0.0, "distinct": 0.0, "duplicates": args.dup_rate}
    files = {}
    for name, rate in plans.items():
        files[name] = data_dir / f"{name}.txt"
        result.setdefault("files", {})[name] = webhook_file(
            files[name], run=name[:3], count=count, links=info["links"], secret=secret, dup_rate=rate
        )
    server.start()
    log(f"webhooks: serving on {server.base}, {args.workers} processes, pids {server.pids()}")
    try:
        for name in plans:
            server.settle()
            duration = 2 if name == "warmup" else args.duration
            with harness.Meter(server, WEBHOOK_DB) as meter:
                run = harness.run_wrk(
                    server.base + path,
                    connections=args.connections,
                    duration=duration,
                    body_file=None,
                    server=server,
                    threads=THREADS,
                    script=WEBHOOK_LUA,
                    script_env={"BENCH_WEBHOOKS_FILE": str(files[name]), "BENCH_THREADS": str(THREADS)},
                )
            server.settle()  # requests in flight when wrk stopped have finished before counting
            run["meter"] = meter.result
            run["database"] = count_applied(url, run=name[:3])
            run["problems"] = check_run(run, run["database"], args.connections)
            applied = run["database"]["claims_applied"]
            answered = sum(run["status"].values())
            cpu = meter.result["server_cpu_s"] + meter.result["postgres_cpu_s"]
            run["applied_per_s"] = round(applied / run["duration_s"], 1)
            run["cpu_ms_per_webhook"] = round(cpu * 1000 / answered, 3) if answered else None
            run["server_cpu_ms_per_webhook"] = (
                round(meter.result["server_cpu_s"] * 1000 / answered, 3) if answered else None
            )
            run["postgres_cpu_ms_per_webhook"] = (
                round(meter.result["postgres_cpu_s"] * 1000 / answered, 3) if answered else None
            )
            result["runs"][name] = run
            log(
                f"webhooks/{name}: {run['rps']} answers/s, {run['applied_per_s']} applied/s, "
                f"outcomes {run.get('outcomes')}, p50 {run['latency_ms']['p50']} ms p99 {run['latency_ms']['p99']} ms, "
                f"CPU/webhook server {run['server_cpu_ms_per_webhook']} ms + PostgreSQL "
                f"{run['postgres_cpu_ms_per_webhook']} ms, machine {meter.result['machine_busy_cores']} cores busy; "
                f"problems: {run['problems'] or 'none'}"
            )
        result["server_memory_end"] = server.memory()
    finally:
        server.stop()
        result["server_log"] = server.log_problems()
        harness.drop_postgres_database(WEBHOOK_DB)
    if not args.skip_reference:
        result["reference"] = run_webhook_reference(args, scratch, files["distinct"], secret)
    return result


def run_webhook_reference(args: argparse.Namespace, scratch: Path, bodies: Path, secret: str) -> dict[str, Any]:
    """The minimal FastAPI app's webhook route (one process) receiving the same signed bodies."""
    server = harness.reference_server(scratch)
    server.env["BENCH_WEBHOOK_SECRET"] = secret
    server.start()
    try:
        run = harness.run_wrk(
            server.base + f"/webhooks/payments/{harness.TENANT}",
            connections=args.connections,
            duration=args.duration,
            body_file=None,
            server=server,
            threads=THREADS,
            script=WEBHOOK_LUA,
            script_env={"BENCH_WEBHOOKS_FILE": str(bodies), "BENCH_THREADS": str(THREADS)},
        )
    finally:
        server.stop()
    log(f"webhooks/reference: {harness.describe_run('reference', run)}")
    return {"app": "benchmarks/minimal_app.py", "path": "POST /webhooks/payments/{tenant}", "processes": 1, "run": run}


# --------------------------------------------------------------------------------------------- sagas


def simulators_app() -> FastAPI:
    """The e-sign (ESP) and payment gateway simulators in one app, no latency (``uvicorn --factory``)."""
    app = FastAPI(title="money_bench simulators")
    app.include_router(esign_router())
    app.include_router(build_router(GatewaySimulator()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def simulators_server(data_dir: Path) -> harness.Server:
    return harness.app_server("simulators", "money_bench:simulators_app", data_dir / "simulators.log")


_PREPARE_SAGAS = r"""
import json, sys
from datetime import UTC, datetime
sys.path.insert(0, ".")
from tests.lending.fakes import REQUEST
from tests.monitoring.scoring_rows import insert_application
from creditdesk.auth.principal import Identity
from creditdesk.auth.schemas import ApiKeyCreate
from creditdesk.auth.service import create_api_key
from creditdesk.config import get_settings
from creditdesk.db import init_database, set_tenant_scope
from creditdesk.migrations import upgrade
from creditdesk.payments.models import PAYMENT_GATEWAY_CREDENTIALS, PaymentGatewayConfigRecord
from creditdesk.payments.simulator import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.permissions import permissions_for
spec = json.loads(sys.argv[1])
s = get_settings(); upgrade(s.sqlalchemy_url); db = init_database(s.sqlalchemy_url)
with db.session() as session, session.begin():
    tenant = Tenant(slug=spec["tenant"], name="Bench NBFC"); session.add(tenant); session.flush()
    set_tenant_scope(session, tenant.id)
    admin = Identity(actor_type="system", id="bench", email=None, name="bench", role="tenant_admin",
                     tenant_id=tenant.id, tenant_slug=tenant.slug,
                     permissions=permissions_for("tenant_admin", platform_scoped=False))
    key = create_api_key(session, tenant=tenant, data=ApiKeyCreate(name="bench", role="tenant_admin"), actor=admin)
    account = PaymentGatewayConfigRecord(tenant_id=tenant.id, base_url=spec["gateway"], key_id=SANDBOX_KEY_ID)
    account.secrets = {}
    PAYMENT_GATEWAY_CREDENTIALS.update_map(
        account, {"key_secret": SANDBOX_KEY_SECRET, "webhook_secret": SANDBOX_WEBHOOK_SECRET})
    session.add(account)
    apps = [insert_application(session, tenant_id=tenant.id, features={}, pd=0.05, decision="Approve",
                               created_at=datetime.now(UTC), request=REQUEST, model_id="bench")
            for _ in range(spec["sagas"])]
    session.flush()
    ids = [a.id for a in apps]
print(json.dumps({"tenant": spec["tenant"], "key": key.key, "applications": ids}))
"""


def prepare_sagas(env: dict[str, str], *, sagas: int, gateway: str) -> dict[str, Any]:
    """Migrate; a tenant, a tenant_admin API key, its gateway account on the simulator, approved applications.

    The applications are inserted as the decision path stores them (``tests/monitoring/scoring_rows``):
    the saga starts from an approved application, and deciding them is what ``http_bench.py`` measures.
    """
    spec = {"tenant": harness.TENANT, "sagas": sagas, "gateway": gateway}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PREPARE_SAGAS, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=harness.ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"preparing the saga database failed:\n{out.stderr[-4000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


class Borrower:
    """Walks one application's saga through the public routes and the simulators, as its people would."""

    POLL_S = 0.05

    def __init__(self, http: httpx.AsyncClient, api: str, esp: str, tenant: str, key: str) -> None:
        self.http, self.api, self.esp, self.tenant = http, api, esp, tenant
        self.headers = {"X-API-Key": key}
        self.polls = 0
        self.acted: dict[str, int] = {}
        self.refused: dict[int, int] = {}

    async def saga(self, saga_id: str) -> dict[str, Any]:
        self.polls += 1
        r = await self.http.get(f"{self.api}/sagas/{saga_id}", headers=self.headers)
        r.raise_for_status()
        return dict(r.json())

    async def accept_kfs(self, saga: dict[str, Any]) -> bool:
        r = await self.http.post(
            f"{self.api}/sagas/{saga['id']}/kfs/accept", json={"content_hash": saga["kfs_hash"]}, headers=self.headers
        )
        if r.status_code in (409, 422):  # the view was read before the KFS was issued: read it again
            self.refused[r.status_code] = self.refused.get(r.status_code, 0) + 1
            return False
        r.raise_for_status()
        return True

    async def sign(self, saga: dict[str, Any]) -> bool:
        """The borrower signs at the ESP (OTP), then the ESP's signed callback reaches the lender."""
        request_id = saga.get("esign_request_id")
        if not request_id:  # the saga's view does not name it: find it by the step's reference
            found = await self.http.get(
                f"{self.esp}/v1/sign-requests",
                params={"reference": f"{saga['id']}:esign"},
                headers={API_KEY_HEADER: SANDBOX_API_KEY},
            )
            found.raise_for_status()
            items = found.json()["items"]
            if not items:
                return False  # not asked yet: look again at the next poll
            request_id = items[-1]["id"]
        otp = await self.http.post(f"{self.esp}/sign/{request_id}/otp", json={"aadhaar_last4": "1234"})
        otp.raise_for_status()
        signed = await self.http.post(f"{self.esp}/sign/{request_id}/verify", json={"otp": otp.json()["sandbox_otp"]})
        signed.raise_for_status()
        body = json.dumps({"event": "esign.signed", "request_id": request_id, "status": "signed"}).encode()
        ts = int(time.time())
        headers = {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign_callback(body, ts, ESIGN_SECRET)}
        r = await self.http.post(
            f"{self.api.split('/api/v1/')[0]}/api/v1/webhooks/esign/{self.tenant}", content=body, headers=headers
        )
        r.raise_for_status()
        return True

    async def walk(self, application_id: str, deadline_s: float = 120.0) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return await self._walk(application_id, started, deadline_s)
        except httpx.HTTPError as exc:  # counted as a saga that did not complete, with what went wrong
            status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else type(exc).__name__
            return {"status": f"error_{status}", "seconds": time.perf_counter() - started, "error": str(exc)[:300]}

    async def _walk(self, application_id: str, started: float, deadline_s: float) -> dict[str, Any]:
        r = await self.http.post(f"{self.api}/applications/{application_id}/disbursement", headers=self.headers)
        if r.status_code != 202:
            return {"status": f"start_http_{r.status_code}", "seconds": 0.0}
        saga_id = r.json()["saga_id"]
        done: set[str] = set()
        saga: dict[str, Any] = {}
        while time.perf_counter() - started < deadline_s:
            saga = await self.saga(saga_id)
            if saga["status"] in ("completed", "compensated", "failed"):
                break
            waiting = next((s["name"] for s in saga["steps"] if s["status"] == "waiting"), None)
            action = WAITS.get(waiting or "")
            if waiting and waiting not in done and action is not None and await action(self, saga):
                done.add(waiting)
                self.acted[waiting] = self.acted.get(waiting, 0) + 1
                continue
            await asyncio.sleep(self.POLL_S)
        return {"status": saga.get("status", "timeout"), "seconds": time.perf_counter() - started, "saga": saga_id}


#: what a saga may wait on, and who moves it on (the mandate step waits on nothing yet: its provider
#: answers at once; an e-mandate simulator that confirms by webhook gets its entry here)
WAITS: dict[str, Callable[[Borrower, dict[str, Any]], Awaitable[bool]]] = {
    "kfs": Borrower.accept_kfs,
    "esign": Borrower.sign,
}


async def drive_sagas(api: str, esp: str, info: dict[str, Any], concurrency: int) -> dict[str, Any]:
    todo = list(info["applications"])
    results: list[dict[str, Any]] = []
    borrowers: list[Borrower] = []
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def worker() -> None:
            borrower = Borrower(http, api, esp, info["tenant"], info["key"])
            borrowers.append(borrower)
            while todo:
                results.append(await borrower.walk(todo.pop()))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = sorted(r["seconds"] for r in results if r["status"] == "completed")
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    acted: dict[str, int] = {}
    for b in borrowers:
        for k, n in b.acted.items():
            acted[k] = acted.get(k, 0) + n
    refused: dict[int, int] = {}
    for b in borrowers:
        for code, n in b.refused.items():
            refused[code] = refused.get(code, 0) + n
    return {
        "statuses": statuses,
        "errors": [r["error"] for r in results if "error" in r][:5],
        "kfs_accept_refused_then_retried": refused,
        "completed": statuses.get("completed", 0),
        "saga_seconds_p50": round(harness.percentile(seconds, 50), 3) if seconds else None,
        "saga_seconds_p99": round(harness.percentile(seconds, 99), 3) if seconds else None,
        "polls": sum(b.polls for b in borrowers),
        "acted": acted,
    }


def count_sagas(url: str) -> dict[str, int]:
    """Sagas, payouts recorded on them, loans booked from them and ``loan.disbursed`` events (superuser)."""
    engine = create_engine(make_url(harness.PG_ADMIN).set(database=make_url(url).database))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(DISTINCT payout_id),"
                " count(DISTINCT loan_id) FROM lending_saga"
            )
        ).one()
        loans = conn.execute(text("SELECT count(*) FROM loan WHERE application_id IS NOT NULL")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM outbox_event WHERE kind = 'loan.disbursed'")).scalar_one()
        unfinished = conn.execute(
            text(
                "SELECT s.status, s.kfs_status, s.agreement_status, s.mandate_status, s.payout_status, s.error,"
                " (SELECT string_agg(st.name || ':' || st.status || ':' || st.attempts, ',' ORDER BY st.seq)"
                "  FROM lending_saga_step st WHERE st.saga_id = s.id AND st.status <> 'completed')"
                " FROM lending_saga s WHERE s.status <> 'completed'"
            )
        ).all()
    engine.dispose()
    if unfinished:
        log(f"sagas: not completed: {[tuple(r) for r in unfinished]}")
    return {
        "sagas": row[0],
        "completed": row[1],
        "distinct_payouts": row[2],
        "distinct_loans": row[3],
        "loans": loans,
        "loan_disbursed_events": events,
    }


def run_sagas(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    data_dir = scratch / "sagas"
    data_dir.mkdir()
    sims = simulators_server(data_dir).start()
    url = harness.postgres_database(SAGA_DB)
    env = harness.server_env(data_dir, url, {"CREDITDESK_MODE": "dev", "CREDITDESK_PUBLIC_BASE_URL": sims.base})
    log(f"sagas: preparing {args.sagas} approved applications; simulators on {sims.base}")
    result: dict[str, Any] = {"sagas": args.sagas, "concurrency": args.saga_concurrency}
    server: harness.Server | None = None
    try:
        info = prepare_sagas(env, sagas=args.sagas, gateway=f"{sims.base}/simulators/payments")
        env["CREDITDESK_HEALTH_PORT"] = str(harness.free_port())
        port = harness.free_port()
        cmd = [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port), "--workers", str(args.workers)]
        server = harness.Server("sagas", cmd, env, port, data_dir / "server.log").start()
        log(f"sagas: serving on {server.base}, {args.workers} processes (dev mode, embedded workers)")
        api = f"{server.base}/api/v1/tenants/{info['tenant']}"
        # the gateway simulator's webhooks (payouts; mandates confirmed by the sponsor bank) reach the tenant
        hooks = {
            "key_secret": SANDBOX_KEY_SECRET,
            "webhook_secret": SANDBOX_WEBHOOK_SECRET,
            "webhook_url": f"{server.base}/api/v1/webhooks/payments/{info['tenant']}",
        }
        httpx.put(f"{sims.base}/simulators/payments/accounts/{SANDBOX_KEY_ID}", json=hooks).raise_for_status()
        with harness.Meter(server, SAGA_DB, extra=[sims]) as meter:
            driven = asyncio.run(drive_sagas(api, f"{sims.base}/simulators/esign", info, args.saga_concurrency))
        result.update(driven)
        result["meter"] = meter.result
        result["database"] = count_sagas(url)
        done = driven["completed"]
        m = meter.result
        result["sagas_per_s"] = round(done / m["wall_s"], 2)
        if done:
            result["server_cpu_ms_per_saga"] = round(m["server_cpu_s"] * 1000 / done, 1)
            result["postgres_cpu_ms_per_saga"] = round(m["postgres_cpu_s"] * 1000 / done, 1)
            result["simulators_cpu_ms_per_saga"] = round(m["simulators_cpu_s"] * 1000 / done, 1)
        db = result["database"]
        result["problems"] = [
            p
            for p, bad in (
                (f"not every saga completed: {driven['statuses']}", done != args.sagas),
                (
                    f"payouts, loans or events differ from sagas: {db}",
                    not (
                        db["completed"]
                        == db["distinct_payouts"]
                        == db["distinct_loans"]
                        == db["loans"]
                        == db["loan_disbursed_events"]
                        == done
                    ),
                ),
            )
            if bad
        ]
        log(
            f"sagas: {done} completed in {m['wall_s']} s = {result['sagas_per_s']}/s, p50 "
            f"{result['saga_seconds_p50']} s; CPU/saga server {result.get('server_cpu_ms_per_saga')} ms + PostgreSQL "
            f"{result.get('postgres_cpu_ms_per_saga')} ms + simulators {result.get('simulators_cpu_ms_per_saga')} ms; "
            f"{driven['polls']} polls; machine {m['machine_busy_cores']} cores busy; "
            f"problems: {result['problems'] or 'none'}"
        )
    finally:
        if server is not None:
            server.stop()
            result["server_log"] = server.log_problems()
        sims.stop()
        harness.drop_postgres_database(SAGA_DB)
    return result


# --------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    if not args.skip_webhooks and not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    harness.raise_nofile()
    report: dict[str, Any] = {
        "at": harness.now_iso(),
        "command": " ".join([".venv/bin/python", "benchmarks/money_bench.py", *(argv or sys.argv[1:])]),
        "machine": harness.machine(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    busy0, wall0 = harness.system_busy_seconds(), time.perf_counter()
    with harness.scratch_dir("creditdesk-money-", keep=args.keep) as scratch:
        out = args.out or harness.dated_path(
            harness.BENCH / "results" / ("quick" if args.quick else ""), f"money-{harness.today()}"
        )
        out.parent.mkdir(parents=True, exist_ok=True)

        def save() -> None:  # after each part, so a failing part keeps the other's figures
            wall = time.perf_counter() - wall0
            report["machine_busy_cores_overall"] = round((harness.system_busy_seconds() - busy0) / wall, 2)
            report["load_after"] = [round(x, 2) for x in os.getloadavg()]
            out.write_text(json.dumps(report, indent=1, default=str) + "\n")

        if not args.skip_webhooks:
            report["webhooks"] = run_webhooks(args, scratch)
            save()
        if not args.skip_sagas:
            report["sagas"] = run_sagas(args, scratch)
            save()
    log(f"results: {out}")
    return out


if __name__ == "__main__":
    main()
