"""The tenant's book, read from its ledger (loans, instalments, payments, collateral) and cached.

Freshness invariant: the book (and every report cached on it, see ``reports.py``) is keyed by the
tenant's *ledger version* — the count and latest change of its loans and payments, read on every
request. A new loan, payment or loss mark changes the version, so the very next read rebuilds:
nothing stale is ever served. Builds are single-flight per tenant: concurrent first readers wait for
one build instead of each building their own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, String, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from creditdesk.portfolio.book import CHARGE_KINDS, NEVER, Book
from creditdesk.portfolio.models import Charge, Collateral, Instalment, Loan, Payment
from creditdesk.tenancy.scope import scoped

_BOOK_CACHE: OrderedDict[tuple[Any, ...], Book] = OrderedDict()
_BOOK_LOCK = threading.Lock()
_BUILD_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_BOOK_CACHE_SIZE = 16


def ledger_version(session: Session, *, tenant_id: str) -> tuple[Any, ...]:
    """Return what identifies the state of the tenant's ledger (changes with any loan or payment write)."""
    loans = session.execute(scoped(select(func.count(Loan.id), func.max(Loan.updated_at)), Loan, tenant_id)).one()
    pays = session.execute(
        scoped(select(func.count(Payment.id), func.max(Payment.created_at)), Payment, tenant_id)
    ).one()
    return (str(session.get_bind().engine.url), tenant_id, *loans, *pays)


def load_book(session: Session, *, tenant_id: str, version: tuple[Any, ...] | None = None) -> Book:
    """Return the tenant's book, rebuilt only when a loan or payment changed since the last build."""
    key = version or ledger_version(session, tenant_id=tenant_id)
    with _BOOK_LOCK:
        cached = _BOOK_CACHE.get(key)
        if cached is not None:
            _BOOK_CACHE.move_to_end(key)
            return cached
        build_lock = _BUILD_LOCKS.setdefault(key[:2], threading.Lock())
    with build_lock:  # one build per tenant at a time; the others wait and take its result
        with _BOOK_LOCK:
            cached = _BOOK_CACHE.get(key)
        if cached is not None:
            return cached
        book = build_book(session, tenant_id=tenant_id)
        with _BOOK_LOCK:
            _BOOK_CACHE[key] = book
            while len(_BOOK_CACHE) > _BOOK_CACHE_SIZE:
                _BOOK_CACHE.popitem(last=False)
    return book


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _days(values: list[Any]) -> np.ndarray:
    """Return dates (``date`` objects or ISO strings, as the driver hands them over) as ordinal days."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    days = np.array(values, dtype="datetime64[D]")
    return np.where(np.isnat(days), NEVER, days.astype(np.int64) + _EPOCH_ORDINAL)


def _raw_date(column: Any) -> Any:
    """Dates as the driver returns them (numpy parses them in one go, not one Python date per row)."""
    return type_coerce(column, String)


def _paise_column(column: Any) -> Any:
    """Amounts leave the database as integer paise (exact, and no Decimal per row)."""
    return cast(func.round(column * 100), BigInteger)


def build_book(session: Session, *, tenant_id: str, loan_ids: list[str] | None = None) -> Book:
    secured_q = scoped(select(Collateral.loan_id).distinct(), Collateral, tenant_id)
    loan_q = scoped(
        select(Loan.id, Loan.disbursed_on, _paise_column(Loan.principal), Loan.pd_at_origination, Loan.loss_marked_on),
        Loan,
        tenant_id,
    ).order_by(Loan.disbursed_on, Loan.id)
    inst_q = scoped(
        select(
            Instalment.loan_id,
            Instalment.seq,
            _raw_date(Instalment.due_on),
            _paise_column(Instalment.amount),
            _paise_column(Instalment.interest),
            _paise_column(Instalment.principal),
        ),
        Instalment,
        tenant_id,
    )
    pay_q = scoped(
        select(Payment.loan_id, _raw_date(Payment.paid_on), _paise_column(Payment.amount)), Payment, tenant_id
    )
    charge_columns = (Charge.loan_id, _raw_date(Charge.levied_on), Charge.kind, _paise_column(Charge.amount))
    charge_q = scoped(select(*charge_columns), Charge, tenant_id)
    if loan_ids is not None:
        secured_q = secured_q.where(Collateral.loan_id.in_(loan_ids))
        loan_q = loan_q.where(Loan.id.in_(loan_ids))
        inst_q = inst_q.where(Instalment.loan_id.in_(loan_ids))
        pay_q = pay_q.where(Payment.loan_id.in_(loan_ids))
        charge_q = charge_q.where(Charge.loan_id.in_(loan_ids))
    conn = session.connection()  # Core rows: the ORM's per-row loading would cost more than the book itself
    secured = set(conn.execute(secured_q).scalars())
    loans = conn.execute(loan_q).all()
    ids = [r[0] for r in loans]
    index = {loan_id: i for i, loan_id in enumerate(ids)}
    inst = [r for r in conn.execute(inst_q).all() if r[0] in index]
    pays = [r for r in conn.execute(pay_q).all() if r[0] in index]
    levied = [r for r in conn.execute(charge_q).all() if r[0] in index]
    inst_arr = np.empty((len(inst), 6), dtype=np.int64)
    if inst:
        inst_arr[:, 0] = [index[r[0]] for r in inst]
        inst_arr[:, 1] = [r[1] for r in inst]
        inst_arr[:, 2] = _days([r[2] for r in inst])
        inst_arr[:, 3:6] = np.array([r[3:6] for r in inst], dtype=np.int64)
    pay_arr = np.empty((len(pays), 3), dtype=np.int64)
    if pays:
        pay_arr[:, 0] = [index[r[0]] for r in pays]
        pay_arr[:, 1] = _days([r[1] for r in pays])
        pay_arr[:, 2] = [r[2] for r in pays]
    return Book.from_arrays(
        ids=ids,
        disbursed_on=_days([r[1] for r in loans]),
        principal=np.array([r[2] for r in loans], dtype=np.int64),
        pd=np.array([np.nan if r[3] is None else float(r[3]) for r in loans], dtype=float),
        loss_on=_days([r[4] for r in loans]),
        secured=np.array([r[0] in secured for r in loans], dtype=bool),
        instalments=inst_arr,
        payments=pay_arr,
        charges=_charges(levied, index),
    )


def _charges(rows: list[Any], index: dict[str, int]) -> np.ndarray:
    """Charge rows as the book takes them: (loan position, day, kind index, paise)."""
    levied = np.empty((len(rows), 4), dtype=np.int64)
    if rows:
        levied[:, 0] = [index[r[0]] for r in rows]
        levied[:, 1] = _days([r[1] for r in rows])
        levied[:, 2] = [CHARGE_KINDS.index(r[2]) for r in rows]
        levied[:, 3] = [r[3] for r in rows]
    return levied
