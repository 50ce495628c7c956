"""Cached reports: computed once per ledger version, and a new repayment shows up on the very next read."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from tests.portfolio.fixtures import make_lender, seed_book

from creditdesk.db import get_database
from creditdesk.monitoring import analytics
from creditdesk.portfolio import reports
from creditdesk.portfolio.ledger import build_book, load_book
from creditdesk.tenancy import clock


def test_a_repayment_shows_up_on_the_next_read_of_every_cached_report(client, session):
    lender = make_lender(session)
    session.commit()
    seed_book(session, lender, up_to_today=True)
    summary = client.get(f"{lender.base}/portfolio/summary", headers=lender.headers()).json()
    trend = client.get(f"{lender.base}/monitoring/delinquency", headers=lender.headers()).json()
    forecast = client.get(f"{lender.base}/monitoring/npa-forecast", headers=lender.headers()).json()
    npa_before = client.get(f"{lender.base}/portfolio/npa", headers=lender.headers()).json()["classes"]
    assert client.get(f"{lender.base}/portfolio/summary", headers=lender.headers()).json() == summary  # from cache

    # the cached figures are exactly what the ledger gives when computed afresh
    with get_database().session() as s:
        fresh = build_book(s, tenant_id=lender.tenant.id)
    today = clock.today(lender.tenant)
    as_json = lambda report: json.loads(json.dumps(report, default=str))  # noqa: E731
    assert as_json(analytics.delinquency(fresh, today, 24)) == trend
    assert as_json(analytics.npa_forecast(fresh, today, horizon=90)) == forecast

    # an overdue borrower pays: collected money, overdue amount and the delinquency trend move at once
    overdue = client.get(
        f"{lender.base}/portfolio/loans", params={"asset_class": "sma_0", "limit": 1}, headers=lender.headers()
    ).json()["items"][0]
    r = client.post(
        f"{lender.base}/portfolio/loans/{overdue['id']}/payments",
        json={"reference": "NACH-REPORT-1", "amount": overdue["overdue_amount"], "paid_on": today.isoformat()},
        headers=lender.headers(),
    )
    assert r.status_code == 201, r.text
    after = client.get(f"{lender.base}/portfolio/summary", headers=lender.headers()).json()
    paid = Decimal(overdue["overdue_amount"])
    assert Decimal(after["collected_amount"]) == Decimal(summary["collected_amount"]) + paid
    assert Decimal(after["overdue_amount"]) == Decimal(summary["overdue_amount"]) - paid
    trend_after = client.get(f"{lender.base}/monitoring/delinquency", headers=lender.headers()).json()
    assert trend_after["months"][-1]["dpd30_rate"] <= trend["months"][-1]["dpd30_rate"]
    loan = client.get(f"{lender.base}/portfolio/loans/{overdue['id']}", headers=lender.headers()).json()
    assert loan["asset_class"] == "standard" and loan["dpd"] == 0
    npa = client.get(f"{lender.base}/portfolio/npa", headers=lender.headers()).json()
    assert {c["asset_class"]: c["loans"] for c in npa["classes"]}["sma_0"] == (
        {c["asset_class"]: c["loans"] for c in npa_before}["sma_0"] - 1
    )


def test_concurrent_first_readers_share_one_book(client, session):
    lender = make_lender(session)
    session.commit()
    seed_book(session, lender)
    db = get_database()

    def read(_: int) -> int:
        with db.session(read_only=True) as s:
            return id(load_book(s, tenant_id=lender.tenant.id))

    with ThreadPoolExecutor(6) as pool:
        books = set(pool.map(read, range(6)))
    assert len(books) == 1  # one build, taken by all six

    with db.session(read_only=True) as s:
        reports.warm(s, tenant=lender.tenant)  # warming twice is harmless
        reports.warm(s, tenant=lender.tenant)
