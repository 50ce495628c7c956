"""HTTP benchmark: the real server, real HTTP, both deployment modes, against a minimal FastAPI reference.

`make bench` runs this (then ml_bench.py). For each mode —

* ``embedded``: ``creditdesk serve`` on SQLite, one process (the in-process worker runs batches);
* ``postgres``: ``creditdesk serve --workers 2`` against a fresh PostgreSQL database;

it prepares the database in a child process (migrations, a champion trained on 20,000 synthetic rows,
a tenant, an API key), starts the server in production mode, and drives two targets with ``wrk -t2``
at each connection count (default 1, 50, 100, 200, 2000):

* ``applications`` — ``POST /api/v1/tenants/{t}/applications``, the full decision path (validation,
  features, inline bureau data, TreeSHAP, policy, the stored application, audit, outbox, commit);
* ``score`` — ``POST /api/v1/tenants/{t}/score``, the same body decided statelessly (nothing stored).

Then it uploads a 100,000-row CSV batch and polls it to the end (rows/s end to end). The reference —
``benchmarks/minimal_app.py`` under uvicorn, one process — is driven at the same connection counts
with the same body. During runs at ≥ 2,000 connections ``GET /healthz`` is probed every 200 ms.

Every run records requests/s, goodput (2xx/s), P50/P90/P99 latency, non-2xx by status, socket errors,
server CPU per 2xx (utime+stime of the server and its worker processes, from /proc) and server memory.
Results: ``benchmarks/results/<date>.json`` and charts in ``benchmarks/charts/`` (``--quick`` writes
to the ``quick/`` sub-folders, which git ignores). ``benchmarks/report.py`` renders the README tables.

    .venv/bin/python benchmarks/http_bench.py [--duration 15] [--modes embedded,postgres]
        [--connections 1,50,100,200,2000] [--targets applications,score] [--skip-batch] [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import log  # noqa: E402

MODES: dict[str, dict[str, Any]] = {
    "embedded": {"database": "sqlite", "workers": 1},
    "postgres": {"database": "postgresql", "workers": 2},
}
TARGETS = {"applications": "/api/v1/tenants/{t}/applications", "score": "/api/v1/tenants/{t}/score"}
PG_DATABASE = "creditdesk_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 15; 2 with --quick)")
    p.add_argument("--modes", default="embedded,postgres", help="comma list of: embedded, postgres")
    p.add_argument(
        "--connections", default=None, help="comma list of connection counts (1,50,100,200,2000; --quick: 1,50)"
    )
    p.add_argument("--targets", default="applications,score", help="comma list of: applications, score")
    p.add_argument("--batch-rows", type=int, default=None, help="CSV batch size (default 100000; 2000 with --quick)")
    p.add_argument("--skip-batch", action="store_true", help="no CSV batch")
    p.add_argument("--skip-reference", action="store_true", help="no minimal-FastAPI reference runs")
    p.add_argument("--timeout", type=float, default=10, help="wrk --timeout in seconds (default 10)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds per target at 10 connections (3)")
    p.add_argument("--probe-from", type=int, default=2000, help="probe /healthz in runs with ≥ this many connections")
    p.add_argument("--quick", action="store_true", help="smoke check: 2 s runs at 1 and 50 connections")
    p.add_argument("--out", type=Path, default=None, help="results JSON path (default benchmarks/results/<date>.json)")
    p.add_argument("--no-charts", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (server logs, SQLite file)")
    args = p.parse_args(argv)
    if args.quick:
        args.duration = args.duration or 2
        args.connections = args.connections or "1,50"
        args.batch_rows = args.batch_rows or 2000
        args.warmup = 1 if args.warmup is None else args.warmup
    args.duration = args.duration or 15
    args.connections = args.connections or "1,50,100,200,2000"
    args.batch_rows = args.batch_rows or 100_000
    args.warmup = 3 if args.warmup is None else args.warmup
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    unknown = set(args.modes) - set(MODES) or set(args.targets) - set(TARGETS)
    if unknown:
        p.error(f"unknown mode/target: {', '.join(sorted(unknown))}")
    return args


def drive(
    server: harness.Server, url: str, *, args: argparse.Namespace, body_file: Path, key: str | None, label: str
) -> list[dict[str, Any]]:
    """Warm up, then one wrk run per connection count, letting the server go idle between runs."""
    if args.warmup > 0:
        harness.run_wrk(url, connections=10, duration=args.warmup, body_file=body_file, api_key=key, server=server)
    runs = []
    for conns in args.connections:
        waited = server.settle()
        run = harness.run_wrk(
            url,
            connections=conns,
            duration=args.duration,
            body_file=body_file,
            api_key=key,
            server=server,
            timeout_s=args.timeout,
            probe=conns >= args.probe_from,
        )
        run["settled_before_s"] = waited
        log(harness.describe_run(label, run))
        runs.append(run)
    return runs


def run_reference(args: argparse.Namespace, scratch: Path, body_file: Path) -> dict[str, Any]:
    server = harness.reference_server(scratch).start()
    try:
        log(f"reference: minimal FastAPI app on {server.base} (started in {server.startup_s} s)")
        runs = drive(server, server.base + "/score", args=args, body_file=body_file, key=None, label="reference")
    finally:
        server.stop()
    return {
        "app": "benchmarks/minimal_app.py",
        "path": "POST /score",
        "processes": 1,
        "runs": runs,
    }


def run_mode(mode: str, args: argparse.Namespace, scratch: Path, body_file: Path) -> dict[str, Any]:
    spec = MODES[mode]
    data_dir = scratch / mode
    data_dir.mkdir()
    url = harness.postgres_database(PG_DATABASE) if spec["database"] == "postgresql" else None
    log(f"{mode}: preparing the database ({spec['database']}) and a champion model")
    t0 = time.perf_counter()
    server, info = harness.creditdesk_server(mode, workers=spec["workers"], database_url=url, data_dir=data_dir)
    prepare_s = round(time.perf_counter() - t0, 1)
    result: dict[str, Any] = {
        "database": spec["database"],
        "processes": spec["workers"],
        "prepare_s": prepare_s,
        "model_trees": info.get("model_trees"),
        "settings": {
            k: v
            for k, v in server.env.items()
            if k.startswith("CREDITDESK_")
            and "SECRET" not in k
            and "KEYS" not in k
            and "DATABASE_URL" not in k
            and "DATA_DIR" not in k
        },
        "targets": {},
    }
    server.start()
    result["startup_s"] = server.startup_s
    log(f"{mode}: serving on {server.base} with {spec['workers']} process(es), pids {server.pids()}")
    try:
        import httpx

        body = json.loads(body_file.read_text())
        for target in args.targets:
            path = TARGETS[target].format(t=info["tenant"])
            check = httpx.post(server.base + path, json=body, headers={"X-API-Key": info["key"]}, timeout=30)
            if check.status_code not in (200, 201):
                raise RuntimeError(f"{mode} {target}: {check.status_code} {check.text[:500]}")
            runs = drive(
                server, server.base + path, args=args, body_file=body_file, key=info["key"], label=f"{mode}/{target}"
            )
            result["targets"][target] = {"path": f"POST {TARGETS[target]}", "runs": runs}
        if not args.skip_batch:
            server.settle()
            log(f"{mode}: CSV batch of {args.batch_rows:,} rows")
            batch = harness.run_batch(server, tenant=info["tenant"], key=info["key"], rows=args.batch_rows)
            log(f"{mode}: batch {batch}")
            result["batch"] = batch
        result["shed_total"] = server.counter("creditdesk_http_shed_total")
        result["rate_limited_total"] = server.counter("creditdesk_rate_limited_total")
        result["server_memory_end"] = server.memory()
    finally:
        server.stop()
        result["server_log"] = server.log_problems()
        if url:
            harness.drop_postgres_database(PG_DATABASE)
    if result["server_log"]["tracebacks"] or result["server_log"]["error_events"]:
        log(f"{mode}: the server logged problems: {result['server_log']}")
    return result


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    nofile = harness.raise_nofile()
    if max(args.connections) + 100 > nofile:
        sys.exit(f"open-file limit {nofile} is too low for {max(args.connections)} connections")
    report: dict[str, Any] = {
        "at": harness.now_iso(),
        "quick": args.quick,
        "duration_s": args.duration,
        "connections": args.connections,
        "targets": args.targets,
        "wrk": {"threads": 2, "timeout_s": args.timeout, "script": "benchmarks/wrk_report.lua"},
        "healthz_probe": {"interval_ms": 200, "from_connections": args.probe_from},
        "machine": harness.machine(),
        "reference": None,
        "modes": {},
    }
    started = time.perf_counter()
    with harness.scratch_dir("creditdesk-bench-", keep=args.keep) as scratch:
        body_file = scratch / "body.json"
        body_file.write_text(json.dumps(harness.application_body()))
        if not args.skip_reference:
            report["reference"] = run_reference(args, scratch, body_file)
        for mode in args.modes:
            report["modes"][mode] = run_mode(mode, args, scratch, body_file)
    report["total_s"] = round(time.perf_counter() - started, 1)
    results_dir = harness.BENCH / "results" / ("quick" if args.quick else "")
    out = args.out or harness.dated_path(results_dir, harness.today())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"results: {out}")
    if not args.no_charts:
        import charts

        chart_dir = harness.BENCH / "charts" / ("quick" if args.quick else "")
        for path in charts.render(report, chart_dir):
            log(f"chart: {path}")
    import report as report_md

    print(report_md.render(report))
    return out


if __name__ == "__main__":
    main()
