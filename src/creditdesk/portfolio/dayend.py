"""Charges on a loan and the day-end: each loan's DPD and RBI class recorded, ``loan.dpd_changed`` on a move.

Money invariant: a charge (``bounce`` or ``penal``) is a flat amount in its own ledger (``charge``):
never capitalised, no interest on it (RBI DoR.MCS.REC.28/01.01.001/2023-24, 18 August 2023). It
enters the book through :func:`~creditdesk.portfolio.ledger.build_book`, where payments are allocated
instalments due → charges → instalments ahead (``book.Book._allocate``). A charge is levied once per
``source`` (an insert-or-nothing on the unique (tenant, source)), so a replayed bounce levies once.

Idempotency invariant of the day-end: ``loan_day_end`` holds the position each loan was last recorded
at. A day-end moves a row only with a conditional UPDATE that names the bucket and class it read, and
emits ``loan.dpd_changed`` only when that UPDATE changed a row and the bucket or class differ — so a
rerun, or two day-ends at once, emit each change once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from creditdesk.db import insert_into, new_id, utcnow
from creditdesk.events import service as events
from creditdesk.portfolio import reports
from creditdesk.portfolio.book import ASSET_CLASSES, CHARGE_KINDS, DPD_BUCKETS, Book, dpd_bucket, rupees, to_day
from creditdesk.portfolio.ledger import build_book
from creditdesk.portfolio.models import Charge, Loan, LoanDayEnd
from creditdesk.tenancy.models import Tenant
from creditdesk.tenancy.scope import get_owned, select_owned

#: a bounce charge when the tenant has set none: ₹500 plus 18 % GST, as the default KFS states it
BOUNCE_CHARGE = Decimal("590.00")
#: a loan never recorded by a day-end starts here (a new loan is standard)
START: tuple[str, str | None, int] = ("current", "standard", 0)


# -- charges -----------------------------------------------------------------------------------------


def levy(
    session: Session,
    *,
    tenant_id: str,
    loan_id: str,
    kind: str,
    amount: Decimal,
    levied_on: date,
    reason: str | None,
    source: str,
) -> Charge | None:
    """Levy a charge once per ``source``; the new charge, or None when that source already levied one."""
    if kind not in CHARGE_KINDS or amount <= 0:
        raise ValueError(f"a charge is a positive {' or '.join(CHARGE_KINDS)} amount")
    loan = get_owned(session, Loan, loan_id, tenant_id, what="Loan")
    values = {
        "id": new_id(),
        "created_at": utcnow(),
        "tenant_id": tenant_id,
        "loan_id": loan.id,
        "kind": kind,
        "amount": amount,
        "levied_on": levied_on,
        "reason": (reason or "")[:200] or None,
        "source": source,
        "paid_amount": Decimal("0.00"),
    }
    stmt = insert_into(session, Charge).values(**values).on_conflict_do_nothing(index_elements=["tenant_id", "source"])
    inserted = session.execute(stmt.returning(Charge.id)).scalar_one_or_none()
    if inserted is None:
        return None
    loan.updated_at = utcnow()  # the ledger's version moves: cached books and reports rebuild
    if loan.status == "closed":  # money is owed again
        loan.status, loan.closed_on = "active", None
    reports.refresh_after_commit(session, tenant_id=tenant_id)
    session.flush()
    return session.get_one(Charge, inserted)


def charges_of(session: Session, *, tenant_id: str, loan_id: str) -> list[Charge]:
    """A loan's charges, oldest first."""
    stmt = select_owned(Charge, tenant_id).where(Charge.loan_id == loan_id)
    return list(session.execute(stmt.order_by(Charge.levied_on, Charge.created_at)).scalars())


# -- the day-end -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayEnd:
    """What one day-end did: loans looked at, and the loans whose bucket or class moved."""

    as_of: date
    loans: int
    changed: list[str]


