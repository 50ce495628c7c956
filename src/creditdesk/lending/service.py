"""Lending: start the disbursement saga, read, retry or cancel it, the KFS and its acceptance, the e-sign callback."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from creditdesk.kit.crypto import personal_data_box
from creditdesk.lending import saga as engine
from creditdesk.lending.esign_wire import verify_callback
from creditdesk.lending.kfs import KeyFactStatement, KfsSettings, LoanTerms, build_kfs
from creditdesk.lending.models import Saga, SagaStep
from creditdesk.lending.providers import providers_for
from creditdesk.lending.saga import PIVOT, find_by_sign_request, new_steps, steps_of, waiting_past_deadline
from creditdesk.scoring.models import Application, join_identity
from creditdesk.scoring.models import open_identity as open_applicant
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker import service as jobs
from creditdesk.worker.models import Job

ADVANCE_JOB = "lending.saga.advance"
LIVE_JOB = ("queued", "running")


def _approved(session: Session, *, tenant_id: str, application_id: str) -> Application:
    application = get_owned(session, Application, application_id, tenant_id, what=f"Application {application_id}")
    if application.decision != "Approve":
        raise Conflict(f"Application {application_id} was not approved ({application.decision})")
    return application


def _terms(application: Application) -> dict[str, Any]:
    request = join_identity(application.request, open_applicant(personal_data_box(), application)) or {}
    loan = request.get("loan") or {}
    applicant = request.get("applicant") or {}
    return {
        "reference": application.external_ref or application.id,
        "borrower_name": applicant.get("name") or "Borrower",
        "amount": str(loan.get("amount", application.loan_amount)),
        "tenure_months": int(loan.get("tenure_months", 12)),
        "interest_rate": str(loan.get("interest_rate", 0)),
    }


def _existing(session: Session, *, tenant_id: str, application_id: str) -> Saga | None:
    stmt = select_owned(Saga, tenant_id).where(Saga.application_id == application_id)
    return session.execute(stmt).scalar_one_or_none()


def _already(saga: Saga) -> Conflict:
    return Conflict(
        f"Application {saga.application_id} already has a disbursement saga: {saga.id}", extra={"saga_id": saga.id}
    )


def start_disbursement(session: Session, *, tenant: Tenant, application_id: str, actor: Any) -> Saga:
    """Start the saga of an approved application, once (a second start is 409 naming the first saga)."""
    application = _approved(session, tenant_id=tenant.id, application_id=application_id)
    existing = _existing(session, tenant_id=tenant.id, application_id=application_id)
    if existing is not None:
        raise _already(existing)
    saga = Saga(
        tenant_id=tenant.id,
        application_id=application_id,
        status="running",
        terms=_terms(application),
        created_by=getattr(actor, "user_id", None),
    )
    try:
        with session.begin_nested():
            session.add(saga)
            session.flush()
    except IntegrityError:
        existing = _existing(session, tenant_id=tenant.id, application_id=application_id)
        if existing is None:
            raise
        raise _already(existing) from None
    session.add_all(new_steps(saga))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="lending.disbursement_started",
        tenant_id=tenant.id,
        resource_type="saga",
        resource_id=saga.id,
        details={"application_id": application_id},
    )
    enqueue_advance(session, saga)
    return saga


def enqueue_advance(session: Session, saga: Saga) -> None:
    """Run the saga forward in the worker once this transaction commits."""
    jobs.enqueue(session, kind=ADVANCE_JOB, tenant_id=saga.tenant_id, payload={"saga_id": saga.id}, max_attempts=6)


def saga_view(session: Session, *, tenant_id: str, saga_id: str) -> dict[str, Any]:
    """The saga and its steps, in order, with what an operator could do with it now."""
    return _view(session, get_owned(session, Saga, saga_id, tenant_id, what=f"Saga {saga_id}"))


def application_saga(session: Session, *, tenant_id: str, application_id: str) -> dict[str, Any]:
    """The application's disbursement saga (404 when it has none, or the application is another tenant's)."""
    saga = _existing(session, tenant_id=tenant_id, application_id=application_id)
    if saga is None:
        raise NotFound(f"Application {application_id} has no disbursement saga")
    return _view(session, saga)


def _view(session: Session, saga: Saga) -> dict[str, Any]:
    steps = steps_of(session, saga)
    live = _live_jobs(session, saga)
    return {
        "id": saga.id,
        "application_id": saga.application_id,
        "status": saga.status,
        "steps": steps,
        "kfs_hash": saga.kfs_hash,
        "kfs_accepted_hash": saga.kfs_accepted_hash,
        "loan_id": saga.loan_id,
        "payout_id": saga.payout_id,
        "error": saga.error,
        "esign_request_id": saga.esign_request_id,
        "can_retry": _retry_refusal(saga, live) is None,
        "can_compensate": _compensate_refusal(saga, steps, live) is None,
    }


# -- an operator's retry and cancellation ------------------------------------------------------------
#
# Both run under the saga's row lock (PostgreSQL: FOR UPDATE; SQLite: every write transaction is
# BEGIN IMMEDIATE) and lock the saga's live ``lending.saga.advance`` jobs too, so concurrent calls see
# each other's effect, and a worker cannot claim a queued job between our check and our commit.
# A job that is *running* holds the saga in memory (sessions keep objects across commits), so a
# cancellation waits until none is: changing the saga under a running step could pay out after the
# mandate was cancelled.


def _locked(session: Session, *, tenant_id: str, saga_id: str) -> Saga:
    stmt = (
        select_owned(Saga, tenant_id)
        .where(Saga.id == saga_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    saga = session.execute(stmt).scalar_one_or_none()
    if saga is None:
        raise NotFound(f"Saga {saga_id} not found")
    return saga


def _live_jobs(session: Session, saga: Saga, *, lock: bool = False) -> list[Job]:
    """The saga's advance jobs that are queued or running (locked when ``lock``)."""
    stmt = select_owned(Job, saga.tenant_id).where(
        Job.kind == ADVANCE_JOB, Job.status.in_(LIVE_JOB), Job.payload["saga_id"].as_string() == saga.id
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(session.execute(stmt).scalars())


def _retry_refusal(saga: Saga, live: list[Job]) -> str | None:
    """Why the saga cannot be retried now (None: it can)."""
    if saga.status in ("completed", "compensated"):
        return f"Saga {saga.id} is {saga.status}: there is nothing to retry"
    if live:
        return f"Saga {saga.id} is already being run (job {live[0].id} is {live[0].status}): wait for it to finish"
    return None


def _compensate_refusal(saga: Saga, steps: list[SagaStep], live: list[Job]) -> str | None:
    """Why the saga cannot be cancelled now (None: it can)."""
    if saga.payout_id is not None or saga.status in ("completed", "failed"):
        return f"Saga {saga.id} has paid out: it can only go forward"
    if saga.status in ("compensating", "compensated"):
        return f"Saga {saga.id} is already {saga.status}"
    pivot = next(s for s in steps if s.name == PIVOT)
    if pivot.status != "pending" or pivot.attempts > 0:
        return (
            f"Saga {saga.id} has started its payout: money may have left even if the gateway's answer was lost, "
            "so it can only go forward (it looks the payout up before it gives up)"
        )
    running = [job for job in live if job.status == "running"]
    if running:
        return f"Saga {saga.id} is running a step right now (job {running[0].id}): try again in a moment"
    return None


def retry_saga(session: Session, *, tenant: Tenant, saga_id: str, actor: Any) -> Saga:
    """Run a failed or stuck saga again (409 when it is finished or a job is already on it).

    A ``failed`` saga (``book`` gave up after the payout) starts its failed step's attempts again; a
    saga left running, waiting or compensating with no job on it (its job failed for good, or a
    callback was lost) is run from where it stands — a waiting step asks its provider again. Other
    steps keep their attempts: one that has used them gives up on this run, as it would have.
    """
    saga = _locked(session, tenant_id=tenant.id, saga_id=saga_id)
    refusal = _retry_refusal(saga, _live_jobs(session, saga, lock=True))
    if refusal is not None:
        raise Conflict(refusal)
    previous = saga.status
    if previous == "failed":
        engine.retry(session, tenant_id=tenant.id, saga_id=saga.id)
    enqueue_advance(session, saga)
    audit.record(
        session,
        actor=actor,
        action="lending.saga_retried",
        tenant_id=tenant.id,
        resource_type="saga",
        resource_id=saga.id,
        details={"status": previous},
    )
    return saga


def compensate_saga(session: Session, *, tenant: Tenant, saga_id: str, reason: str, actor: Any) -> bool:
    """Cancel the sanctioned loan before its payout: the saga's job runs the compensations.

    Answers False for a saga already compensating or compensated (a repeat changes nothing); 409 once
    the payout step has started, and while a job is running a step (see the note above).
    """
    saga = _locked(session, tenant_id=tenant.id, saga_id=saga_id)
    if saga.status in ("compensating", "compensated"):
        return False
    refusal = _compensate_refusal(saga, steps_of(session, saga), _live_jobs(session, saga, lock=True))
    if refusal is not None:
        raise Conflict(refusal)
    previous = saga.status
    saga.status, saga.error = "compensating", f"cancelled by the lender: {reason}"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="lending.saga_cancelled",
        tenant_id=tenant.id,
        resource_type="saga",
        resource_id=saga.id,
        details={"status": previous, "reason": reason},
    )
    enqueue_advance(session, saga)
    return True


