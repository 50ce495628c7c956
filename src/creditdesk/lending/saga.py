"""The approval → disbursement saga: a persisted state machine over ``lending_saga`` / ``lending_saga_step``.

``sanction → kfs → esign → mandate → disburse → book``. :func:`advance` runs the next step, commits
its record, and goes on until the saga waits on the borrower, finishes, or a step fails:

- every step is **idempotent**: a step re-run after a crash (the job redelivered, the worker killed)
  first looks for its own side effect — on the saga row (sanction, KFS, loan) or at the provider by
  the step's key (the sign request, the mandate, the payout by its reference);
- the steps before ``disburse`` have a **compensation** (void the sanction, expire the KFS, void the
  agreement, cancel the mandate), run in reverse order when one of them fails for good or the borrower
  does not act before the deadline;
- ``disburse`` is the **pivot**: it pays out only with a signed agreement over the accepted KFS and an
  active mandate, with the saga id as the payout's idempotency key; a retry after a lost answer first
  finds the payout by its reference. Once it has paid out the saga never compensates;
- ``book`` retries forward (a failure leaves the saga ``failed`` for an operator, never compensated).

Each step's attempt is committed *before* its side effect (``checkpoint``: the job's
:meth:`~creditdesk.worker.context.JobContext.checkpoint`), so attempts survive a crash and a step that
keeps failing stops after :data:`MAX_ATTEMPTS`. The side effect and its record run in a savepoint: an
error rolls the record back, the error is committed on the step, and the exception goes on to the job
plumbing, which retries the job with back-off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from creditdesk.db import utcnow
from creditdesk.errors import Conflict
from creditdesk.lending.kfs import KfsSettings, LoanTerms, build_kfs
from creditdesk.lending.models import Saga, SagaStep
from creditdesk.lending.providers import DEMO_BENEFICIARY, Providers, SignRequestState
from creditdesk.payments import mandates
from creditdesk.portfolio.models import Loan
from creditdesk.portfolio.service import LoanSpec, disburse
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned

STEPS = ("sanction", "kfs", "esign", "mandate", "disburse", "book")
PIVOT = "disburse"
#: attempts of a step before it fails for good (``book`` retries forward longer)
MAX_ATTEMPTS = 3
BOOK_MAX_ATTEMPTS = 10
#: how long the borrower has to sign once the sign request is made
ESIGN_TIMEOUT = timedelta(hours=24)
#: how long a registered mandate may stay pending at the sponsor bank before the saga gives up
MANDATE_TIMEOUT = timedelta(days=5)
TERMINAL = frozenset({"completed", "compensated", "failed"})

Phase = Literal["before", "after"]
#: a test's hook, called just before and just after each step's side effect (raising there is a crash)
Inject = Callable[[str, Phase], None]
Outcome = Literal["completed", "waiting"]


class StepFailed(Exception):
    """A step failed for good (a refusal, a rejection, a borrower who did not sign): compensate."""


def _aware(instant: datetime | None) -> datetime | None:
    return instant.replace(tzinfo=UTC) if instant is not None and instant.tzinfo is None else instant


def steps_of(session: Session, saga: Saga) -> list[SagaStep]:
    """The saga's steps in order."""
    stmt = select_owned(SagaStep, saga.tenant_id).where(SagaStep.saga_id == saga.id).order_by(SagaStep.seq)
    return list(session.execute(stmt).scalars())


def new_steps(saga: Saga) -> list[SagaStep]:
    """The step rows of a new saga, all pending, each with its idempotency key."""
    return [
        SagaStep(saga_id=saga.id, tenant_id=saga.tenant_id, seq=i, name=name, status="pending", key=f"{saga.id}:{name}")
        for i, name in enumerate(STEPS)
    ]


