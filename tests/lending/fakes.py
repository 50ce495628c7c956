"""In-memory stand-ins for the saga's providers, and an approved application to disburse."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from tests.factories import make_tenant
from tests.monitoring.scoring_rows import insert_application

from creditdesk.lending import saga as engine
from creditdesk.lending.models import Saga
from creditdesk.lending.providers import Providers, SignRequestState
from creditdesk.payments.errors import GatewayUnavailable
from creditdesk.payments.gateway import BankAccount, Payout
from creditdesk.payments.mandates import MandateState
from creditdesk.scoring.models import Application

REQUEST = {
    "applicant": {"name": "Kavya Nair", "pan": "ABCPN1234K", "monthly_income": 52000, "existing_emi": 0},
    "loan": {"amount": 100000, "tenure_months": 12, "interest_rate": 12, "purpose": "consumer_durable"},
}


def approved_application(session: Session, tenant_id: str, *, decision: str = "Approve") -> Application:
    """An application decided ``decision`` (Approve by default) with the loan block the saga reads."""
    application = insert_application(
        session,
        tenant_id=tenant_id,
        features={},
        pd=0.05,
        decision=decision,
        created_at=datetime.now(UTC),
        request=REQUEST,
        model_id="model-7",
    )
    session.flush()
    return application


@dataclass
class FakeEsign:
    """An ESP in memory: requests stay pending until the test signs (or abandons) them."""

    webhook_secret: str = "fake-esign-secret"
    requests: dict[str, SignRequestState] = field(default_factory=dict)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    references: dict[str, str] = field(default_factory=dict)  # request id → reference

    def create(self, *, document_hash: str, document_name: str, signer_name: str, reference: str) -> SignRequestState:
        request = SignRequestState(id=f"esr_{next(self.ids)}", status="pending", document_hash=document_hash)
        self.requests[request.id] = request
        self.references[request.id] = reference
        return request

    def find(self, reference: str) -> SignRequestState | None:
        made = [self.requests[rid] for rid, ref in self.references.items() if ref == reference]
        return made[-1] if made else None

    def fetch(self, request_id: str) -> SignRequestState:
        return self.requests[request_id]

    def finish(self, status: str = "signed") -> None:
        """Every open request reaches ``status`` (the borrower signs, abandons, …)."""
        for rid, req in self.requests.items():
            if req.status == "pending":
                cert = f"cert_{rid}" if status == "signed" else None
                self.requests[rid] = SignRequestState(rid, status, req.document_hash, cert)


@dataclass
class FakePayouts:
    """A gateway's payouts in memory, idempotent by key; ``lose_answers`` pays, then fails to answer."""

    made: dict[str, Payout] = field(default_factory=dict)
    calls: int = 0
    lose_answers: int = 0
    status: str = "processed"

    def pay(self, *, key: str, amount: Decimal, reference: str, beneficiary: BankAccount) -> Payout:
        self.calls += 1
        if key not in self.made:
            self.made[key] = Payout.model_validate(
                {
                    "id": f"pout_{len(self.made) + 1}",
                    "entity": "payout",
                    "created_at": 1,
                    "amount": amount,
                    "status": self.status,
                    "mode": "IMPS",
                    "reference_id": reference,
                }
            )
        if self.lose_answers:
            self.lose_answers -= 1
            raise GatewayUnavailable("the answer was lost")
        return self.made[key]

    def find(self, reference: str) -> Payout | None:
        return next((p for p in self.made.values() if p.reference_id == reference), None)


@dataclass
class FakeMandate:
    """A gateway's mandates in memory: ``active`` at once; ``pending=True`` leaves them for :meth:`settle`;
    ``reject=True`` rejects every registration."""

    reject: bool = False
    pending: bool = False
    mandates: dict[str, MandateState] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)  # mandate id → reference
    cancelled: list[str] = field(default_factory=list)

    def register(self, *, key: str, max_amount: Decimal, customer_name: str) -> MandateState:
        status = "rejected" if self.reject else "pending" if self.pending else "active"
        state = MandateState(f"token_{len(self.mandates) + 1}", status, "UMRN0001", max_amount, "emandate")
        self.mandates[state.id] = state
        self.references[state.id] = key
        return state

    def find(self, key: str) -> MandateState | None:
        made = [self.mandates[mid] for mid, ref in self.references.items() if ref == key]
        return made[-1] if made else None

    def fetch(self, mandate_id: str) -> MandateState:
        return self.mandates[mandate_id]

    def cancel(self, mandate_id: str) -> None:
        self.cancelled.append(mandate_id)

    def settle(self, status: str = "active") -> None:
        """Every pending mandate reaches ``status`` (the sponsor bank answers)."""
        for mid, state in self.mandates.items():
            if state.status == "pending":
                self.mandates[mid] = MandateState(mid, status, state.umrn, state.max_amount, state.method)


@dataclass
class Fakes:
    esign: FakeEsign = field(default_factory=FakeEsign)
    mandate: FakeMandate = field(default_factory=FakeMandate)
    payouts: FakePayouts = field(default_factory=FakePayouts)

    def providers(self, *_: object) -> Providers:
        return Providers(esign=self.esign, mandate=self.mandate, payouts=self.payouts)


def new_saga(session: Session) -> Saga:
    tenant = make_tenant(session)
    application = approved_application(session, tenant.id)
    saga = Saga(
        tenant_id=tenant.id,
        application_id=application.id,
        terms={
            "reference": "APP-1",
            "borrower_name": "Kavya Nair",
            "amount": "100000",
            "tenure_months": 12,
            "interest_rate": "12",
        },
    )
    session.add(saga)
    session.flush()
    session.add_all(engine.new_steps(saga))
    session.commit()
    return saga


def drive(session: Session, saga: Saga, fakes: Fakes, *, inject: Any = None, rounds: int = 30) -> str:
    """Run the saga as the worker would: advance, retry after a crash, the borrower accepting and signing."""
    status = saga.status
    for _ in range(rounds):
        try:
            status = engine.advance(
                session,
                tenant_id=saga.tenant_id,
                saga_id=saga.id,
                providers=fakes.providers(),
                checkpoint=session.commit,
                inject=inject,
            )
        except Exception:  # noqa: BLE001 - a crash: the job is retried
            session.rollback()
            continue
        session.refresh(saga)
        if status in engine.TERMINAL:
            return status
        if saga.kfs_status == "issued":
            saga.kfs_status, saga.kfs_accepted_hash = "accepted", saga.kfs_hash
            session.commit()
        elif saga.agreement_status == "pending":
            fakes.esign.finish("signed")
    return status
