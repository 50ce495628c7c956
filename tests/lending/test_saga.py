"""The saga engine, driven step by step: failures injected before and after every side effect.

Each run ends completed (one payout, one loan, ``loan.disbursed`` once) or fully compensated (no
payout; sanction void, KFS expired, agreement void, mandate cancelled) — never a payout without a
signed agreement over the accepted KFS and an active mandate, never two payouts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.lending.fakes import Fakes, drive, new_saga

from creditdesk.db import utcnow
from creditdesk.errors import Conflict
from creditdesk.lending import saga as engine
from creditdesk.lending.models import Saga, SagaStep
from creditdesk.lending.providers import SignRequestState
from creditdesk.lending.saga import STEPS, StepFailed
from creditdesk.portfolio.models import Loan
from creditdesk.worker.models import OutboxEvent


def _steps(session: Session, saga: Saga) -> dict[str, SagaStep]:
    return {s.name: s for s in session.execute(select(SagaStep).where(SagaStep.saga_id == saga.id)).scalars()}


def _loan_disbursed_events(session: Session, tenant_id: str) -> int:
    stmt = (
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.kind == "loan.disbursed")
    )
    return int(session.execute(stmt).scalar_one())


def _loans(session: Session, tenant_id: str) -> int:
    return int(session.execute(select(func.count()).select_from(Loan).where(Loan.tenant_id == tenant_id)).scalar_one())


def _assert_safe(session: Session, saga: Saga, fakes: Fakes) -> None:
    """The invariants whatever happened: at most one payout, and only with a signed agreement and a mandate."""
    session.refresh(saga)
    assert len(fakes.payouts.made) <= 1
    if fakes.payouts.made:
        assert saga.agreement_status == "signed" and saga.esign_document_hash == saga.kfs_accepted_hash
        assert saga.mandate_status == "active"
        assert saga.status != "compensated"


def _assert_completed(session: Session, saga: Saga, fakes: Fakes) -> None:
    assert saga.status == "completed", saga.error
    assert len(fakes.payouts.made) == 1 and saga.payout_id == "pout_1"
    assert saga.loan_id is not None and _loans(session, saga.tenant_id) == 1
    assert _loan_disbursed_events(session, saga.tenant_id) == 1
    assert all(s.status == "completed" for s in _steps(session, saga).values())


def _assert_compensated(session: Session, saga: Saga, fakes: Fakes) -> None:
    assert saga.status == "compensated"
    assert fakes.payouts.made == {} and saga.payout_id is None and _loans(session, saga.tenant_id) == 0
    assert saga.sanction_status in (None, "void")
    assert saga.kfs_status in (None, "expired")
    assert saga.agreement_status in (None, "void")
    assert saga.mandate_status in (None, "cancelled")
    if saga.mandate_id:
        assert fakes.mandate.cancelled == [saga.mandate_id]
    steps = _steps(session, saga)
    assert all(steps[n].status in ("pending", "compensated", "failed") for n in STEPS[:4])
    assert steps["disburse"].status in ("pending", "failed") and steps["book"].status == "pending"


def test_the_happy_path_runs_every_step_once(session):
    saga = new_saga(session)
    fakes = Fakes()
    assert drive(session, saga, fakes) == "completed"
    _assert_completed(session, saga, fakes)
    assert fakes.payouts.calls == 1
    steps = _steps(session, saga)
    assert [steps[n].attempts for n in STEPS] == [1, 1, 1, 1, 1, 1]
    assert steps["disburse"].reference == "pout_1" and steps["book"].reference == saga.loan_id
    assert saga.esign_certificate_id == "cert_esr_1"


class Crash(Exception):
    """A worker dying at that point (the transaction is lost)."""


@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("step", STEPS)
def test_a_crash_around_a_side_effect_resumes_and_completes_once(session, step, phase):
    saga = new_saga(session)
    fakes = Fakes()
    fired = []

    def inject(name: str, when: str) -> None:
        if (name, when) == (step, phase) and not fired:
            fired.append(1)
            raise Crash(f"{name} {when}")

    assert drive(session, saga, fakes, inject=inject) == "completed"
    assert fired
    _assert_safe(session, saga, fakes)
    _assert_completed(session, saga, fakes)
    assert _steps(session, saga)[step].attempts == 2
    assert len(fakes.esign.requests) == 1  # a sign request made before the crash is found, not made again


@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("step", STEPS[:5])
def test_a_step_failing_for_good_compensates_or_goes_forward_past_the_pivot(session, step, phase):
    saga = new_saga(session)
    fakes = Fakes()

    def inject(name: str, when: str) -> None:
        if (name, when) == (step, phase):
            raise StepFailed(f"{name} refused")

    status = drive(session, saga, fakes, inject=inject)
    _assert_safe(session, saga, fakes)
    if (step, phase) == ("disburse", "after"):
        # the payout was made and its record lost: reconciled by reference, never made twice, never undone
        assert status == "completed"
        _assert_completed(session, saga, fakes)
        assert fakes.payouts.calls == 1
    else:
        assert status == "compensated"
        _assert_compensated(session, saga, fakes)
        assert _steps(session, saga)[step].status == "failed"


@pytest.mark.parametrize("phase", ["before", "after"])
def test_book_retries_forward_and_an_operator_retry_completes_it(session, phase):
    saga = new_saga(session)
    fakes = Fakes()
    broken = [True]

    def inject(name: str, when: str) -> None:
        if (name, when) == ("book", phase) and broken[0]:
            raise RuntimeError("the book is unavailable")

    assert drive(session, saga, fakes, inject=inject) == "failed"
    _assert_safe(session, saga, fakes)
    assert len(fakes.payouts.made) == 1 and _loans(session, saga.tenant_id) == 0
    assert _steps(session, saga)["book"].attempts == engine.BOOK_MAX_ATTEMPTS
    broken[0] = False
    engine.retry(session, tenant_id=saga.tenant_id, saga_id=saga.id)
    session.commit()
    assert drive(session, saga, fakes, inject=inject) == "completed"
    _assert_completed(session, saga, fakes)


def test_a_lost_payout_answer_is_reconciled_by_reference(session):
    saga = new_saga(session)
    fakes = Fakes()
    fakes.payouts.lose_answers = 1
    assert drive(session, saga, fakes) == "completed"
    _assert_completed(session, saga, fakes)
    assert fakes.payouts.calls == 1  # the retry found the payout by its reference and did not ask again


def test_a_rejected_mandate_compensates(session):
    saga = new_saga(session)
    fakes = Fakes()
    fakes.mandate.reject = True
    assert drive(session, saga, fakes) == "compensated"
    _assert_compensated(session, saga, fakes)
    assert _steps(session, saga)["mandate"].error.startswith("the mandate")


@pytest.mark.parametrize("outcome", ["abandoned", "failed", "expired"])
def test_an_unsigned_agreement_compensates(session, outcome):
    saga = new_saga(session)
    fakes = Fakes()
    engine.advance(
        session, tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit
    )
    session.refresh(saga)
    saga.kfs_status, saga.kfs_accepted_hash = "accepted", saga.kfs_hash
    session.commit()
    assert (
        engine.advance(
            session, tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit
        )
        == "waiting"
    )
    fakes.esign.finish(outcome)
    status = engine.advance(
        session, tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit
    )
    assert status == "compensated"
    session.refresh(saga)
    _assert_compensated(session, saga, fakes)
    assert saga.agreement_status == "void"


def test_a_signature_over_another_document_never_pays_out(session):
    saga = new_saga(session)
    fakes = Fakes()
    run = dict(tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit)
    engine.advance(session, **run)
    session.refresh(saga)
    saga.kfs_status, saga.kfs_accepted_hash = "accepted", saga.kfs_hash
    session.commit()
    engine.advance(session, **run)
    (rid,) = fakes.esign.requests
    fakes.esign.requests[rid] = SignRequestState(rid, "signed", "0" * 64, "cert")
    assert engine.advance(session, **run) == "compensated"
    assert fakes.payouts.made == {}


@pytest.mark.parametrize("waiting_on", ["kfs", "esign"])
def test_a_saga_waiting_past_its_deadline_compensates(session, waiting_on):
    saga = new_saga(session)
    fakes = Fakes()
    run = dict(tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit)
    assert engine.advance(session, **run) == "waiting"
    if waiting_on == "esign":
        session.refresh(saga)
        saga.kfs_status, saga.kfs_accepted_hash = "accepted", saga.kfs_hash
        session.commit()
        assert engine.advance(session, **run) == "waiting"
    session.refresh(saga)
    assert engine.waiting_past_deadline(session, tenant_id=saga.tenant_id) == []
    saga.deadline_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert engine.waiting_past_deadline(session, tenant_id=saga.tenant_id) == [saga.id]
    assert engine.advance(session, **run) == "compensated"
    session.refresh(saga)
    _assert_compensated(session, saga, fakes)
    assert _steps(session, saga)[waiting_on].status == "failed"
    assert "deadline" in (saga.error or "")


def test_a_paid_out_saga_cannot_be_compensated(session):
    saga = new_saga(session)
    fakes = Fakes()
    assert drive(session, saga, fakes) == "completed"
    saga.status = "compensating"
    session.commit()
    with pytest.raises(Conflict):
        engine.advance(
            session, tenant_id=saga.tenant_id, saga_id=saga.id, providers=fakes.providers(), checkpoint=session.commit
        )