def application_kfs(session: Session, *, tenant: Tenant, application_id: str) -> KeyFactStatement:
    """The application's KFS: the one its saga issued, else a preview from its approved terms."""
    application = _approved(session, tenant_id=tenant.id, application_id=application_id)
    saga = _existing(session, tenant_id=tenant.id, application_id=application_id)
    if saga is not None and saga.kfs is not None:
        return KeyFactStatement.model_validate(saga.kfs)
    terms = _terms(application)
    return build_kfs(
        LoanTerms(
            reference=terms["reference"],
            borrower_name=terms["borrower_name"],
            amount=terms["amount"],
            tenure_months=terms["tenure_months"],
            interest_rate=terms["interest_rate"],
        ),
        settings=KfsSettings(),
        where=tenant,
    )


def accept_kfs(session: Session, *, tenant: Tenant, saga_id: str, content_hash: str, actor: Any) -> Saga:
    """Record the borrower's acceptance of the issued KFS (its hash); refused after ``valid_until``."""
    saga = get_owned(session, Saga, saga_id, tenant.id, what=f"Saga {saga_id}")
    if saga.kfs_status == "accepted" and saga.kfs_accepted_hash == content_hash:
        return saga  # a repeated acceptance changes nothing
    if saga.kfs_status != "issued" or saga.kfs_valid_until is None:
        raise Conflict(f"Saga {saga_id} has no KFS open for acceptance ({saga.kfs_status or 'not issued yet'})")
    if content_hash != saga.kfs_hash:
        raise ValidationFailed("content_hash is not the hash of the KFS issued for this saga")
    if clock.today(tenant) > saga.kfs_valid_until:
        raise Conflict(f"The KFS was open for acceptance until {saga.kfs_valid_until.isoformat()}")
    saga.kfs_status, saga.kfs_accepted_hash, saga.kfs_accepted_at = "accepted", content_hash, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="lending.kfs_accepted",
        tenant_id=tenant.id,
        resource_type="saga",
        resource_id=saga.id,
        details={"content_hash": content_hash},
    )
    enqueue_advance(session, saga)
    return saga


