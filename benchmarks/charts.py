"""PNG charts from an HTTP benchmark results file (matplotlib, Agg backend).

    .venv/bin/python benchmarks/charts.py benchmarks/results/<date>.json [--out benchmarks/charts]

* ``latency.png`` — P50 and P99 latency vs connections, one panel per mode and target, with the
  minimal-FastAPI reference in grey;
* ``throughput.png`` — goodput (2xx responses/s) vs connections, one panel per target, one line per
  mode, with the reference;
* ``cpu.png`` — server CPU milliseconds per 2xx response vs connections.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter  # noqa: E402

MODE_COLOURS = {"embedded": "tab:blue", "postgres": "tab:orange"}
REF = {"color": "0.55", "label": "minimal FastAPI (reference)"}


def _series(runs: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for r in runs:
        value: Any = r
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            xs.append(r["connections"])
            ys.append(value)
    return xs, ys


def _x_axis(ax: Any, connections: list[int]) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(connections))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("concurrent connections")
    ax.grid(True, which="both", alpha=0.3)


def _subtitle(report: dict[str, Any]) -> str:
    m = report.get("machine", {})
    quick = " — QUICK SMOKE RUN, not a measurement" if report.get("quick") else ""
    return (
        f"{report.get('at', '')[:10]} · {m.get('cpus')} vCPU {m.get('cpu_model', '')} · "
        f"{report.get('duration_s')} s per run · wrk -t2 on the same host{quick}"
    )


def render(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the charts for ``report`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    modes = list(report["modes"])
    targets = report.get("targets") or sorted({t for m in report["modes"].values() for t in m["targets"]})
    connections = report["connections"]
    ref_runs = (report.get("reference") or {}).get("runs", [])
    paths = []
    if not modes:
        return paths

    # latency: rows = targets, columns = modes
    fig, axes = plt.subplots(
        len(targets), len(modes), figsize=(5.2 * len(modes), 3.8 * len(targets)), squeeze=False, sharey=True
    )
    for i, target in enumerate(targets):
        for j, mode in enumerate(modes):
            ax = axes[i][j]
            runs = report["modes"][mode]["targets"].get(target, {}).get("runs", [])
            colour = MODE_COLOURS.get(mode, "tab:green")
            ax.plot(*_series(runs, "latency_ms.p50"), "o-", color=colour, label="P50")
            ax.plot(*_series(runs, "latency_ms.p99"), "s--", color=colour, label="P99")
            if ref_runs:
                grey = {"color": REF["color"], "lw": 1, "ms": 3}
                ax.plot(*_series(ref_runs, "latency_ms.p50"), "o-", **grey, label="reference P50")
                ax.plot(*_series(ref_runs, "latency_ms.p99"), "s--", **grey, label="reference P99")
            ax.set_yscale("log")
            ax.set_ylabel("latency (ms)")
            procs = report["modes"][mode].get("processes")
            ax.set_title(f"{mode} ({procs} proc) — POST …/{target}", fontsize=10)
            _x_axis(ax, connections)
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("Latency vs concurrency (all answered requests)\n" + _subtitle(report), fontsize=9)
    fig.tight_layout()
    paths.append(out_dir / "latency.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # throughput and CPU: one panel per target, one line per mode
    for name, key, ylabel, title, log_y in (
        ("throughput.png", "goodput_rps", "goodput (2xx responses/s, log scale)", "Goodput vs concurrency", True),
        ("cpu.png", "cpu_ms_per_2xx", "server CPU ms per 2xx (log scale)", "Server CPU per successful response", True),
    ):
        fig, axes = plt.subplots(1, len(targets), figsize=(5.2 * len(targets), 3.9), squeeze=False)
        for i, target in enumerate(targets):
            ax = axes[0][i]
            for mode in modes:
                runs = report["modes"][mode]["targets"].get(target, {}).get("runs", [])
                procs = report["modes"][mode].get("processes")
                ax.plot(*_series(runs, key), "o-", color=MODE_COLOURS.get(mode), label=f"{mode} ({procs} proc)")
            if ref_runs:
                ax.plot(*_series(ref_runs, key), "o--", color=REF["color"], label=REF["label"])
            if log_y:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
            ax.set_ylabel(ylabel)
            ax.set_title(f"POST …/{target}", fontsize=10)
            _x_axis(ax, connections)
            ax.legend(fontsize=7)
        fig.suptitle(f"{title}\n" + _subtitle(report), fontsize=9)
        fig.tight_layout()
        paths.append(out_dir / name)
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def render_soak(report: dict[str, Any], path: Path) -> Path:
    """RSS (and PSS) of the server processes over a soak run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = report["samples"]
    t = [s["t_s"] / 60 for s in samples]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t, [s["rss_bytes"] / 2**20 for s in samples], "-", label="RSS (sum over server processes)")
    ax.plot(t, [s["pss_bytes"] / 2**20 for s in samples], "-", alpha=0.7, label="PSS (sum)")
    ax.axvline(report["warmup_s"] / 60, color="0.6", ls=":", label="end of warm-up")
    ax.set_xlabel("minutes")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    s = report["summary"]
    ax.set_title(
        f"Soak: {report['mode']} ({report['processes']} proc), {report['connections']} connections, "
        f"{report['minutes']} min — RSS {s['rss_start_mb']} → {s['rss_end_mb']} MiB ({s['rss_growth_pct']:+.1f} %)\n"
        f"{report['at'][:10]} · {s['requests']:,} requests, {s['goodput_rps']} 2xx/s, non-2xx {s['non_2xx']}, "
        f"socket errors {s['socket_errors_total']}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description="Render the benchmark charts from a results file")
    p.add_argument("results", type=Path)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "charts")
    args = p.parse_args()
    report = json.loads(args.results.read_text())
    if "samples" in report:
        print(render_soak(report, args.out / "soak-rss.png"))
    else:
        for path in render(report, args.out):
            print(path)


if __name__ == "__main__":
    main()
