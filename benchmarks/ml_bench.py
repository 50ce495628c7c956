"""Benchmark the in-process ML decision path and batch scoring.

Run:  .venv/bin/python benchmarks/ml_bench.py [--rows 20000] [--decisions 5000] [--json]

* decision — one application at a time on one core: features (feature_row) → PD → exact TreeSHAP
  → three reason texts → score scales. Reports p50/p95/p99 per decision. Target ≤ 1 ms p50.
* batch    — rows/s for a list of §5 applications: score-only (build_frame + predict) and with
  SHAP (build_frame + pred_contrib + reasons for every row). Targets ≥ 50k rows/s score-only,
  ≥ 3k rows/s with SHAP. Also the model-only figures (features already built).

The model is the demo champion (train_default_model) trained once at start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from creditdesk.ml import explain, scales  # noqa: E402
from creditdesk.ml.features import build_frame, feature_row  # noqa: E402
from creditdesk.ml.model import LoadedModel  # noqa: E402
from creditdesk.ml.synthetic import BOOK_AS_OF, generate_book  # noqa: E402
from creditdesk.ml.training import train_default_model  # noqa: E402


def _decide(model: LoadedModel, app: dict) -> tuple[float, list[str], int, int]:
    row = feature_row(app, as_of=BOOK_AS_OF)
    explanation = model.explain_row(row)
    reasons = explain.reasons(explanation, n=3)
    return explanation.pd, reasons, scales.score(explanation.pd), scales.credit_score(explanation.pd)


def bench_decisions(model: LoadedModel, apps: list[dict], count: int) -> dict[str, float]:
    """Time single decisions one after another on one thread."""
    for app in apps[:200]:
        _decide(model, app)
    timings = []
    for i in range(count):
        app = apps[i % len(apps)]
        start = time.perf_counter_ns()
        _decide(model, app)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    timings.sort()
    return {
        "decisions": count,
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(0.95 * (count - 1))],
        "p99_ms": timings[int(0.99 * (count - 1))],
        "mean_ms": statistics.fmean(timings),
    }


def _best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_batch(model: LoadedModel, apps: list[dict], threads: int) -> dict[str, float]:
    """Measure batch rows/s, score-only and with SHAP, end to end and model-only."""
    n = len(apps)
    frame = build_frame(apps, as_of=BOOK_AS_OF)

    def score_only() -> None:
        model.predict_pd(build_frame(apps, as_of=BOOK_AS_OF), num_threads=threads)

    def with_shap() -> None:
        e = model.explain(build_frame(apps, as_of=BOOK_AS_OF), num_threads=threads)
        contrib = e.contributions
        names = e.features
        for i in range(len(contrib)):
            explain.reasons(dict(zip(names, contrib[i].tolist(), strict=True)), n=3)

    t_features = _best_of(lambda: build_frame(apps, as_of=BOOK_AS_OF))
    t_score = _best_of(score_only)
    t_shap = _best_of(with_shap, repeats=2)
    t_model = _best_of(lambda: model.predict_pd(frame, num_threads=threads))
    t_model_shap = _best_of(lambda: model.explain(frame, num_threads=threads), repeats=2)
    return {
        "rows": n,
        "threads": threads,
        "features_rows_per_s": n / t_features,
        "score_only_rows_per_s": n / t_score,
        "with_shap_rows_per_s": n / t_shap,
        "model_only_score_rows_per_s": n / t_model,
        "model_only_shap_rows_per_s": n / t_model_shap,
    }


def main() -> None:
    """Train the demo model, run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000, help="batch size")
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2, help="threads for batch scoring")
    parser.add_argument("--train-rows", type=int, default=40000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    result = train_default_model(seed=0, n=args.train_rows, swap_set=False)
    train_s = time.perf_counter() - start
    model = LoadedModel.from_artifact(result.artifact, num_threads=1)
    apps = generate_book(n=max(args.rows, 1000), seed=99).applications()

    decision = bench_decisions(model, apps, args.decisions)
    batch = bench_batch(model, apps[: args.rows], args.threads)
    figures = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "model": {
            "trees": model.booster.num_trees(),
            "features": len(model.feature_names),
            "train_seconds": round(train_s, 2),
            "test_auc": result.report["auc"],
        },
        "decision": decision,
        "batch": batch,
        "targets": {"decision_p50_ms": 1.0, "score_only_rows_per_s": 50000, "with_shap_rows_per_s": 3000},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"model: {figures['model']['trees']} trees, {figures['model']['features']} features, "
        f"trained in {train_s:.1f} s, test AUC {result.report['auc']:.4f}"
    )
    print(f"decision path (features → PD → TreeSHAP → reasons), one core, {decision['decisions']} decisions:")
    print(
        f"  p50 {decision['p50_ms']:.3f} ms   p95 {decision['p95_ms']:.3f} ms   p99 {decision['p99_ms']:.3f} ms"
        f"   (target ≤ 1 ms p50)"
    )
    print(f"batch of {batch['rows']} applications, {batch['threads']} threads:")
    print(f"  features only         {batch['features_rows_per_s']:>10,.0f} rows/s")
    print(f"  score-only end-to-end {batch['score_only_rows_per_s']:>10,.0f} rows/s   (target ≥ 50,000)")
    print(f"  with SHAP + reasons   {batch['with_shap_rows_per_s']:>10,.0f} rows/s   (target ≥ 3,000)")
    print(f"  model-only score      {batch['model_only_score_rows_per_s']:>10,.0f} rows/s")
    print(f"  model-only SHAP       {batch['model_only_shap_rows_per_s']:>10,.0f} rows/s")
    ok = decision["p50_ms"] <= 1.0 and batch["score_only_rows_per_s"] >= 50000 and batch["with_shap_rows_per_s"] >= 3000
    print("all targets met" if ok else "SOME TARGETS MISSED")
    _ = np  # numpy imported first so OMP settings apply before LightGBM loads


if __name__ == "__main__":
    main()
