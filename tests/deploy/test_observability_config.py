"""The Prometheus alert rules and the Grafana dashboard in deploy/ are well formed and use real metrics.

* deploy/prometheus/alerts.yml parses; every rule has alert, expr, for, labels.severity and
  annotations.summary; deploy/prometheus/prometheus.yml loads it.
* every PromQL expression (rules, dashboard panels, variables) parses with ``promql_parser`` (the
  Rust promql-parser crate that follows Prometheus' grammar and function list);
* every metric they name is one the app exports on ``/metrics`` (the app is started in-process on a
  migrated SQLite database), and every label they select or group by is one of those metrics' labels.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "creditdesk-dashboard.json"

# Names used in the rules/dashboard that the app does not export itself, and why.
NOT_EXPORTED_BY_THE_APP = {
    "up": "written by Prometheus for every scrape target (CreditDeskTargetDown)",
}
# Labels every series may carry without the app setting them: target labels Prometheus adds, the
# histogram bucket bound, and the per-process label of gauges in multiprocess mode (--workers N).
ALWAYS_ALLOWED_LABELS = {"job", "instance", "le", "pid", "__name__"}
SEVERITIES = {"page", "ticket"}
# Grafana's built-in variables and this dashboard's own, replaced by values PromQL accepts.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "$route": ".*",
}


# ---------------------------------------------------------------------------------------------- inputs


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target; label_values() variables as the selector they query."""
    board = dashboard()
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            out.append((f"panel {panel['title']!r} {target['refId']}", grafana_to_promql(target["expr"])))
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
        assert m, f"variable {variable['name']}: only label_values(selector, label) is used here"
        out.append((f"variable {variable['name']}", m.group(1)))
        out.append((f"variable {variable['name']} label", f"sum by ({m.group(2)}) ({m.group(1)})"))
    return out


def all_expressions() -> list[tuple[str, str]]:
    return [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()] + dashboard_expressions()


# ---------------------------------------------------------------------------------------------- PromQL


def selectors_and_groupings(expr: str) -> tuple[list[tuple[str, set[str]]], set[str]]:
    """The (metric name, selected labels) of every selector, and every label named in by/without."""
    selectors: list[tuple[str, set[str]]] = []
    grouping: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = list(node.matchers.matchers) + [m for group in node.matchers.or_matchers for m in group]
            name = node.name or next((m.value for m in matchers if m.name == "__name__"), None)
            assert name, f"selector without a metric name in {expr!r}"
            selectors.append((name, {m.name for m in matchers}))
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            grouping.update(node.modifier.labels)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return selectors, grouping


# ---------------------------------------------------------------------------------------------- the app


@pytest.fixture(scope="module")
def exported(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str] | None]:
    """Every sample name /metrics can carry (family + _total/_bucket/… suffixes) → its label names
    (``None`` where they cannot be told: a custom collector's family that has no sample)."""
    from prometheus_client import REGISTRY

    from creditdesk.config import get_settings

    db = tmp_path_factory.mktemp("metrics") / "metrics.db"
    shutil.copyfile(sqlite_template, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{db}")
        mp.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        get_settings.cache_clear()
        from creditdesk.main import create_app

        response = TestClient(create_app(get_settings())).get("/metrics")  # no lifespan: no worker threads
        get_settings.cache_clear()
    assert response.status_code == 200
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("_sum", "_count", "_created"),
        "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    }
    names: dict[str, set[str] | None] = {}

    def learn(name: str, labels: Any) -> None:
        known = names.get(name)
        names[name] = set(labels) | (known or set())

    for family in text_string_to_metric_families(response.text):
        for name in (family.name, *(family.name + s for s in suffixes.get(family.type, ()))):
            names.setdefault(name, None)
        for sample in family.samples:
            learn(sample.name, sample.labels)
    # Label names of metrics that have no sample yet (a labelled metric appears only with its first
    # child): prometheus_client keeps them on the metric objects (``_labelnames``) and on the families
    # a custom collector yields. Private attributes — if they vanish, the sanity check in the test fails.
    for collector, sample_names in list(REGISTRY._collector_to_names.items()):
        labels = getattr(collector, "_labelnames", None)
        if labels is not None:
            for name in sample_names:
                learn(name, labels)
    for family in REGISTRY.collect():
        labels = getattr(family, "_labelnames", None)
        if labels:
            for name in list(names):
                if name == family.name or name.startswith(family.name + "_"):
                    learn(name, labels)
    return names


# ---------------------------------------------------------------------------------------------- tests


def test_prometheus_config_loads_the_rules():
    config = yaml.safe_load(PROMETHEUS.read_text())
    rule_files = [PROMETHEUS.parent / f for f in config["rule_files"]]
    assert ALERTS in rule_files
    assert {job["job_name"] for job in config["scrape_configs"]} == {"creditdesk"}


def test_every_rule_is_complete():
    rules = alert_rules()
    assert len(rules) >= 5
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)), "alert names repeat"
    for rule in rules:
        where = rule.get("alert", rule)
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]), where
        assert rule["expr"].strip(), where
        assert promql_parser.parse_duration(rule["for"]).total_seconds() > 0, where
        assert rule["labels"]["severity"] in SEVERITIES, where
        assert rule["annotations"]["summary"].strip(), where
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, where


