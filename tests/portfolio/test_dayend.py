"""The day-end: RBI's worked example walked day-end by day-end emits ``loan.dpd_changed`` exactly on RBI's
dates, once per change (a rerun, an older day and two day-ends at once emit nothing new); charges persisted
in ``charge`` are payable, paid after the overdue EMI, never capitalised; ``creditdesk day-end`` runs it."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from tests.factories import make_tenant
from typer.testing import CliRunner

from creditdesk.cli import app as cli
from creditdesk.db import get_database, set_tenant_scope
from creditdesk.portfolio import service as portfolio
from creditdesk.portfolio.dayend import charges_of, levy, recorded_position, run_day_end
from creditdesk.portfolio.models import Loan
from creditdesk.portfolio.schemas import CustomerIn, PaymentCreate
from creditdesk.tenancy.models import Tenant
from creditdesk.worker.models import OutboxEvent

DUE = date(2026, 3, 31)


def _loan(session: Any) -> tuple[Tenant, str]:
    tenant = make_tenant(session)
    spec = portfolio.LoanSpec(
        principal=Decimal(100000),
        annual_rate_pct=Decimal(12),
        tenure_months=12,
        disbursed_on=date(2026, 2, 28),
        first_due_on=DUE,
        customer=CustomerIn(name="Asha Verma"),
    )
    loan_id = portfolio.disburse(session, tenant_id=tenant.id, spec=spec).id
    session.commit()
    return tenant, loan_id


def _moves(session: Any, tenant_id: str) -> list[tuple[str, str | None, str, int]]:
    stmt = select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.kind == "loan.dpd_changed")
    events = session.execute(stmt.order_by(OutboxEvent.created_at)).scalars()
    return [
        (e.payload["as_of"], e.payload["previous_asset_class"], e.payload["asset_class"], e.payload["dpd"])
        for e in events
    ]


def test_the_worked_example_moves_on_rbis_dates_and_emits_once_per_move(session):
    tenant, loan_id = _loan(session)
    days = [date(2026, 3, 30), DUE, date(2026, 4, 29), date(2026, 4, 30), date(2026, 5, 30), date(2026, 6, 28)]
    days += [date(2026, 6, 29), date(2026, 6, 29)]  # the last day-end run twice
    changed = []
    for day in days:
        changed.append(run_day_end(session, tenant=tenant, as_of=day).changed)
        session.commit()
    assert [bool(c) for c in changed] == [False, True, False, True, True, False, True, False]
    assert _moves(session, tenant.id) == [
        ("2026-03-31", "standard", "sma_0", 1),
        ("2026-04-30", "sma_0", "sma_1", 31),
        ("2026-05-30", "sma_1", "sma_2", 61),
        ("2026-06-29", "sma_2", "substandard", 91),
    ]
    assert run_day_end(session, tenant=tenant, as_of=DUE).changed == []  # an older day changes nothing
    position = recorded_position(session, tenant_id=tenant.id, loan_id=loan_id)
    assert position is not None and (position.as_of, position.dpd, position.bucket) == (date(2026, 6, 29), 91, "90+")


def test_two_day_ends_at_once_emit_the_move_once(session):
    tenant, _ = _loan(session)
    run_day_end(session, tenant=tenant, as_of=date(2026, 3, 30))
    session.commit()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def day_end() -> None:
        barrier.wait()
        with get_database().session() as own, own.begin():
            set_tenant_scope(own, tenant.id)
            results.append(len(run_day_end(own, tenant=own.get_one(Tenant, tenant.id), as_of=DUE).changed))

    threads = [threading.Thread(target=day_end) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [0, 1]
    session.expire_all()
    assert len(_moves(session, tenant.id)) == 1


def test_charges_are_payable_after_the_overdue_emi_never_capitalised_and_close_the_loan_last(session):
    tenant, loan_id = _loan(session)
    levied = levy(
        session,
        tenant_id=tenant.id,
        loan_id=loan_id,
        kind="bounce",
        amount=Decimal("590.00"),
        levied_on=DUE,
        reason="Mandate debit returned: 04 Balance Insufficient",
        source="debit:x",
    )
    assert levied is not None
    again = levy(
        session,
        tenant_id=tenant.id,
        loan_id=loan_id,
        kind="bounce",
        amount=Decimal("590.00"),
        levied_on=DUE,
        reason="the same bounce again",
        source="debit:x",
    )
    assert again is None  # once per source
    session.commit()
    before = portfolio.loan_detail(session, tenant=tenant, loan_id=loan_id, as_of=DUE)
    assert before["outstanding_principal"] == Decimal("100000.00")  # the charge is not capitalised
    emi = before["emi"]
    # the borrower pays exactly the EMI two days late: it clears the EMI (not the charge), so no DPD is left
    portfolio.record_payment(
        session,
        tenant=tenant,
        loan_id=loan_id,
        data=PaymentCreate(reference="late-emi", amount=emi, paid_on=date(2026, 4, 2)),
        actor=None,
    )
    session.commit()
    assert run_day_end(session, tenant=tenant, as_of=date(2026, 4, 2)).changed == []  # never recorded overdue
    (charge,) = charges_of(session, tenant_id=tenant.id, loan_id=loan_id)
    assert charge.paid_amount == Decimal("0.00")
    paid = portfolio.loan_detail(session, tenant=tenant, loan_id=loan_id, as_of=date(2026, 4, 2))
    assert paid["dpd"] == 0 and paid["asset_class"] == "standard"
    # the next payment pays the charge first, then runs ahead of the schedule
    portfolio.record_payment(
        session,
        tenant=tenant,
        loan_id=loan_id,
        data=PaymentCreate(reference="charge", amount=Decimal("1000.00"), paid_on=date(2026, 4, 3)),
        actor=None,
    )
    session.commit()
    run_day_end(session, tenant=tenant, as_of=date(2026, 4, 3))
    session.commit()
    (charge,) = charges_of(session, tenant_id=tenant.id, loan_id=loan_id)
    assert charge.paid_amount == Decimal("590.00")
    # the whole schedule plus the charge is what remains payable; paying it closes the loan
    total = sum(r["amount"] for r in before["schedule"]) + Decimal("590.00") - emi - Decimal("1000.00")
    portfolio.record_payment(
        session,
        tenant=tenant,
        loan_id=loan_id,
        data=PaymentCreate(reference="rest", amount=total, paid_on=date(2026, 4, 4)),
        actor=None,
    )
    session.commit()
    assert session.get_one(Loan, loan_id).status == "closed"


def test_the_cli_runs_the_day_end_of_a_tenant_for_a_day(session):
    tenant, loan_id = _loan(session)
    slug, tenant_id = tenant.slug, tenant.id
    result = CliRunner().invoke(cli, ["day-end", "--tenant", slug, "--as-of", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert f"{slug}: day-end of 2026-03-31: 1 loans, 1 moved" in result.output
    session.expire_all()
    assert _moves(session, tenant_id) == [("2026-03-31", "standard", "sma_0", 1)]
    session.rollback()  # on SQLite the reading session would hold the write lock the command needs
    rerun = CliRunner().invoke(cli, ["day-end", "--tenant", slug, "--as-of", "2026-03-31"])
    assert "1 loans, 0 moved" in rerun.output
    assert CliRunner().invoke(cli, ["day-end", "--tenant", "no-such-lender"]).exit_code == 1
