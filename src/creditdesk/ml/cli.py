"""`creditdesk model …` — train a model from a file and print its validation report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

model_app = typer.Typer(help="Train credit models and export the synthetic book.", no_args_is_help=True)


def _fmt(value: Any, digits: int = 4) -> str:
    return "—" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def render_report(report: dict[str, Any]) -> str:
    """Return a human-readable summary of a validation report."""
    m = report["metrics"]
    split = report["split"]
    target = report["target"]
    lines = [
        f"Model: {report['algorithm']} ({report['feature_set']} features: {len(report['features'])})",
        f"Target: {target['column']} — event = {target['positive']!r} ({target['rule']})",
        f"Split ({split['method']}): train {split['train']}, validation {split['validation']}, test {split['test']}",
        "",
        "Test set: " + ", ".join(f"{k.upper()} {_fmt(m[k])}" for k in ("auc", "gini", "ks", "brier")),
        f"          default rate {_fmt(m['default_rate'])}, mean PD {_fmt(m['mean_pd'])}",
    ]
    if report.get("oracle"):
        o = report["oracle"]
        lines.append(f"Oracle AUC {_fmt(o['oracle_auc'])} — the model reaches {100 * o['fraction']:.1f} % of it")
    if report.get("swap_set"):
        s = report["swap_set"]
        lines.append(
            f"Swap set at bad rate {_fmt(s['target_bad_rate'])}: approvals {s['approvals_a']} vs "
            f"{s['approvals_b']} ({100 * (s['gain'] or 0):+.1f} %)"
        )
    lines += ["", "Calibration by decile (mean PD → default rate):"]
    lines += [
        f"  {row['decile']:>2}: {_fmt(row['mean_pd'])} → {_fmt(row['default_rate'])}  (n={row['count']})"
        for row in report["calibration"]
    ]
    conf = report["confusion"]
    lines += ["", f"Decisions at approve < {conf['approve_below']}, reject ≥ {conf['reject_at_or_above']}:"]
    for band, row in conf["bands"].items():
        lines.append(f"  {band:<8} {row['count']:>6}  default rate {_fmt(row['default_rate'])}")
    lines += ["", "Top features:"]
    lines += [f"  {row['feature']:<40} {_fmt(row['importance'])}" for row in report["feature_importance"][:10]]
    fairness = report["fairness"]
    for attribute in ("age_band", "gender"):
        section = fairness.get(attribute)
        if not section:
            continue
        lines += ["", f"Fairness by {attribute.replace('_', ' ')} ({section['column']}):"]
        for g in section["groups"]:
            flag = "  FLAGGED" if g["flagged"] else ""
            lines.append(
                f"  {g['group']:<8} n={g['count']:<5} approval {_fmt(g['approval_rate'], 3)} "
                f"ratio {_fmt(g['approval_rate_ratio'], 3)} AUC {_fmt(g['auc'], 3)}{flag}"
            )
    if report["excluded_columns"]:
        lines += ["", "Excluded columns:"]
        lines += [f"  {row['column']}: {row['reason']}" for row in report["excluded_columns"]]
    lines += ["", f"Artifact checksum: {report['checksum']}"]
    return "\n".join(lines)


@model_app.command("train")
def train_command(
    data: Annotated[
        Path, typer.Option("--data", help="CSV, Parquet, XLSX or JSON file", exists=True, dir_okay=False, readable=True)
    ],
    target: Annotated[str, typer.Option("--target", help="Binary target column")],
    algorithm: Annotated[str, typer.Option("--algorithm", help="lightgbm or scorecard")] = "lightgbm",
    positive: Annotated[str | None, typer.Option("--positive", help="Target value that means default")] = None,
    date_column: Annotated[str | None, typer.Option("--date-column", help="Split by time on this column")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    oracle_column: Annotated[
        str | None, typer.Option("--oracle-column", help="Column with the true PD (synthetic data only)")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write the artifact JSON here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (the report)")] = False,
) -> None:
    """Train a model on a file and print its validation report."""
    from creditdesk.ml.training import TrainingError, TrainingSpec, train  # noqa: PLC0415 - heavy, this command only

    spec = TrainingSpec(
        target, algorithm=algorithm, positive=positive, date_column=date_column, seed=seed, oracle_pd=oracle_column
    )
    try:
        result = train(data, spec)
    except TrainingError as exc:
        if as_json:
            typer.echo(json.dumps({"error": "TrainingError", "detail": str(exc)}))
        else:
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    if output is not None:
        output.write_text(result.artifact.to_json())
    if as_json:
        sys.stdout.write(json.dumps(result.report, allow_nan=False) + "\n")
    else:
        typer.echo(render_report(result.report))


@model_app.command("synthetic")
def synthetic_command(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (flat batch format + outcome)")],
    rows: Annotated[int, typer.Option("--rows")] = 10000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Write a synthetic book (flat application rows with `default` and `true_pd`) to CSV."""
    from creditdesk.ml.synthetic import TARGET, generate_book  # noqa: PLC0415 - heavy, this command only

    book = generate_book(n=rows, seed=seed)
    table = book.flat.assign(**{TARGET: book.outcome, "true_pd": book.true_pd, "scenario": book.scenario})
    table.to_csv(out, index=False)
    typer.echo(f"wrote {rows} applications to {out} (default rate {book.default_rate:.3f})")
