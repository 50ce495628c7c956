"""The demo book is made through the service paths: the replayed history is the simulated one, with its events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import make_tenant
from tests.monitoring.scoring_rows import insert_application

from creditdesk.portfolio.demo import disburse_demo_applications, replay_portfolio
from creditdesk.portfolio.ledger import build_book
from creditdesk.portfolio.models import Loan, Payment
from creditdesk.portfolio.simulation import simulate_portfolio
from creditdesk.tenancy import clock
from creditdesk.worker.models import OutboxEvent

REQUEST = {
    "applicant": {"name": "Kavya Nair", "monthly_income": 52000, "existing_emi": 0},
    "loan": {"amount": 100000, "tenure_months": 12, "interest_rate": 14, "purpose": "consumer_durable"},
}


def _events(session: Session, tenant_id: str) -> Counter[str]:
    rows = session.execute(
        select(OutboxEvent.kind, func.count()).where(OutboxEvent.tenant_id == tenant_id).group_by(OutboxEvent.kind)
    )
    return Counter({kind: count for kind, count in rows})


def test_the_replayed_book_is_the_simulated_one_and_carries_its_events(session: Session):
    tenant = make_tenant(session)
    session.commit()
    today = clock.today(tenant)
    sim = simulate_portfolio(loans=80, months=24, as_of=today, seed=5)

    counts = replay_portfolio(session, tenant=tenant, sim=sim)
    session.commit()

    losses = sum(1 for loan in sim.loans if loan["loss_marked_on"] is not None)
    assert counts == {"loans": 80, "payments": len(sim.payments), "losses": losses}
    # every loan and payment went through the paths, each with its event
    assert _events(session, tenant.id) == Counter({"loan.disbursed": 80, "payment.received": len(sim.payments)})
    stored = session.execute(select(func.count()).select_from(Payment).where(Payment.tenant_id == tenant.id))
    assert stored.scalar_one() == len(sim.payments)
    # and every loan stands where the simulation put it: same DPD and RBI class today
    book = build_book(session, tenant_id=tenant.id)
    refs = dict(session.execute(select(Loan.id, Loan.external_ref).where(Loan.tenant_id == tenant.id)).all())
    state = book.state(today)
    replayed = {refs[i]: (c, int(d)) for i, c, d in zip(book.ids, state.class_names(), state.dpd, strict=True)}
    want_state = sim.book().state(today)
    wanted = {
        loan["external_ref"]: (c, int(d))
        for loan, c, d in zip(sim.loans, want_state.class_names(), want_state.dpd, strict=True)
    }
    assert replayed == wanted
    assert len({c for c, _ in replayed.values()}) >= 3  # a book with more than one story in it


def test_approved_applications_are_disbursed_from_the_application_and_pay_what_is_due(session: Session):
    tenant = make_tenant(session)
    decided = datetime.now(UTC) - timedelta(days=75)
    approved = [
        insert_application(
            session, tenant_id=tenant.id, features={}, pd=0.04, decision="Approve", created_at=decided, request=REQUEST
        )
        for _ in range(20)
    ]
    insert_application(
        session, tenant_id=tenant.id, features={}, pd=0.4, decision="Decline", created_at=decided, request=REQUEST
    )
    yesterday = datetime.now(UTC) - timedelta(days=1)
    awaiting = insert_application(
        session, tenant_id=tenant.id, features={}, pd=0.04, decision="Approve", created_at=yesterday, request=REQUEST
    )
    session.commit()

    counts = disburse_demo_applications(session, tenant=tenant)
    session.commit()

    loans = session.execute(select(Loan).where(Loan.tenant_id == tenant.id)).scalars().all()
    assert counts["loans"] == 20 and {loan.application_id for loan in loans} == {a.id for a in approved}
    assert awaiting.id not in {loan.application_id for loan in loans}  # last week's are left for the saga
    assert all(loan.pd_at_origination == 0.04 and loan.model_id == "model-0" for loan in loans)
    # 75 days after the decision two instalments are due; the seeded one in ten misses its first
    assert 20 * 2 - 20 // 2 <= counts["payments"] < 20 * 2
    assert _events(session, tenant.id)["loan.disbursed"] == 20
    # a second run finds nothing left to disburse
    assert disburse_demo_applications(session, tenant=tenant) == {"loans": 0, "payments": 0}
