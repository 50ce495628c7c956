"""Markdown tables for benchmarks/README.md from a results file (printed to stdout).

.venv/bin/python benchmarks/report.py [benchmarks/results/<date>.json]   # default: the newest results file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def statuses(non_2xx: dict[str, int]) -> str:
    return ", ".join(f"{n:,}× {s}" for s, n in sorted(non_2xx.items())) if non_2xx else "0"


def socket_errors(run: dict[str, Any]) -> str:
    total = run["socket_errors_total"]
    if not total:
        return "0"
    parts = ", ".join(f"{k} {v:,}" for k, v in run["socket_errors"].items() if v)
    return f"{total:,} ({parts})"


def healthz(run: dict[str, Any], key: str = "healthz") -> str:
    h = run.get(key)
    if not h:
        return ""
    failed = sum(h["failures"].values())
    return f"{ms(h['max_ms'])} / {ms(h['p99_ms'])}" + (f", {failed} failed" if failed else "")


def runs_table(runs: list[dict[str, Any]], *, with_probe: bool) -> list[str]:
    head = (
        "| connections | req/s | goodput (2xx/s) | P50 | P90 | P99 | non-2xx by status | socket errors "
        "| server CPU / 2xx |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|---|---|---:|"
    if with_probe:
        head += " `/healthz` max / P99 | health port max / P99 |"
        rule += "---|---|"
    lines = [head, rule]
    for r in runs:
        lat = r["latency_ms"] or {}
        row = (
            f"| {r['connections']:,} | {num(r['rps'])} | {num(r['goodput_rps'])} | {ms(lat.get('p50'))} | "
            f"{ms(lat.get('p90'))} | {ms(lat.get('p99'))} | {statuses(r['non_2xx'])} | {socket_errors(r)} | "
            f"{ms(r.get('cpu_ms_per_2xx'))} |"
        )
        if with_probe:
            row += f" {healthz(r) or '—'} | {healthz(r, 'healthz_port') or '—'} |"
        lines.append(row)
    return lines


def render(report: dict[str, Any]) -> str:
    out: list[str] = []
    m = report.get("machine", {})
    pg = m.get("postgresql", {})
    out.append(
        f"Run {report['at']} — {report['duration_s']} s per run, `wrk -t2` (`benchmarks/wrk_report.lua`, "
        f"timeout {report['wrk']['timeout_s']} s) on the same host. Machine: {m.get('cpus')} vCPU "
        f"({m.get('cpu_model', '?')}), {m.get('memory', '?')}, {m.get('platform', '?')}, Python {m.get('python')}, "
        f"SQLite {m.get('sqlite')}, PostgreSQL {pg.get('version', '?')} "
        f"(synchronous_commit={pg.get('synchronous_commit', '?')}), "
        f"{m.get('wrk', 'wrk')}."
    )
    if report.get("quick"):
        out.append("\n**Quick smoke run (`--quick`): too short to be a measurement.**")
    probe = any(
        r.get("healthz") for mode in report["modes"].values() for t in mode["targets"].values() for r in t["runs"]
    )

    # the comparison at a glance
    columns: list[tuple[str, list[dict[str, Any]]]] = []
    if report.get("reference"):
        columns.append(("minimal FastAPI", report["reference"]["runs"]))
    for mode, data in report["modes"].items():
        for target, t in data["targets"].items():
            columns.append((f"{mode} `{target}`", t["runs"]))
    if columns:
        out.append("\n#### At a glance: goodput (2xx/s) / P99\n")
        out.append("| connections | " + " | ".join(name for name, _ in columns) + " |")
        out.append("|---:|" + "---:|" * len(columns))
        for conns in report["connections"]:
            cells = []
            for _, runs in columns:
                r = next((r for r in runs if r["connections"] == conns), None)
                cells.append(f"{num(r['goodput_rps'])} / {ms((r['latency_ms'] or {}).get('p99'))}" if r else "—")
            out.append(f"| {conns:,} | " + " | ".join(cells) + " |")

    if report.get("reference"):
        ref = report["reference"]
        out.append(f"\n#### Reference: minimal FastAPI (`{ref['app']}`, {ref['path']}, uvicorn, 1 process)\n")
        out.extend(runs_table(ref["runs"], with_probe=any(r.get("healthz") for r in ref["runs"])))

    for mode, data in report["modes"].items():
        for t in data["targets"].values():
            out.append(f"\n#### {mode}: `{t['path']}` ({data['database']}, {data['processes']} process(es))\n")
            out.extend(runs_table(t["runs"], with_probe=probe))
        shed = data.get("shed_total")
        if shed:
            out.append(f"\nShed by the admission queue (503) during the {mode} runs: {shed:,.0f} requests.")
        log = data.get("server_log") or {}
        if log.get("tracebacks") or log.get("error_events"):
            events = ", ".join(f"{k} ({v}×)" for k, v in log["error_events"].items())
            out.append(f"\nServer log ({mode}): {log['tracebacks']} tracebacks; errors: {events or 'none'}.")

    batches = [(mode, d["batch"]) for mode, d in report["modes"].items() if d.get("batch")]
    if batches:
        out.append("\n#### CSV batch, upload → every row decided and stored\n")
        out.append("| mode | rows | upload | end to end | rows/s | server CPU / row | outcome | peak server RSS |")
        out.append("|---|---:|---:|---:|---:|---:|---|---:|")
        for mode, b in batches:
            if "seconds" not in b:
                out.append(f"| {mode} | {b['rows']:,} | — | — | — | — | {b['status']} | — |")
                continue
            out.append(
                f"| {mode} | {b['rows']:,} | {b['upload_s']:.1f} s | {b['seconds']:.1f} s | "
                f"**{num(b['rows_per_s'])}** | "
                f"{ms(b['cpu_ms_per_row'])} | {b['status']}: {b['done']:,} done, {b['failed'] or 0:,} failed | "
                f"{b['peak_server_rss_mb']:,.0f} MiB |"
            )
    return "\n".join(out) + "\n"


def render_soak(report: dict[str, Any]) -> str:
    s = report["summary"]
    return (
        "\n".join(
            [
                f"Soak {report['at']}: {report['mode']} ({report['database']}, {report['processes']} processes), "
                f"`POST …/applications` at {report['connections']} connections for {report['minutes']} min.\n",
                "| requests | goodput (2xx/s) | P50 / P99 | non-2xx by status | socket errors "
                "| RSS after warm-up → end | growth |",
                "|---:|---:|---|---|---|---|---:|",
                f"| {s['requests']:,} | {num(s['goodput_rps'])} | {ms(s['p50_ms'])} / {ms(s['p99_ms'])} | "
                f"{statuses(s['non_2xx_by_status'])} | {s['socket_errors_total']:,} | "
                f"{s['rss_start_mb']:,.0f} → {s['rss_end_mb']:,.0f} MiB | {s['rss_growth_pct']:+.1f} % |",
            ]
        )
        + "\n"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", type=Path, nargs="?")
    args = p.parse_args()
    path = args.results
    if path is None:
        files = sorted(RESULTS.glob("[0-9]*.json"), key=lambda f: f.stat().st_mtime)
        if not files:
            sys.exit(f"no results in {RESULTS}")
        path = files[-1]
    report = json.loads(path.read_text())
    print(render_soak(report) if "samples" in report else render(report), end="")


if __name__ == "__main__":
    main()
