"""`creditdesk model train` (the Typer sub-app)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from creditdesk.ml.cli import model_app

from .conftest import GERMAN


def test_train_json_prints_exactly_one_report_with_the_test_auc(tmp_path):
    out = tmp_path / "model.json"
    result = CliRunner().invoke(
        model_app, ["train", "--data", str(GERMAN), "--target", "creditability", "--json", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["auc"] == report["metrics"]["auc"] >= 0.74
    assert report["target"]["positive"] == "bad"
    artifact = json.loads(out.read_text())
    assert artifact["checksum"] == report["checksum"]


def test_train_text_report_shows_metrics_and_fairness():
    result = CliRunner().invoke(
        model_app, ["train", "--data", str(GERMAN), "--target", "creditability", "--positive", "bad"]
    )
    assert result.exit_code == 0, result.output
    assert "Test set: AUC" in result.stdout and "Fairness by gender" in result.stdout


def test_train_reports_a_bad_target_as_one_json_error():
    result = CliRunner().invoke(model_app, ["train", "--data", str(GERMAN), "--target", "purpose", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["error"] == "TrainingError" and "exactly two values" in error["detail"]


def test_synthetic_book_export(tmp_path):
    out = tmp_path / "book.csv"
    result = CliRunner().invoke(model_app, ["synthetic", "--out", str(out), "--rows", "500"])
    assert result.exit_code == 0, result.output
    header = out.read_text().splitlines()[0].split(",")
    assert {"monthly_income", "loan_amount", "bureau_score", "alt_inflow_regularity", "default"} <= set(header)
