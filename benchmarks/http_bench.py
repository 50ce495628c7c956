"""End-to-end decision benchmark: the real server, real HTTP, the full decision path.

`make bench` runs this. It prepares a database (PostgreSQL on 127.0.0.1 when reachable — the
production shape — else SQLite), trains and registers a champion, creates a tenant and an API key,
starts ``creditdesk serve`` in production mode, and drives ``POST /api/v1/tenants/{t}/applications``
(features, inline bureau data, TreeSHAP, policy, audit, outbox, commit) with wrk at 1, 50 and 200
connections. It then times a 10,000-row CSV batch end to end. Results print as JSON and are appended
to ``benchmarks/results.jsonl``; copy the table into benchmarks/README.md.

    .venv/bin/python benchmarks/http_bench.py [--duration 15] [--workers 2] [--sqlite]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("CREDITDESK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ROLE = "creditdesk_test"
DB = "creditdesk_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_url() -> str | None:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).first():
                conn.execute(text(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
            conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {DB} OWNER {ROLE}"))
        return admin.url.set(username=ROLE, password=None, database=DB).render_as_string(hide_password=False)
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not available ({type(exc).__name__}); benchmarking on SQLite", file=sys.stderr)
        return None


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, register a champion, create a tenant and an API key (in a child process with ``env``)."""
    code = r"""
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
    tenant = Tenant(slug="bench-nbfc", name="Bench NBFC"); session.add(tenant); session.flush()
    admin = Identity(actor_type="system", id="bench", email=None, name="bench", role="tenant_admin",
                     tenant_id=tenant.id, tenant_slug=tenant.slug,
                     permissions=permissions_for("tenant_admin", platform_scoped=False))
    key = create_api_key(session, tenant=tenant, data=ApiKeyCreate(name="bench", role="field_officer"), actor=admin)
print(json.dumps({"tenant": "bench-nbfc", "key": key.key, "model_trees": result.report.get("best_iteration")}))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "{key}"
wrk.body = [[{body}]]
"""


def parse_wrk(text: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = float(re.match(r"[\d.]+", value).group()), re.sub(r"[\d.]+", "", value)
        return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    out: dict[str, float] = {}
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out[f"p{pct}_ms"] = round(ms(m.group(1)), 2)
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", text)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(g) for g in errs.groups()) if errs else 0
    return out


def batch_rows_per_second(base: str, tenant: str, key: str, rows: int = 10000) -> dict[str, float]:
    sample = json.loads((ROOT / "data" / "sample_application.json").read_text())
    a, loan, b, alt = sample["applicant"], sample["loan"], sample["bureau"], sample["alt_data"]
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = [
        "external_ref",
        "name",
        "date_of_birth",
        "employment_type",
        "monthly_income",
        "existing_emi",
        "loan_amount",
        "tenure_months",
        "interest_rate",
        "purpose",
        "bureau_score",
        "bureau_utilization",
        "alt_avg_monthly_inflow",
        "alt_inflow_regularity",
    ]
    w.writerow(cols)
    for i in range(rows):
        w.writerow(
            [
                f"BB-{i}",
                a["name"],
                a["date_of_birth"],
                a["employment_type"],
                a["monthly_income"] + i % 50 * 100,
                a["existing_emi"],
                loan["amount"],
                loan["tenure_months"],
                loan["interest_rate"],
                loan["purpose"],
                b["score"] - i % 200,
                b["utilization"],
                alt["avg_monthly_inflow"],
                alt["inflow_regularity"],
            ]
        )
    headers = {"X-API-Key": key}
    started = time.perf_counter()
    r = httpx.post(
        f"{base}/api/v1/tenants/{tenant}/batches",
        headers=headers,
        timeout=120,
        files={"file": ("bench.csv", buf.getvalue().encode(), "text/csv")},
    )
    r.raise_for_status()
    batch = r.json()
    while True:
        status = httpx.get(f"{base}/api/v1/tenants/{tenant}/batches/{batch['batch_id']}", headers=headers).json()
        if status["status"] in ("succeeded", "failed", "dead"):
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed, 1),
        "status": status["status"],
        "done": status["done"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true", help="benchmark the embedded SQLite mode instead")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    data_dir = Path(tempfile.mkdtemp(prefix="creditdesk-bench-"))
    url = None if args.sqlite else postgres_url()
    from creditdesk.config import generate_encryption_key

    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITDESK_")}
    env.update(
        {
            "CREDITDESK_MODE": "production",
            "CREDITDESK_DATA_DIR": str(data_dir),
            "CREDITDESK_JWT_SECRET": "bench-" + "x" * 40,
            "CREDITDESK_ENCRYPTION_KEYS": generate_encryption_key("b1"),
            "CREDITDESK_RATE_LIMIT_PER_TENANT": "100000000/minute",
            "CREDITDESK_RATE_LIMIT_PER_API_KEY": "100000000/minute",
            "CREDITDESK_LOG_LEVEL": "WARNING",
            "OMP_NUM_THREADS": "1",
        }
    )
    if url:
        env["CREDITDESK_DATABASE_URL"] = url
    info = prepare(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "creditdesk.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        sample = json.loads((ROOT / "data" / "sample_application.json").read_text())
        sample.pop("pull_bureaus")
        lua = data_dir / "post.lua"
        lua.write_text(WRK_LUA.format(key=info["key"], body=json.dumps(sample)))
        target = f"{base}/api/v1/tenants/{info['tenant']}/applications"
        check = httpx.post(target, json=sample, headers={"X-API-Key": info["key"]})
        assert check.status_code == 201, check.text
        subprocess.run(["wrk", "-t1", "-c10", "-d3s", "-s", str(lua), target], capture_output=True)  # warm-up
        results = {}
        for conns in (1, 50, 200):
            threads = 1 if conns == 1 else 2
            out = subprocess.run(
                [
                    "wrk",
                    f"-t{threads}",
                    f"-c{conns}",
                    f"-d{args.duration}s",
                    "--latency",
                    "--timeout",
                    "5s",
                    "-s",
                    str(lua),
                    target,
                ],
                capture_output=True,
                text=True,
            ).stdout
            results[f"c{conns}"] = parse_wrk(out)
            print(f"{conns:>3} connections: {results[f'c{conns}']}", file=sys.stderr)
        results["batch"] = batch_rows_per_second(base, info["tenant"], info["key"])
        metrics = httpx.get(f"{base}/metrics").text
        shed = re.search(r"^creditdesk_http_shed_total\S* ([\d.e+]+)", metrics, re.M)
        results["shed_total"] = float(shed.group(1)) if shed else 0.0
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if url else "sqlite",
        "workers": args.workers,
        "duration_s": args.duration,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_before": os.getloadavg(),
        },
        **results,
    }
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report) + "\n")
    print(json.dumps(report, indent=2))
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