class Runner:
    """Runs one saga forward (or back) with its providers."""

    def __init__(
        self,
        session: Session,
        saga: Saga,
        *,
        providers: Providers,
        checkpoint: Callable[[], None],
        inject: Inject | None,
    ) -> None:
        self.session = session
        self.saga = saga
        self.providers = providers
        self.checkpoint = checkpoint
        self.inject = inject or (lambda step, phase: None)
        self.steps = {s.name: s for s in steps_of(session, saga)}

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> str:
        saga = self.saga
        while saga.status not in TERMINAL:
            if saga.status == "compensating":
                self.compensate()
                continue
            step = next((self.steps[n] for n in STEPS if self.steps[n].status != "completed"), None)
            if step is None:
                saga.status, saga.deadline_at = "completed", None
                self.checkpoint()
                break
            if saga.status == "waiting" and self._past_deadline():
                self._give_up(step, "the borrower did not act before the deadline")
                continue
            if not self._step(step):
                break
        return saga.status

    def _past_deadline(self) -> bool:
        deadline = _aware(self.saga.deadline_at)
        return deadline is not None and utcnow() >= deadline

    def _limit(self, step: SagaStep) -> int:
        return BOOK_MAX_ATTEMPTS if step.name == "book" else MAX_ATTEMPTS

    def _step(self, step: SagaStep) -> bool:
        """Run one step; True to go on with the next, False when the saga waits."""
        if step.status == "running" and step.attempts >= self._limit(step):
            self._give_up(step, step.error or "too many attempts")
            return True
        if step.status != "waiting":
            step.status, step.attempts, step.error = "running", step.attempts + 1, None
            step.started_at = step.started_at or utcnow()
            self.saga.status = "running"
            self.checkpoint()
        try:
            with self.session.begin_nested():
                outcome = getattr(self, f"_{step.name}")(step)
        except StepFailed as exc:
            self._give_up(step, str(exc))
            return True
        except Exception as exc:
            step.error = f"{type(exc).__name__}: {exc}"
            self.saga.error = f"{step.name}: {step.error}"
            self.checkpoint()
            raise
        if outcome == "waiting":
            step.status, self.saga.status = "waiting", "waiting"
            self.checkpoint()
            return False
        step.status, step.finished_at, step.error = "completed", utcnow(), None
        self.saga.status, self.saga.deadline_at, self.saga.error = "running", None, None
        self.checkpoint()
        return True

    def _give_up(self, step: SagaStep, reason: str) -> None:
        """A step failed for good: compensate before the pivot; reconcile the pivot; fail after it."""
        step.error = reason
        self.saga.error = f"{step.name}: {reason}"
        if step.name == "book":
            step.status, self.saga.status = "failed", "failed"
        elif step.name == PIVOT and self._reconcile_payout(step):
            step.status, step.finished_at = "completed", utcnow()
            self.saga.status = "running"
        else:
            step.status, step.finished_at = "failed", utcnow()
            self.saga.status = "compensating"
        self.checkpoint()

    # -- compensation --------------------------------------------------------------------------

    def compensate(self) -> None:
        """Undo the steps before the pivot, newest first; never after a payout."""
        saga = self.saga
        if saga.payout_id is not None:
            raise Conflict(f"Saga {saga.id} has paid out: it can only go forward")
        if saga.mandate_status in ("active", "pending"):
            assert saga.mandate_id is not None
            self.providers.mandate.cancel(saga.mandate_id)
            saga.mandate_status = "cancelled"
            mandates.mark_cancelled(self.session, tenant_id=saga.tenant_id, reference=self.steps["mandate"].key)
        if saga.agreement_status in ("pending", "signed"):
            saga.agreement_status = "void"  # a pending sign request is left to expire at the ESP
        if saga.kfs_status in ("issued", "accepted"):
            saga.kfs_status = "expired"
        if saga.sanction_status == "active":
            saga.sanction_status = "void"
        now = utcnow()
        for name in STEPS[: STEPS.index(PIVOT)]:
            step = self.steps[name]
            if step.status in ("completed", "waiting", "running"):
                step.status, step.finished_at = "compensated", now
        saga.status, saga.deadline_at = "compensated", None
        self.checkpoint()

    # -- the steps -----------------------------------------------------------------------------

    def _sanction(self, step: SagaStep) -> Outcome:
        saga = self.saga
        if saga.sanction_status is None:
            self.inject("sanction", "before")
            saga.sanction_status = "active"
            saga.sanctioned_amount = Decimal(str(saga.terms["amount"]))
            step.reference = f"sanction:{saga.id}"
            self.session.flush()
            self.inject("sanction", "after")
        if saga.sanction_status != "active":
            raise StepFailed(f"the sanction is {saga.sanction_status}")
        return "completed"

    def _kfs(self, step: SagaStep) -> Outcome:
        saga = self.saga
        if saga.kfs_status is None:
            self.inject("kfs", "before")
            kfs = build_kfs(loan_terms(saga), settings=KfsSettings(), where=self.session_tenant())
            saga.kfs = kfs.model_dump(mode="json")
            saga.kfs_hash, saga.kfs_valid_until, saga.kfs_status = kfs.content_hash, kfs.valid_until, "issued"
            zone = clock.zone(self.session_tenant())
            end = datetime.combine(kfs.valid_until + timedelta(days=1), time.min, tzinfo=zone)
            saga.deadline_at = end.astimezone(UTC)
            step.reference = kfs.content_hash
            self.session.flush()
            self.inject("kfs", "after")
        if saga.kfs_status == "accepted":
            return "completed"
        if saga.kfs_status != "issued":
            raise StepFailed(f"the KFS is {saga.kfs_status}")
        return "waiting"

    def _esign(self, step: SagaStep) -> Outcome:
        saga = self.saga
        if saga.kfs_accepted_hash is None:
            raise StepFailed("the KFS was not accepted")
        if saga.esign_request_id is None:
            self.inject("esign", "before")
            # a retry first looks for the request an earlier attempt made (its answer may have been lost)
            request = self._earlier_sign_request(step) if step.attempts > 1 else None
            request = request or self.providers.esign.create(
                document_hash=saga.kfs_accepted_hash,
                document_name=f"Loan agreement and KFS {saga.terms['reference']}",
                signer_name=str(saga.terms["borrower_name"]),
                reference=step.key,
            )
            saga.esign_request_id, saga.agreement_status, step.reference = request.id, "pending", request.id
            saga.deadline_at = utcnow() + ESIGN_TIMEOUT
            self.session.flush()
            self.inject("esign", "after")
        if saga.agreement_status == "pending":
            self.apply_sign_state(*_state_of(self.providers, saga.esign_request_id))
        if saga.agreement_status == "signed":
            return "completed"
        if saga.agreement_status != "pending":
            raise StepFailed(f"the agreement is {saga.agreement_status}")
        return "waiting"

    def _earlier_sign_request(self, step: SagaStep) -> SignRequestState | None:
        found = self.providers.esign.find(step.key)
        if found is None or found.document_hash != self.saga.kfs_accepted_hash:
            return None
        return found if found.status in ("pending", "otp_sent", "signed") else None

    def apply_sign_state(self, status: str, document_hash: str, certificate_id: str | None) -> None:
        """Record what the ESP says of the sign request (from its callback or a look-up)."""
        saga = self.saga
        if saga.agreement_status != "pending":
            return
        if status == "signed":
            if document_hash != saga.kfs_accepted_hash:
                saga.agreement_status = "void"
                raise StepFailed("the signed document is not the accepted KFS")
            saga.agreement_status = "signed"
            saga.esign_document_hash, saga.esign_certificate_id = document_hash, certificate_id
        elif status in ("failed", "abandoned", "expired"):
            saga.agreement_status = "void"
            raise StepFailed(f"the e-sign request was {status}")

    def _mandate(self, step: SagaStep) -> Outcome:
        """Register the mandate once (a retry first finds the registration by the step's key), then wait
        until the sponsor bank's answer makes it active (go on) or rejected (compensate)."""
        saga = self.saga
        if saga.mandate_id is None:
            self.inject("mandate", "before")
            state = self.providers.mandate.find(step.key) if step.attempts > 1 else None
            state = state or self.providers.mandate.register(
                key=step.key, max_amount=mandate_ceiling(saga), customer_name=str(saga.terms["borrower_name"])
            )
            saga.mandate_id, saga.mandate_status, step.reference = state.id, state.status, state.id
            saga.deadline_at = utcnow() + MANDATE_TIMEOUT
            mandates.record(
                self.session,
                tenant_id=saga.tenant_id,
                reference=step.key,
                state=state,
                application_id=saga.application_id,
            )
            self.session.flush()
            self.inject("mandate", "after")
        elif saga.mandate_status == "pending":  # woken by the webhook, or a look-up after a lost one
            state = self.providers.mandate.fetch(saga.mandate_id)
            saga.mandate_status = state.status
            mandates.record(self.session, tenant_id=saga.tenant_id, reference=step.key, state=state)
        if saga.mandate_status == "active":
            return "completed"
        if saga.mandate_status == "pending":
            return "waiting"
        raise StepFailed(f"the mandate {saga.mandate_id} was {saga.mandate_status}")

    def _disburse(self, step: SagaStep) -> Outcome:
        saga = self.saga
        if saga.payout_id is None:
            self._check_before_payout()
            found = self._reconcile_payout(step) if step.attempts > 1 else False
            if not found:
                self.inject("disburse", "before")
                payout = self.providers.payouts.pay(
                    key=saga.id, amount=net_disbursed(saga), reference=saga.id, beneficiary=DEMO_BENEFICIARY
                )
                if payout.status in ("failed", "rejected", "reversed"):
                    raise StepFailed(f"the payout {payout.id} {payout.status}: {payout.failure_reason or ''}".strip())
                saga.payout_id, saga.payout_status, step.reference = payout.id, payout.status, payout.id
                self.session.flush()
                self.inject("disburse", "after")
        return "completed"

    def _check_before_payout(self) -> None:
        saga = self.saga
        if saga.agreement_status != "signed" or saga.esign_document_hash != saga.kfs_accepted_hash:
            raise StepFailed("no signed agreement over the accepted KFS")
        if saga.mandate_status != "active":
            raise StepFailed("no active mandate")

    def _reconcile_payout(self, step: SagaStep) -> bool:
        """Find a payout made with the saga's reference whose answer was lost; record it if there is one."""
        found = self.providers.payouts.find(self.saga.id)
        if found is None or found.status in ("failed", "rejected", "reversed"):
            return False
        self.saga.payout_id, self.saga.payout_status, step.reference = found.id, found.status, found.id
        return True

    def _book(self, step: SagaStep) -> Outcome:
        saga = self.saga
        if saga.loan_id is None:
            self.inject("book", "before")
            terms = saga.terms
            spec = LoanSpec(
                principal=Decimal(str(terms["amount"])),
                annual_rate_pct=Decimal(str(terms["interest_rate"])),
                tenure_months=int(terms["tenure_months"]),
                disbursed_on=clock.today(self.session_tenant()),
                application_id=saga.application_id,
            )
            existing = self.session.execute(
                select_owned(Loan, saga.tenant_id).where(Loan.application_id == saga.application_id)
            ).scalar_one_or_none()
            loan = existing or disburse(self.session, tenant_id=saga.tenant_id, spec=spec)
            saga.loan_id, step.reference = loan.id, loan.id
            self.session.flush()
            self.inject("book", "after")
        return "completed"

    def session_tenant(self) -> Tenant:
        tenant = self.session.get(Tenant, self.saga.tenant_id)
        assert tenant is not None
        return tenant


