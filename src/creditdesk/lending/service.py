"""Lending: start the disbursement saga, read it, the KFS and its acceptance, the e-sign callback."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditdesk.audit import service as audit
from creditdesk.db import utcnow
from creditdesk.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from creditdesk.kit.crypto import personal_data_box
from creditdesk.lending.esign_wire import verify_callback
from creditdesk.lending.kfs import KeyFactStatement, KfsSettings, LoanTerms, build_kfs
from creditdesk.lending.models import Saga
from creditdesk.lending.providers import providers_for
from creditdesk.lending.saga import find_by_sign_request, new_steps, steps_of, waiting_past_deadline
from creditdesk.scoring.models import Application, join_identity
from creditdesk.scoring.models import open_identity as open_applicant
from creditdesk.tenancy import clock
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned
from creditdesk.worker import service as jobs

ADVANCE_JOB = "lending.saga.advance"


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
    """The saga and its steps, in order."""
    saga = get_owned(session, Saga, saga_id, tenant_id, what=f"Saga {saga_id}")
    return {
        "id": saga.id,
        "application_id": saga.application_id,
        "status": saga.status,
        "steps": steps_of(session, saga),
        "kfs_hash": saga.kfs_hash,
        "kfs_accepted_hash": saga.kfs_accepted_hash,
        "loan_id": saga.loan_id,
        "payout_id": saga.payout_id,
        "error": saga.error,
    }


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
