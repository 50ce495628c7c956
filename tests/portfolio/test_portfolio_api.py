"""The book's analytics through the API, on a seeded synthetic portfolio (24 months, 1,200 loans)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scipy.stats import binomtest, spearmanr
from tests.portfolio.fixtures import AS_OF, make_lender, seed_book

PORTFOLIO_GETS = ["summary", "loans", "npa", "repayments", "vintage", "roll-rates"]
MONITORING_GETS = ["overview", "delinquency", "performance", "drift", "npa-forecast", "alerts", "settings"]


@pytest.fixture
def lender(client, session):
    lender = make_lender(session)
    session.commit()
    seed_book(session, lender)
    return lender


def get(client, lender, path, role="admin", **params):
    r = client.get(f"{lender.base}/{path}", params={"as_of": AS_OF.isoformat(), **params}, headers=lender.headers(role))
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    return r.json()


def test_summary_npa_and_loans_add_up(client, lender):
    summary = get(client, lender, "portfolio/summary")
    assert summary["loans"]["total"] == 1200 and summary["loans"]["active"] + summary["loans"]["closed"] == 1200
    assert Decimal(summary["disbursed_amount"]) > Decimal(summary["outstanding_principal"]) > 0
    assert Decimal(summary["collected_amount"]) > 0
    assert 0 < summary["gross_npa"]["ratio"] < 0.15 and 0 < summary["net_npa"]["ratio"] < summary["gross_npa"]["ratio"]
    assert 0 < summary["default_rate"] < summary["default_rate_12m"] < 0.2
    assert summary["applications"] is None and summary["approval_rate"] is None  # no applications in this tenant

    npa = get(client, lender, "portfolio/npa")
    classes = {row["asset_class"]: row for row in npa["classes"]}
    for name in ("standard", "sma_0", "sma_1", "sma_2", "substandard", "doubtful_1", "loss"):
        assert classes[name]["loans"] > 0, name
    assert sum(r["loans"] for r in npa["classes"]) == npa["totals"]["loans"] == summary["loans"]["active"]
    assert sum(Decimal(r["outstanding"]) for r in npa["classes"]) == Decimal(npa["totals"]["outstanding"])
    assert npa["totals"]["outstanding"] == summary["outstanding_principal"]
    npa_rows = [r for r in npa["classes"] if r["npa"]]
    assert {r["asset_class"] for r in npa_rows} == {"substandard", "doubtful_1", "doubtful_2", "doubtful_3", "loss"}
    assert sum(r["loans"] for r in npa_rows) == npa["groups"]["npa"]["loans"] == summary["gross_npa"]["loans"]
    assert sum(Decimal(r["outstanding"]) for r in npa_rows) == Decimal(summary["gross_npa"]["outstanding"])

    # the loan list filters by class, status and month; totals agree with the breakdown
    sma2 = get(client, lender, "portfolio/loans", asset_class="sma_2", limit=500)
    assert sma2["total"] == classes["sma_2"]["loans"]
    assert all(x["asset_class"] == "sma_2" and 60 < x["dpd"] <= 90 for x in sma2["items"])
    npa_loans = get(client, lender, "portfolio/loans", asset_class="npa", limit=2)
    assert npa_loans["total"] == npa["groups"]["npa"]["loans"] and len(npa_loans["items"]) == 2
    closed = get(client, lender, "portfolio/loans", status="closed", limit=1)
    assert closed["total"] == summary["loans"]["closed"]
    month = get(client, lender, "portfolio/loans", origination_month="2025-03", limit=500)
    assert month["total"] > 0 and all(x["disbursed_on"].startswith("2025-03") for x in month["items"])
    detail = get(client, lender, f"portfolio/loans/{npa_loans['items'][0]['id']}")
    assert detail["asset_class"] in {"substandard", "doubtful_1", "loss"} and detail["npa_since"]
    assert any(i["status"] == "overdue" for i in detail["schedule"])


def test_trends_vintages_roll_rates_and_repayments(client, lender):
    months = get(client, lender, "monitoring/delinquency")["months"]
    assert len(months) >= 12
    for m in months:
        assert 0 <= m["dpd90_rate"] <= m["dpd60_rate"] <= m["dpd30_rate"] <= 1, m
        assert 0 <= m["dpd90_amount_rate"] <= m["dpd60_amount_rate"] <= m["dpd30_amount_rate"] <= 1, m
    assert months[-1]["month"] == "2026-06" and months[-1]["dpd90_rate"] > 0

    vintages = get(client, lender, "portfolio/vintage")["vintages"]
    oldest = vintages[0]["curve"]
    assert len(oldest) >= 12
    assert all(
        a["dpd30_rate"] <= b["dpd30_rate"] and a["dpd90_rate"] <= b["dpd90_rate"]
        for a, b in zip(oldest, oldest[1:], strict=False)
    )  # cumulative: never falls
    assert all(p["dpd90_rate"] <= p["dpd30_rate"] for v in vintages for p in v["curve"])

    rolls = get(client, lender, "portfolio/roll-rates")
    for row in rolls["rows"]:
        if row["loans"]:
            assert abs(sum(row["rates"].values()) - 1) < 1e-4
    by_from = {r["from"]: r for r in rolls["rows"]}
    assert by_from["current"]["rates"]["current"] > 0.8 and by_from["61-90"]["rates"]["90+"] > 0.2

    repayments = get(client, lender, "portfolio/repayments")
    assert repayments["paid_on_time"] + repayments["paid_late"] + repayments["unpaid"] == repayments["instalments_due"]
    assert 0.6 < repayments["on_time_rate"] < 1 and 0.8 < repayments["collection_efficiency"] <= 1.05


def test_calibration_forecast_and_access(client, lender):
    performance = get(client, lender, "monitoring/performance")
    rows = performance["calibration"]
    assert len(rows) == 10 and performance["overall"]["auc"] > 0.7
    rates = [r["default_rate"] for r in rows]
    assert spearmanr(range(10), rates).statistic >= 0.7  # realised default rate rises with the PD decile
    assert sum(rates[5:]) > 3 * sum(rates[:5])
    for r in rows:  # and sits within sampling noise of the predicted PD
        assert binomtest(r["defaults"], r["count"], max(r["mean_pd"], 1e-4)).pvalue > 0.001, r
    assert any(m["complete"] and m["auc"] is not None for m in performance["months"])

    forecast = get(client, lender, "monitoring/npa-forecast")
    assert "r_b" in forecast["method"] and forecast["horizon_days"] == 90
    buckets = {b["bucket"]: b for b in forecast["buckets"]}
    assert list(buckets) == ["standard", "sma_0", "sma_1", "sma_2"]
    assert buckets["sma_2"]["flow_rate"] > buckets["sma_1"]["flow_rate"] > buckets["sma_0"]["flow_rate"]
    assert buckets["standard"]["flow_rate"] == 0  # 0 DPD cannot pass 90 DPD within 90 days
    assert abs(sum(b["expected_loans"] for b in forecast["buckets"]) - forecast["total"]["expected_loans"]) < 0.05
    assert 0 < forecast["total"]["expected_loans"] < forecast["total"]["loans"]

    for path in [f"portfolio/{p}" for p in PORTFOLIO_GETS] + [f"monitoring/{p}" for p in MONITORING_GETS]:
        r = client.get(f"{lender.base}/{path}", headers=lender.headers("officer"))
        assert r.status_code == 403, path  # a field officer sees neither the book nor its monitoring
        get(client, lender, path, role="auditor")  # an auditor reads both