def _state_of(providers: Providers, request_id: str | None) -> tuple[str, str, str | None]:
    assert request_id is not None
    state = providers.esign.fetch(request_id)
    return state.status, state.document_hash, state.certificate_id


def loan_terms(saga: Saga) -> LoanTerms:
    """The KFS's terms from the saga's."""
    terms = saga.terms
    return LoanTerms(
        reference=str(terms["reference"]),
        borrower_name=str(terms["borrower_name"]),
        amount=Decimal(str(terms["amount"])),
        tenure_months=int(terms["tenure_months"]),
        interest_rate=Decimal(str(terms["interest_rate"])),
    )


def mandate_ceiling(saga: Saga) -> Decimal:
    """The most a mandate debit may take: the largest instalment of the issued KFS's schedule."""
    schedule = (saga.kfs or {}).get("schedule", [])
    return max((Decimal(str(row["instalment"])) for row in schedule), default=Decimal(0))


def net_disbursed(saga: Saga) -> Decimal:
    """What the borrower receives: the KFS's net disbursed amount."""
    assert saga.kfs is not None
    return Decimal(str(saga.kfs["net_disbursed_amount"]))


def advance(
    session: Session,
    *,
    tenant_id: str,
    saga_id: str,
    providers: Providers,
    checkpoint: Callable[[], None],
    inject: Inject | None = None,
) -> str:
    """Run the saga as far as it goes now; answer its status."""
    saga = get_owned(session, Saga, saga_id, tenant_id, what=f"Saga {saga_id}")
    return Runner(session, saga, providers=providers, checkpoint=checkpoint, inject=inject).run()


def retry(session: Session, *, tenant_id: str, saga_id: str) -> Saga:
    """An operator's retry of a failed saga (its ``book`` step gave up): the step starts its attempts again."""
    saga = get_owned(session, Saga, saga_id, tenant_id, what=f"Saga {saga_id}")
    if saga.status != "failed":
        raise Conflict(f"Saga {saga_id} is {saga.status}, not failed")
    for step in steps_of(session, saga):
        if step.status == "failed":
            step.status, step.attempts, step.finished_at = "pending", 0, None
    saga.status = "running"
    session.flush()
    return saga


def find_by_sign_request(session: Session, *, tenant_id: str, request_id: str) -> Saga | None:
    """The saga that made sign request ``request_id``."""
    stmt = select_owned(Saga, tenant_id).where(Saga.esign_request_id == request_id)
    return session.execute(stmt).scalar_one_or_none()


def waiting_past_deadline(session: Session, *, tenant_id: str) -> list[str]:
    """The tenant's sagas waiting on the borrower past their deadline."""
    stmt = select_owned(Saga, tenant_id).where(Saga.status == "waiting", Saga.deadline_at <= utcnow())
    return [saga.id for saga in session.execute(stmt).scalars()]