def esign_callback(
    session: Session, *, tenant: Tenant, body: bytes, timestamp: str | None, signature: str | None
) -> bool:
    """The ESP reports a sign request's outcome: verified (401), then the saga is run forward.

    The callback is a prompt, not the record: the saga's ``esign`` step looks the request up at the
    ESP (the same path reconciles a lost callback), so a replayed or out-of-order callback is harmless.
    """
    asked = select_owned(Saga, tenant.id).where(Saga.esign_request_id.is_not(None)).limit(1)
    if session.execute(asked).first() is None:
        raise NotFound(f"Tenant '{tenant.slug}' has asked no one to e-sign")
    if not verify_callback(body, timestamp, signature, providers_for(session, tenant.id).esign.webhook_secret):
        raise Unauthorized("the e-sign callback's signature does not match", headers={})
    try:
        request_id = str(json.loads(body)["request_id"])
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed("the callback names no request_id") from None
    saga = find_by_sign_request(session, tenant_id=tenant.id, request_id=request_id)
    if saga is None or saga.status != "waiting":
        return False
    enqueue_advance(session, saga)
    return True


def sweep_timeouts(session: Session, *, tenant_id: str) -> list[str]:
    """Run forward every saga of the tenant waiting past its deadline (the run compensates it)."""
    due = waiting_past_deadline(session, tenant_id=tenant_id)
    for saga_id in due:
        saga = get_owned(session, Saga, saga_id, tenant_id)
        enqueue_advance(session, saga)
    return due
