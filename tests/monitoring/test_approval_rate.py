"""One approval rate: Monitoring, Portfolio and the policy preview agree for the same window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from tests.monitoring.scoring_rows import insert_application
from tests.portfolio.fixtures import make_lender

from creditdesk.db import utcnow
from creditdesk.monitoring import service as monitoring
from creditdesk.scoring.approvals import approval_stats

YOUNG = {"name": "minimum_age", "outcome": "Reject", "reason": "Applicant younger than 21"}
FOIR = {"name": "foir_ceiling", "outcome": "Review", "reason": "EMI obligations above 65% of income"}

#: (count, pd, decision as stored, knock-outs that fired) — decided under the default policy (approve < 0.30,
#: reject ≥ 0.60); the Review without a knock-out at PD 0.10 stands for "no bureau answered".
DECISIONS = [
    (6, 0.10, "Approve", []),
    (2, 0.10, "Review", [FOIR]),
    (1, 0.05, "Reject", [YOUNG]),
    (3, 0.45, "Review", []),
    (2, 0.70, "Reject", []),
    (1, 0.10, "Review", []),
]


def decide(session, tenant_id, *, days_ago: float, rows=DECISIONS) -> None:
    now = utcnow()
    n = 0
    for count, pd_, decision, knockouts in rows:
        for _ in range(count):
            n += 1
            row = insert_application(
                session,
                tenant_id=tenant_id,
                features={"loan_amount": 100000},
                pd=pd_,
                decision=decision,
                created_at=now - timedelta(days=days_ago, minutes=n),
            )
            row.knockouts = knockouts


def preview(client, lender, approve=0.30, reject=0.60, **extra):
    r = client.post(
        f"{lender.base}/policy/preview",
        json={"approve_below_pd": approve, "reject_at_or_above_pd": reject, **extra},
        headers=lender.headers("analyst"),
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_monitoring_portfolio_and_policy_preview_give_one_approval_rate(client, session):
    lender = make_lender(session)
    decide(session, lender.tenant.id, days_ago=2)
    decide(session, lender.tenant.id, days_ago=400, rows=[(5, 0.10, "Approve", [])])  # before the 12-month window
    session.commit()

    overview = client.get(f"{lender.base}/monitoring/overview", headers=lender.headers("analyst")).json()
    summary = client.get(f"{lender.base}/portfolio/summary", headers=lender.headers("analyst")).json()
    today = preview(client, lender)  # the thresholds in force

    assert overview["window_months"] == summary["approval_window_months"] == today["window_months"] == 12
    assert overview["window_from"] == summary["approval_window_from"] == today["window_from"]
    assert overview["applications"] == summary["applications"] == today["applications"] == 15
    # 6 of 15 approved as decided: knock-outs and the unanswered bureau keep 4 low-PD applicants out
    assert overview["approval_rate"] == summary["approval_rate"] == pytest.approx(6 / 15)
    assert today["current_approve_rate"] == today["approve_rate"] == pytest.approx(6 / 15)
    assert today["knocked_out"] == 3 and today["kept_as_decided"] == 1
    # the thresholds alone would have said 10 of 15 — the figure the page used to call "today"
    assert today["approve_rate"] != pytest.approx(10 / 15)

    looser = preview(client, lender, approve=0.50, reject=0.80)
    assert looser["approve_rate"] == pytest.approx(9 / 15)  # the PD-0.45 reviews pass; knock-outs still hold
    assert looser["review_rate"] == pytest.approx(5 / 15) and looser["reject_rate"] == pytest.approx(1 / 15)
    assert looser["current_approve_rate"] == overview["approval_rate"]

    # the months covered are the months of the table, and the window is the same everywhere
    assert overview["months_covered"] == len(overview["months"]) >= 1
    assert sum(m["applications"] for m in overview["months"]) == 15

    # a longer window takes in the old decisions on every page alike
    wide = client.get(f"{lender.base}/monitoring/overview", params={"months": 24}, headers=lender.headers()).json()
    assert wide["applications"] == preview(client, lender, months=24)["applications"] == 20
    assert wide["approval_rate"] == pytest.approx(11 / 20)


def test_a_lender_without_applications_covers_no_months(client, session):
    lender = make_lender(session)
    session.commit()
    overview = client.get(f"{lender.base}/monitoring/overview", headers=lender.headers()).json()
    assert overview["months_covered"] == 0 and overview["months"] == [] and overview["applications"] == 0
    assert overview["approval_rate"] is None and overview["first_decision_at"] is None
    summary = client.get(f"{lender.base}/portfolio/summary", headers=lender.headers()).json()
    assert summary["applications"] is None and summary["approval_rate"] is None
    empty = preview(client, lender)
    assert empty["applications"] == 0 and empty["current_approve_rate"] is None


class Statements:
    """Counts the statements the engine sends while attached."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args):
        self.statements.append(" ".join(statement.split()))


def statements_for(db, call) -> list[str]:
    with Statements(db.engine) as seen:
        call()
    return seen.statements


def test_approval_figures_cost_the_same_few_statements_for_ten_or_two_hundred_decisions(db, session):
    lender = make_lender(session)
    tenant = lender.tenant
    session.commit()
    since = utcnow() - timedelta(days=30)
    rows = [(5, 0.10, "Approve", []), (5, 0.70, "Reject", [])]
    costs = []
    for batch in (1, 19):  # 10 decisions, then 200 in all: the last ten days and the two weeks before
        for day in range(batch):
            decide(session, tenant.id, days_ago=day % 20 + 0.5, rows=rows)
        session.commit()
        calls = (
            lambda: approval_stats(session, tenant_id=tenant.id, since=since),
            lambda: monitoring.overview(session, tenant=tenant),
            lambda: monitoring.evaluate_alerts(session, tenant=tenant),
        )
        for call in calls:  # once first: the transaction begins and the tenant's settings row is made
            call()
        costs.append(tuple(statements_for(db, call) for call in calls))
        session.commit()
    assert approval_stats(session, tenant_id=tenant.id).applications == 200
    assert [len(c) for c in costs[0]] == [len(c) for c in costs[1]], costs  # the cost does not grow with them
    stats, overview, evaluation = costs[1]
    assert len(stats) == 1 and len(overview) == 2  # one aggregate for the rate, one more for the months
    assert len(evaluation) <= 12, evaluation
    # and no decision is fetched row by row to be counted: every read of the applications aggregates
    reads = [s for s in [*stats, *overview, *evaluation] if "FROM application" in s]
    assert reads and all("count(" in s for s in reads), reads
