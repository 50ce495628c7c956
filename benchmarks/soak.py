"""Soak test: steady load on the full decision path for a long time, watching the server's memory.

`make soak` runs this. It prepares a fresh database like http_bench.py (PostgreSQL with
``creditdesk serve --workers 2`` by default; ``--embedded`` for SQLite with one process), then drives
``POST /api/v1/tenants/{t}/applications`` with ``wrk -t2 -c50`` for ``--minutes`` (default 20) and
samples, every 10 s, the RSS and PSS summed over the server's processes (from /proc) and their CPU.

Reported: RSS at the end of the warm-up (first minute) and at the end, growth in % and the fitted slope
in MiB/hour after warm-up, total requests, goodput, latency, non-2xx by status and socket errors.
Written to ``benchmarks/results/soak-<date>.json`` and ``benchmarks/charts/soak-rss.png``
(``--quick``: one minute, into the git-ignored ``quick/`` folders).

    .venv/bin/python benchmarks/soak.py [--minutes 20] [--connections 50] [--embedded] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import log  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=None, help="length of the load (default 20; 1 with --quick)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--embedded", action="store_true", help="SQLite, one process, instead of PostgreSQL, two")
    p.add_argument("--workers", type=int, default=None, help="server processes (default 2; 1 with --embedded)")
    p.add_argument("--sample-seconds", type=float, default=10.0)
    p.add_argument("--warmup-seconds", type=float, default=None, help="memory baseline taken after this (60)")
    p.add_argument("--timeout", type=float, default=10, help="wrk --timeout in seconds")
    p.add_argument("--quick", action="store_true", help="smoke check: 1 minute, 15 s warm-up, 5 s samples")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (server log, SQLite file)")
    args = p.parse_args(argv)
    if args.quick:
        args.minutes = args.minutes or 1
        args.warmup_seconds = 15 if args.warmup_seconds is None else args.warmup_seconds
        args.sample_seconds = min(args.sample_seconds, 5)
    args.minutes = args.minutes or 20
    args.warmup_seconds = min(60.0 if args.warmup_seconds is None else args.warmup_seconds, args.minutes * 30)
    args.workers = args.workers or (1 if args.embedded else 2)
    return args


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    return round(sum((t - mx) * (v - my) for t, v in points) / var * 3600, 1)


def summarise(samples: list[dict[str, Any]], wrk: dict[str, Any], warmup_s: float) -> dict[str, Any]:
    after = [s for s in samples if s["t_s"] >= warmup_s] or samples
    start, end = after[0], samples[-1]
    mib = 2**20
    return {
        "requests": wrk["requests"],
        "goodput_rps": wrk["goodput_rps"],
        "rps": wrk["rps"],
        "p50_ms": (wrk["latency_ms"] or {}).get("p50"),
        "p99_ms": (wrk["latency_ms"] or {}).get("p99"),
        "non_2xx": sum(wrk["non_2xx"].values()),
        "non_2xx_by_status": wrk["non_2xx"],
        "socket_errors": wrk["socket_errors"],
        "socket_errors_total": wrk["socket_errors_total"],
        "rss_start_at_s": start["t_s"],
        "rss_start_mb": round(start["rss_bytes"] / mib, 1),
        "rss_end_mb": round(end["rss_bytes"] / mib, 1),
        "rss_max_mb": round(max(s["rss_bytes"] for s in samples) / mib, 1),
        "rss_growth_pct": round((end["rss_bytes"] - start["rss_bytes"]) / start["rss_bytes"] * 100, 2),
        "rss_slope_mb_per_hour": slope_per_hour([(s["t_s"], s["rss_bytes"] / mib) for s in after]),
        "pss_start_mb": round(start["pss_bytes"] / mib, 1),
        "pss_end_mb": round(end["pss_bytes"] / mib, 1),
        "pss_growth_pct": round((end["pss_bytes"] - start["pss_bytes"]) / max(1, start["pss_bytes"]) * 100, 2),
        "mean_server_cpu_cores": round(sum(s["cpu_cores"] for s in samples[1:]) / max(1, len(samples) - 1), 2),
    }


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    harness.raise_nofile()
    mode = "embedded" if args.embedded else "postgres"
    database = "sqlite" if args.embedded else "postgresql"
    pg_name = "creditdesk_soak"
    report: dict[str, Any] = {
        "at": harness.now_iso(),
        "mode": mode,
        "database": database,
        "processes": args.workers,
        "connections": args.connections,
        "minutes": args.minutes,
        "warmup_s": args.warmup_seconds,
        "sample_s": args.sample_seconds,
        "target": "POST /api/v1/tenants/{t}/applications",
        "machine": harness.machine(),
    }
    with harness.scratch_dir("creditdesk-soak-", keep=args.keep) as scratch:
        url = None if args.embedded else harness.postgres_database(pg_name)
        log(f"soak: preparing {database} and a champion model")
        (scratch / "data").mkdir()
        server, info = harness.creditdesk_server(
            mode, workers=args.workers, database_url=url, data_dir=scratch / "data"
        )
        body_file = scratch / "body.json"
        body_file.write_text(json.dumps(harness.application_body()))
        target = f"/api/v1/tenants/{info['tenant']}/applications"
        server.start()
        try:
            import httpx

            check = httpx.post(
                server.base + target,
                json=harness.application_body(),
                headers={"X-API-Key": info["key"]},
                timeout=30,
            )
            if check.status_code != 201:
                raise RuntimeError(f"soak: {check.status_code} {check.text[:500]}")
            seconds = args.minutes * 60
            cmd, env = harness.wrk_command(
                server.base + target,
                connections=args.connections,
                duration=seconds,
                body_file=body_file,
                api_key=info["key"],
                timeout_s=args.timeout,
                threads=2,
            )
            log(f"soak: {args.minutes} min at {args.connections} connections against {server.base}{target}")
            samples: list[dict[str, Any]] = []
            started = time.monotonic()
            last_cpu, last_t = server.cpu_seconds(), 0.0
            wrk = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
            next_at = 0.0
            while wrk.poll() is None:
                t = time.monotonic() - started
                if t >= next_at:
                    cpu = server.cpu_seconds()
                    mem = server.memory()
                    samples.append(
                        {
                            "t_s": round(t, 1),
                            **mem,
                            "cpu_cores": round((cpu - last_cpu) / (t - last_t), 2) if t > last_t else 0.0,
                        }
                    )
                    last_cpu, last_t = cpu, t
                    if len(samples) % max(1, int(60 / args.sample_seconds)) == 1:
                        log(
                            f"soak: {t / 60:5.1f} min  RSS {mem['rss_bytes'] / 2**20:,.0f} MiB  "
                            f"CPU {samples[-1]['cpu_cores']} cores"
                        )
                    next_at += args.sample_seconds
                time.sleep(min(1.0, max(0.05, next_at - (time.monotonic() - started))))
            stdout, stderr = wrk.communicate()
            final = server.memory()
            samples.append(
                {
                    "t_s": round(time.monotonic() - started, 1),
                    **final,
                    "cpu_cores": round(
                        (server.cpu_seconds() - last_cpu) / max(0.1, time.monotonic() - started - last_t), 2
                    ),
                }
            )
            result = harness.parse_wrk(stdout, stderr, wrk.returncode)
            report["wrk"] = result
            report["samples"] = samples
            report["summary"] = summarise(samples, result, args.warmup_seconds)
            report["shed_total"] = server.counter("creditdesk_http_shed_total")
        finally:
            server.stop()
            report["server_log"] = server.log_problems()
            if url:
                harness.drop_postgres_database(pg_name)
    quick = "quick" if args.quick else ""
    out = args.out or harness.dated_path(harness.BENCH / "results" / quick, f"soak-{harness.today()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"results: {out}")
    import charts
    import report as report_md

    log(f"chart: {charts.render_soak(report, harness.BENCH / 'charts' / quick / 'soak-rss.png')}")
    print(report_md.render_soak(report), end="")
    s = report["summary"]
    print(
        f"\nRSS {s['rss_start_mb']} MiB (at {s['rss_start_at_s']:.0f} s) -> {s['rss_end_mb']} MiB "
        f"({s['rss_growth_pct']:+.2f} %, slope {s['rss_slope_mb_per_hour']} MiB/h); requests {s['requests']:,}, "
        f"non-2xx {s['non_2xx']}, socket errors {s['socket_errors_total']}; server log {report['server_log']}"
    )
    return out


if __name__ == "__main__":
    main()
