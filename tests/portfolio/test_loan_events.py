"""A loan's events timeline: the outbox events that name the loan, newest first, paged, in a fixed
number of statements, only the tenant's own."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event
from tests.portfolio.fixtures import make_lender
from tests.portfolio.test_loans_api import disburse, pay

from creditdesk.db import get_database
from creditdesk.events import service as events
from creditdesk.events.schemas import LoanDpdChanged


class Statements:
    """The SELECTs the database sees while the block runs."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(get_database().engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(get_database().engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append(" ".join(statement.split()))


def _dpd_moved(loan_id: str, dpd: int) -> LoanDpdChanged:
    return LoanDpdChanged(loan_id=loan_id, previous_dpd=dpd - 1, dpd=dpd, bucket="1-30", as_of=date(2025, 3, dpd))


def test_the_timeline_lists_the_loans_events_newest_first(client, session):
    lender = make_lender(session)
    other = make_lender(session)
    session.commit()
    loan = disburse(client, lender)
    neighbour = disburse(client, lender, external_ref="LN-0002")
    assert pay(client, lender, loan["id"], "UTR-1", "8884.88", "2025-02-10").status_code == 201
    assert pay(client, lender, neighbour["id"], "UTR-2", "8884.88", "2025-02-10").status_code == 201
    assert pay(client, lender, loan["id"], "UTR-3", "8884.88", "2025-03-12").status_code == 201
    with get_database().session() as s:
        events.emit(s, tenant=lender.tenant.id, type="loan.dpd_changed", data=_dpd_moved(loan["id"], 2))
        s.commit()

    url = f"{lender.base}/portfolio/loans/{loan['id']}/events"
    page = client.get(url, headers=lender.headers("auditor"))
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 4 and body["limit"] == 50 and body["offset"] == 0
    assert [e["type"] for e in body["items"]] == [
        "loan.dpd_changed",
        "payment.received",
        "payment.received",
        "loan.disbursed",
    ]
    assert [e["data"].get("reference") for e in body["items"][1:3]] == ["UTR-3", "UTR-1"]
    assert all(e["tenant"] == lender.tenant.slug and e["data"]["loan_id"] == loan["id"] for e in body["items"])
    assert body["items"][3]["data"]["principal"] == "100000.00"
    second = client.get(url, params={"limit": 2, "offset": 2}, headers=lender.headers()).json()
    assert [e["id"] for e in second["items"]] == [e["id"] for e in body["items"][2:]] and second["total"] == 4

    assert client.get(url, params={"limit": 101}, headers=lender.headers()).status_code == 422
    assert client.get(url, headers=lender.headers("officer")).status_code == 403
    foreign = client.get(f"{other.base}/portfolio/loans/{loan['id']}/events", headers=other.headers())
    assert foreign.status_code == 404
    assert client.get(f"{lender.base}/portfolio/loans/nope/events", headers=lender.headers()).status_code == 404


def test_the_timeline_reads_a_fixed_number_of_statements_however_many_events(client, session):
    lender = make_lender(session)
    session.commit()
    quiet = disburse(client, lender)
    busy = disburse(client, lender, external_ref="LN-0002")
    with get_database().session() as s:
        for dpd in range(1, 29):
            events.emit(s, tenant=lender.tenant.id, type="loan.dpd_changed", data=_dpd_moved(busy["id"], dpd))
        s.commit()

    def statements(loan_id: str) -> tuple[int, list[str]]:
        with Statements() as seen:
            r = client.get(f"{lender.base}/portfolio/loans/{loan_id}/events", headers=lender.headers())
        assert r.status_code == 200, r.text
        # the outbox relay polls in its own thread meanwhile: its reads are not the route's
        ours = [s for s in seen.seen if re.search(r"\bFROM outbox_event\b", s) and "published_at IS NULL" not in s]
        return r.json()["total"], ours

    quiet_total, quiet_reads = statements(quiet["id"])
    busy_total, busy_reads = statements(busy["id"])
    assert (quiet_total, busy_total) == (1, 29)
    assert len(busy_reads) == len(quiet_reads) == 2  # the count and the page, never one per event