def test_the_slos_have_rules():
    """The issue's SLOs: decision P99 > 100 ms for 5 min, 5xx > 1 %, dead letters, open breakers, shedding."""
    by_metric: dict[str, dict[str, Any]] = {}
    for rule in alert_rules():
        for name, _ in selectors_and_groupings(rule["expr"])[0]:
            by_metric.setdefault(name, rule)
    latency = by_metric["creditdesk_http_request_duration_seconds_bucket"]
    assert "0.99" in latency["expr"] and "> 0.1" in latency["expr"] and latency["for"] == "5m"
    assert "/api/v1/tenants/{tenant}/applications" in latency["expr"]
    assert "> 0.01" in by_metric["creditdesk_http_requests_total"]["expr"]
    assert 'status="dead"' in by_metric["creditdesk_job_queue"]["expr"]
    assert "== 1" in by_metric["creditdesk_bureau_breaker_open"]["expr"]
    assert "rate(creditdesk_http_shed_total" in by_metric["creditdesk_http_shed_total"]["expr"]


@pytest.mark.parametrize(("where", "expr"), all_expressions())
def test_expression_parses(where: str, expr: str):
    try:
        promql_parser.parse(expr)
    except ValueError as exc:
        pytest.fail(f"{where}: {exc}\n{expr}")


def test_dashboard_shape():
    board = dashboard()
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    titles = " | ".join(p["title"] for p in board["panels"])
    for wanted in ("by outcome", "P50 / P99 by route", "5xx", "in flight and queued", "Shed", "Job queue", "breaker"):
        assert wanted.lower() in titles.lower(), f"no panel for {wanted!r}"
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        x, w = panel["gridPos"]["x"], panel["gridPos"]["w"]
        assert x >= 0 and x + w <= 24, panel["title"]


def test_every_metric_and_label_is_exported(exported: dict[str, set[str] | None]):
    assert "creditdesk_http_requests_total" in exported
    http_labels = exported["creditdesk_http_requests_total"] or set()
    assert {"method", "route", "status"} <= http_labels, "label discovery broke"
    assert exported["creditdesk_job_queue"] == {"status"}, "label discovery broke (custom collector)"
    missing, bad_labels = set(), []
    used = set()
    for where, expr in all_expressions():
        selectors, grouping = selectors_and_groupings(expr)
        known_here: set[str] = set(ALWAYS_ALLOWED_LABELS)
        unknown_labels = False
        for name, labels in selectors:
            used.add(name)
            if name in NOT_EXPORTED_BY_THE_APP:
                continue
            if name not in exported:
                missing.add(f"{name} ({where})")
                continue
            metric_labels = exported[name]
            if metric_labels is None:
                unknown_labels = True
                continue
            known_here |= metric_labels
            if not labels <= metric_labels | ALWAYS_ALLOWED_LABELS:
                bad_labels.append(f"{where}: {name} has no label {sorted(labels - metric_labels)}")
        if not unknown_labels and not grouping <= known_here:
            bad_labels.append(f"{where}: grouped by {sorted(grouping - known_here)}, no metric there has it")
    assert not missing, "metrics the app does not export: " + ", ".join(sorted(missing))
    assert not bad_labels, "\n".join(bad_labels)
    # the metrics the issue names are all on the dashboard or in the rules
    for name in (
        "creditdesk_decisions_total",
        "creditdesk_http_request_duration_seconds_bucket",
        "creditdesk_http_requests_total",
        "creditdesk_http_shed_total",
        "creditdesk_http_in_flight",
        "creditdesk_http_queued",
        "creditdesk_job_queue",
        "creditdesk_bureau_breaker_open",
        "creditdesk_decision_commit_seconds_bucket",
    ):
        assert name in used, f"{name} is neither alerted on nor charted"