def _record_cover(session: Session, *, tenant_id: str, book: Book, as_of: date) -> None:
    """Write what the book allocated to each charge by the end of ``as_of`` into ``charge.paid_amount``."""
    if not len(book.c_loan):
        return
    cover = book.charge_cover(as_of)
    rows = list(session.execute(select_owned(Charge, tenant_id).where(Charge.levied_on <= as_of)).scalars())
    index = book.index
    # the book's order: by loan position, day, kind, amount (equal keys have equal amounts)
    rows.sort(key=lambda c: (index[c.loan_id], to_day(c.levied_on), CHARGE_KINDS.index(c.kind), c.amount, c.id))
    levied = book.c_on <= to_day(as_of)
    for charge, paid in zip(rows, cover[levied].tolist(), strict=False):
        if charge.paid_amount != rupees(paid):
            charge.paid_amount = rupees(paid)


def run_day_end(session: Session, *, tenant: Tenant, as_of: date) -> DayEnd:
    """Record every loan's DPD, bucket and RBI class at the end of ``as_of``; emit ``loan.dpd_changed`` on a move."""
    book = build_book(session, tenant_id=tenant.id)
    state = book.state(as_of)
    buckets = dpd_bucket(state.dpd)
    recorded = {row.loan_id: row for row in session.execute(select_owned(LoanDayEnd, tenant.id)).scalars()}
    changed: list[str] = []
    looked = 0
    for i, loan_id in enumerate(book.ids):
        if not state.disbursed[i] or (not state.active[i] and loan_id not in recorded):
            continue
        looked += 1
        cls = int(state.asset_class[i])
        now = (DPD_BUCKETS[int(buckets[i])], ASSET_CLASSES[cls] if cls >= 0 else None, int(state.dpd[i]))
        if _move(session, tenant_id=tenant.id, loan_id=loan_id, row=recorded.get(loan_id), now=now, as_of=as_of):
            changed.append(loan_id)
    _record_cover(session, tenant_id=tenant.id, book=book, as_of=as_of)
    session.flush()
    return DayEnd(as_of=as_of, loans=looked, changed=changed)


def _move(
    session: Session,
    *,
    tenant_id: str,
    loan_id: str,
    row: LoanDayEnd | None,
    now: tuple[str, str | None, int],
    as_of: date,
) -> bool:
    """Move the loan's recorded position to ``now``; True (and the event emitted) when its bucket or class moved."""
    bucket, asset_class, dpd = now
    if row is None:
        values = {"id": new_id(), "tenant_id": tenant_id, "loan_id": loan_id, "updated_at": utcnow()}
        values |= {"as_of": as_of, "dpd": dpd, "bucket": bucket, "asset_class": asset_class}
        stmt = (
            insert_into(session, LoanDayEnd)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "loan_id"])
        )
        if session.execute(stmt.returning(LoanDayEnd.id)).scalar_one_or_none() is None:
            return False  # a concurrent day-end recorded it first; it emitted what there was to emit
        before = START
    else:
        if row.as_of > as_of:
            return False  # a later day-end was recorded already: an earlier one changes nothing
        before = (row.bucket, row.asset_class, row.dpd)
        moved = (
            session.connection()
            .execute(
                update(LoanDayEnd)
                .where(
                    LoanDayEnd.id == row.id,
                    LoanDayEnd.bucket == row.bucket,
                    LoanDayEnd.asset_class.is_not_distinct_from(row.asset_class),
                    LoanDayEnd.as_of <= as_of,
                )
                .values(as_of=as_of, dpd=dpd, bucket=bucket, asset_class=asset_class, updated_at=utcnow())
            )
            .rowcount
        )
        if moved != 1:
            return False
    if before[:2] == (bucket, asset_class):
        return False
    events.emit(
        session,
        tenant=tenant_id,
        type="loan.dpd_changed",
        data={
            "loan_id": loan_id,
            "previous_dpd": before[2],
            "dpd": dpd,
            "previous_bucket": before[0],
            "bucket": bucket,
            "previous_asset_class": before[1],
            "asset_class": asset_class,
            "as_of": as_of,
        },
    )
    return True


def recorded_position(session: Session, *, tenant_id: str, loan_id: str) -> LoanDayEnd | None:
    """The loan's position as the last day-end recorded it."""
    stmt = select_owned(LoanDayEnd, tenant_id).where(LoanDayEnd.loan_id == loan_id)
    return session.execute(stmt).scalar_one_or_none()
