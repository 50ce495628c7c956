"""The loan book as arrays: days past due, arrears and RBI asset classification as of any date.

Everything here is derived from two facts per loan — the instalment schedule (what falls due when)
and the payments (what arrived when) — so any past date can be recomputed exactly.

Conventions (documented in docs/portfolio-monitoring.md):

* Amounts are integer **paise** inside the engine (exact sums); they leave as ``Decimal`` rupees.
* Positions are **day-end** positions: a payment made on day ``t`` counts at the end of day ``t``,
  and an instalment still unpaid when its due date's day-end runs is overdue from that day-end.
* **Allocation** of each payment, in order (``_allocate``): instalments already due, oldest first,
  interest before principal; then **charges** levied by the payment's day (bounce, penal), oldest
  first; then instalments not yet due (an advance). Charges sit in their own ledger: they are never
  added to principal and bear no interest (RBI, penal charges circular of 18 August 2023), and they
  are not arrears of interest or principal, so they move neither DPD nor the asset class.
* **DPD** at the end of day ``D`` = ``D`` − the due date of the oldest instalment not fully paid by
  then, **+ 1** (0 when nothing is overdue): the due date itself is the first day overdue. This is
  the count of RBI's worked example (clarification circular of 12 November 2021): due 31 March and
  unpaid → SMA-0 at that day-end, SMA-1 on 30 April (31 days), SMA-2 on 30 May (61), NPA on 29 June (91).
* **RBI classification** (Master Circular on IRACP norms, SMA framework):
  Standard (no arrears) · SMA-0 (1–30 DPD) · SMA-1 (31–60) · SMA-2 (61–90) · NPA once DPD > 90.
  An NPA is **Sub-standard** for its first 12 months as NPA, then **Doubtful**: D1 for its first
  year as doubtful, D2 for years one to three, D3 beyond; **Loss** once the lender marks it so.
  An NPA is upgraded to Standard **only when all arrears are cleared** (DPD back to 0) — paying
  it down to, say, 40 DPD leaves it an NPA. Hence the NPA *spells* per loan computed below.
* ``30+``, ``60+``, ``90+`` mean DPD strictly above 30, 60 and 90 (so 90+ is exactly NPA by age).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np

from creditdesk.portfolio.schedule import add_months

NEVER = 10**8  # an ordinal day after any real date
OVERDUE_LIMITS = (30, 60, 90)

ASSET_CLASSES = (
    "standard",
    "sma_0",
    "sma_1",
    "sma_2",
    "substandard",
    "doubtful_1",
    "doubtful_2",
    "doubtful_3",
    "loss",
)
ASSET_CLASS_LABELS = {
    "standard": "Standard",
    "sma_0": "SMA-0",
    "sma_1": "SMA-1",
    "sma_2": "SMA-2",
    "substandard": "Sub-standard",
    "doubtful_1": "Doubtful D1",
    "doubtful_2": "Doubtful D2",
    "doubtful_3": "Doubtful D3",
    "loss": "Loss",
}
NPA_CLASSES = frozenset({"substandard", "doubtful_1", "doubtful_2", "doubtful_3", "loss"})
_CLASS_INDEX = {name: i for i, name in enumerate(ASSET_CLASSES)}
_NPA_CODES = np.array([name in NPA_CLASSES for name in ASSET_CLASSES])

#: Minimum provisions by class (RBI IRACP norms for secured exposure; unsecured sub-standard 25 %,
#: unsecured doubtful 100 %). Used for the net NPA ratio.
PROVISION_RATES = {
    "standard": 0.004,
    "sma_0": 0.004,
    "sma_1": 0.004,
    "sma_2": 0.004,
    "substandard": 0.15,
    "doubtful_1": 0.25,
    "doubtful_2": 0.40,
    "doubtful_3": 1.00,
    "loss": 1.00,
}
UNSECURED_PROVISION_RATES = {**PROVISION_RATES, "substandard": 0.25, "doubtful_1": 1.0, "doubtful_2": 1.0}

DPD_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")

#: The kinds of charge a loan can be levied: a bounced mandate debit or cheque, and penal charges for
#: a breach of the loan's terms (flat amounts, never interest: RBI DoR.MCS.REC.28/01.01.001/2023-24).
CHARGE_KINDS = ("bounce", "penal")


def to_day(value: date) -> int:
    """Return a date as an ordinal day."""
    return value.toordinal()


def to_date(day: int) -> date | None:
    """Return an ordinal day as a date (None for NEVER)."""
    return None if day >= NEVER else date.fromordinal(int(day))


def paise(value: Any) -> int:
    """Return an amount in rupees (Decimal, str, int) as integer paise."""
    if isinstance(value, Decimal):
        return int(value.scaleb(2).to_integral_value())
    return int((Decimal(str(value)) * 100).to_integral_value())


def rupees(value: int | np.integer) -> Decimal:
    """Return integer paise as Decimal rupees with two places."""
    return Decimal(int(value)).scaleb(-2)


def _charge_kind(kind: str) -> int:
    if kind not in CHARGE_KINDS:
        raise ValueError(f"unknown charge kind {kind!r} (one of {', '.join(CHARGE_KINDS)})")
    return CHARGE_KINDS.index(kind)


def _cum_before(loan: np.ndarray, amount: np.ndarray, n: int) -> np.ndarray:
    """Return, per row of rows grouped by loan, the sum of the amounts of the loan's earlier rows."""
    cum = np.cumsum(amount)
    start = np.concatenate([[0], np.cumsum(np.bincount(loan, minlength=n))]).astype(np.int64)[loan]
    before: np.ndarray = cum - amount - np.concatenate([[0], cum])[start]
    return before.astype(np.int64)


def dpd_bucket(dpd: np.ndarray) -> np.ndarray:
    """Return the DPD bucket index (0 current, 1 1–30, 2 31–60, 3 61–90, 4 90+) per loan."""
    return np.searchsorted(np.array([0, 30, 60, 90]), dpd, side="left")


class LoanFacts(NamedTuple):
    id: str
    disbursed_on: date
    principal: Any  # rupees
    pd: float | None
    loss_marked_on: date | None
    secured: bool = False


class InstalmentFacts(NamedTuple):
    loan_id: str
    seq: int
    due_on: date
    principal: Any
    interest: Any
    amount: Any


class PaymentFacts(NamedTuple):
    loan_id: str
    paid_on: date
    amount: Any


class ChargeFacts(NamedTuple):
    """A charge levied on a loan on a day: ``kind`` one of :data:`CHARGE_KINDS`, ``amount`` in rupees."""

    loan_id: str
    charged_on: date
    kind: str
    amount: Any


@dataclass
class BookState:
    """Every loan's position at the end of one day (arrays indexed like ``Book.ids``)."""

    day: int
    disbursed: np.ndarray  # bool: disbursed on or before the day
    active: np.ndarray  # bool: disbursed and not fully repaid
    closed: np.ndarray  # bool: every instalment paid
    paid: np.ndarray  # paise received so far (to instalments and to charges)
    dpd: np.ndarray
    outstanding: np.ndarray  # principal outstanding, paise
    arrears: np.ndarray  # overdue amount (instalments past due, unpaid), paise
    npa_since: np.ndarray  # ordinal day the current NPA spell began, NEVER when not NPA
    asset_class: np.ndarray  # index into ASSET_CLASSES; -1 when not active
    charges: np.ndarray  # paise of charges levied so far
    charges_paid: np.ndarray  # paise of those charges paid

    @property
    def charges_due(self) -> np.ndarray:
        """Return the paise of charges levied and not yet paid, per loan."""
        due: np.ndarray = self.charges - self.charges_paid
        return due

    @property
    def npa(self) -> np.ndarray:
        """Return a mask of active loans classified NPA (Sub-standard, Doubtful or Loss)."""
        mask: np.ndarray = self.active & (self.asset_class >= 0) & _NPA_CODES[np.maximum(self.asset_class, 0)]
        return mask

    def class_names(self) -> list[str | None]:
        """Return each loan's asset class name (None when not active)."""
        return [ASSET_CLASSES[c] if c >= 0 else None for c in self.asset_class.tolist()]


@dataclass
class Book:
    """One tenant's loans, instalments and payments as arrays, with each loan's NPA spells."""

    ids: list[str]
    disbursed_on: np.ndarray
    principal: np.ndarray
    pd: np.ndarray
    loss_on: np.ndarray
    secured: np.ndarray
    i_loan: np.ndarray
    i_due: np.ndarray
    i_amount: np.ndarray
    i_interest: np.ndarray
    i_principal: np.ndarray
    i_cum_before: np.ndarray
    total_due: np.ndarray
    p_loan: np.ndarray
    p_on: np.ndarray
    p_amount: np.ndarray
    p_instalments: np.ndarray  # the part of each payment allocated to instalments
    c_loan: np.ndarray
    c_on: np.ndarray
    c_kind: np.ndarray  # index into CHARGE_KINDS
    c_amount: np.ndarray
    c_cum_before: np.ndarray  # charges levied on the loan before this one (oldest first)
    # per-loan path facts, from the event pass
    first_over: dict[int, np.ndarray] = field(default_factory=dict)  # limit → first day DPD > limit
    s_loan: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    s_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    s_end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    s_doubtful: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def index(self) -> dict[str, int]:
        """Return loan id → position."""
        cached = getattr(self, "_index", None)
        if cached is None:
            cached = {loan_id: i for i, loan_id in enumerate(self.ids)}
            self._index = cached
        return cached

    @classmethod
    def build(
        cls,
        loans: Sequence[LoanFacts],
        instalments: Iterable[InstalmentFacts],
        payments: Iterable[PaymentFacts],
        charges: Iterable[ChargeFacts] = (),
    ) -> Book:
        """Assemble a book from plain rows (database rows or a simulation)."""
        ids = [loan.id for loan in loans]
        index = {loan_id: i for i, loan_id in enumerate(ids)}
        inst = [
            (index[r.loan_id], r.seq, to_day(r.due_on), paise(r.amount), paise(r.interest), paise(r.principal))
            for r in instalments
            if r.loan_id in index
        ]
        pays = [(index[r.loan_id], to_day(r.paid_on), paise(r.amount)) for r in payments if r.loan_id in index]
        levied = [
            (index[r.loan_id], to_day(r.charged_on), _charge_kind(r.kind), paise(r.amount))
            for r in charges
            if r.loan_id in index
        ]
        i_arr = np.array(inst, dtype=np.int64).reshape(-1, 6)
        p_arr = np.array(pays, dtype=np.int64).reshape(-1, 3)
        return cls.from_arrays(
            ids=ids,
            disbursed_on=np.array([to_day(x.disbursed_on) for x in loans], dtype=np.int64),
            principal=np.array([paise(x.principal) for x in loans], dtype=np.int64),
            pd=np.array([np.nan if x.pd is None else float(x.pd) for x in loans], dtype=float),
            loss_on=np.array(
                [NEVER if x.loss_marked_on is None else to_day(x.loss_marked_on) for x in loans], dtype=np.int64
            ),
            secured=np.array([bool(x.secured) for x in loans], dtype=bool),
            instalments=i_arr,
            payments=p_arr,
            charges=np.array(levied, dtype=np.int64).reshape(-1, 4),
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        ids: list[str],
        disbursed_on: np.ndarray,
        principal: np.ndarray,
        pd: np.ndarray,
        loss_on: np.ndarray,
        secured: np.ndarray,
        instalments: np.ndarray,
        payments: np.ndarray,
        charges: np.ndarray | None = None,
    ) -> Book:
        """Assemble a book from arrays: loans by position, instalments as rows of (loan position, seq,
        due day, amount, interest, principal), payments as (loan position, day, amount) and charges as
        (loan position, day, kind index, amount), in paise."""
        n = len(ids)
        i_arr = instalments.reshape(-1, 6).astype(np.int64)
        p_arr = payments.reshape(-1, 3).astype(np.int64)
        i_arr = i_arr[np.lexsort(i_arr.T[::-1])]  # by loan, seq, … (the tuple order)
        p_arr = p_arr[np.lexsort(p_arr.T[::-1])]  # by loan, day, amount
        c_arr = (np.zeros((0, 4)) if charges is None else charges).reshape(-1, 4).astype(np.int64)
        c_arr = c_arr[np.lexsort(c_arr.T[::-1])]  # by loan, day, kind, amount: oldest first
        if (c_arr[:, 3] <= 0).any():
            raise ValueError("a charge must be a positive amount")
        i_loan, i_amount = i_arr[:, 0], i_arr[:, 3]
        cum = np.cumsum(i_amount)
        total_due = np.bincount(i_loan, weights=i_amount, minlength=n).astype(np.int64)
        loan_start = np.concatenate([[0], np.cumsum(np.bincount(i_loan, minlength=n))[:-1]]).astype(np.int64)
        # cumulative amount due before this row, within its loan
        before_loan = np.where(loan_start > 0, cum[np.maximum(loan_start - 1, 0)], 0) if len(cum) else loan_start
        i_cum_before = (cum - i_amount - before_loan[i_loan]) if len(cum) else np.zeros(0, dtype=np.int64)
        book = cls(
            ids=ids,
            disbursed_on=disbursed_on.astype(np.int64),
            principal=principal.astype(np.int64),
            pd=pd.astype(float),
            loss_on=loss_on.astype(np.int64),
            secured=secured.astype(bool),
            i_loan=i_loan,
            i_due=i_arr[:, 2],
            i_amount=i_amount,
            i_interest=i_arr[:, 4],
            i_principal=i_arr[:, 5],
            i_cum_before=i_cum_before.astype(np.int64),
            total_due=total_due,
            p_loan=p_arr[:, 0],
            p_on=p_arr[:, 1],
            p_amount=p_arr[:, 2],
            p_instalments=p_arr[:, 2],
            c_loan=c_arr[:, 0],
            c_on=c_arr[:, 1],
            c_kind=c_arr[:, 2],
            c_amount=c_arr[:, 3],
            c_cum_before=_cum_before(c_arr[:, 0], c_arr[:, 3], n),
        )
        book._allocate()
        book._trace_paths()
        return book

    # ----------------------------------------------------------------------------------------------
    # allocation: what of each payment goes to instalments and what to charges

    def _allocate(self) -> None:
        """Split each payment of a loan with charges: first the instalments already due (oldest first,
        interest before principal), then the charges levied by that day (oldest first), then the
        instalments not yet due. ``p_instalments`` keeps the instalments' part; the rest paid charges."""
        if not len(self.c_loan):
            return
        share = self.p_amount.copy()
        bounds = np.arange(self.size + 1)
        i_bounds = np.searchsorted(self.i_loan, bounds)
        p_bounds = np.searchsorted(self.p_loan, bounds)
        c_bounds = np.searchsorted(self.c_loan, bounds)
        for loan in np.unique(self.c_loan).tolist():
            lo, hi = i_bounds[loan], i_bounds[loan + 1]
            due = self.i_due[lo:hi]
            owed_by = np.concatenate([[0], np.cumsum(self.i_amount[lo:hi])])  # due by the k-th due date
            clo, chi = c_bounds[loan], c_bounds[loan + 1]
            levied_on = self.c_on[clo:chi]
            levied_by = np.concatenate([[0], np.cumsum(self.c_amount[clo:chi])])
            to_instalments = to_charges = 0
            for j in range(p_bounds[loan], p_bounds[loan + 1]):
                day, amount = int(self.p_on[j]), int(self.p_amount[j])
                fallen_due = int(owed_by[np.searchsorted(due, day, side="right")])
                first = min(amount, max(fallen_due - to_instalments, 0))
                levied = int(levied_by[np.searchsorted(levied_on, day, side="right")])
                charge = min(amount - first, levied - to_charges)
                to_charges += charge
                to_instalments += amount - charge
                share[j] = amount - charge
        self.p_instalments = share

    def charge_cover(self, as_of: date | int) -> np.ndarray:
        """Return the paise paid of each charge row (``c_*`` order) by the end of a day, oldest first."""
        state = self.state(as_of)
        covered: np.ndarray = np.clip(state.charges_paid[self.c_loan] - self.c_cum_before, 0, self.c_amount)
        return covered

    # ----------------------------------------------------------------------------------------------
    # the event pass: NPA spells and first crossings, per loan, from the whole payment history

    def _trace_paths(self) -> None:
        n = self.size
        first = {limit: np.full(n, NEVER, dtype=np.int64) for limit in OVERDUE_LIMITS}
        spells: list[tuple[int, int, int, int, int, int]] = []
        i_bounds = np.searchsorted(self.i_loan, np.arange(n + 1))
        p_bounds = np.searchsorted(self.p_loan, np.arange(n + 1))
        due_all = self.i_due.tolist()
        cum_after_all = (self.i_cum_before + self.i_amount).tolist()
        p_on_all = self.p_on.tolist()
        p_amount_all = self.p_instalments.tolist()
        for loan in range(n):
            lo, hi = int(i_bounds[loan]), int(i_bounds[loan + 1])
            due = due_all[lo:hi]
            cum_after = cum_after_all[lo:hi]
            plo, phi = int(p_bounds[loan]), int(p_bounds[loan + 1])
            events = list(zip(p_on_all[plo:phi], p_amount_all[plo:phi], strict=True))
            events.append((NEVER, 0))
            count = len(due)
            k = 0
            paid = 0
            start: int | None = None
            crossed = {limit: NEVER for limit in OVERDUE_LIMITS}
            for day, amount in events:
                if k < count:
                    base = due[k]
                    for limit in OVERDUE_LIMITS:  # DPD at the end of day X is X − base + 1
                        if crossed[limit] == NEVER and base + limit < day:
                            crossed[limit] = base + limit
                    if start is None and base + 90 < day:
                        start = base + 90
                if day >= NEVER:
                    break
                paid += amount
                while k < count and cum_after[k] <= paid:
                    k += 1
                if start is not None and (k >= count or due[k] > day):  # all arrears cleared: upgrade
                    spells.append(self._spell(loan, start, day))
                    start = None
            if start is not None:
                spells.append(self._spell(loan, start, NEVER))
            for limit in OVERDUE_LIMITS:
                first[limit][loan] = crossed[limit]
        arr = np.array(spells, dtype=np.int64).reshape(-1, 6)
        self.first_over = first
        self.s_loan, self.s_start, self.s_end = arr[:, 0], arr[:, 1], arr[:, 2]
        self.s_doubtful = arr[:, 3:6]

    @staticmethod
    def _spell(loan: int, start: int, end: int) -> tuple[int, int, int, int, int, int]:
        began = date.fromordinal(start)
        doubtful_1, doubtful_2, doubtful_3 = (to_day(add_months(began, m)) for m in (12, 24, 48))
        return (loan, start, end, doubtful_1, doubtful_2, doubtful_3)

    # ----------------------------------------------------------------------------------------------
    # the position at the end of one day

    def state(self, as_of: date | int) -> BookState:
        """Return every loan's DPD, arrears, outstanding principal and asset class at the end of a day."""
        day = as_of if isinstance(as_of, int) else to_day(as_of)
        n = self.size
        disbursed = self.disbursed_on <= day
        upto = self.p_on <= day
        paid = np.bincount(self.p_loan[upto], weights=self.p_amount[upto], minlength=n).astype(np.int64)
        to_instalments = np.bincount(self.p_loan[upto], weights=self.p_instalments[upto], minlength=n).astype(np.int64)
        levied = self.c_on <= day
        charges = np.bincount(self.c_loan[levied], weights=self.c_amount[levied], minlength=n).astype(np.int64)
        cover = np.clip(to_instalments[self.i_loan] - self.i_cum_before, 0, self.i_amount)
        unpaid = cover < self.i_amount
        overdue = unpaid & (self.i_due <= day)  # unpaid at its due date's day-end: overdue from that day
        dpd = np.zeros(n, dtype=np.int64)
        rows = np.flatnonzero(overdue)
        if len(rows):
            loans, first = np.unique(self.i_loan[rows], return_index=True)
            dpd[loans] = day - self.i_due[rows[first]] + 1
        arrears = np.bincount(self.i_loan[overdue], weights=(self.i_amount - cover)[overdue], minlength=n)
        principal_paid = np.clip(cover - self.i_interest, 0, self.i_principal)
        repaid = np.bincount(self.i_loan, weights=principal_paid, minlength=n).astype(np.int64)
        outstanding = np.where(disbursed, self.principal - repaid, 0)
        closed = disbursed & (to_instalments >= self.total_due) & (paid - to_instalments >= charges)
        active = disbursed & ~closed
        npa_since = np.full(n, NEVER, dtype=np.int64)
        doubtful = np.full((n, 3), NEVER, dtype=np.int64)
        live = (self.s_start <= day) & (self.s_end > day)
        npa_since[self.s_loan[live]] = self.s_start[live]
        doubtful[self.s_loan[live]] = self.s_doubtful[live]
        cls = np.select(
            [dpd == 0, dpd <= 30, dpd <= 60],
            [_CLASS_INDEX["standard"], _CLASS_INDEX["sma_0"], _CLASS_INDEX["sma_1"]],
            _CLASS_INDEX["sma_2"],
        )
        in_npa = npa_since <= day
        npa_cls = np.select(
            [day < doubtful[:, 0], day < doubtful[:, 1], day < doubtful[:, 2]],
            [_CLASS_INDEX["substandard"], _CLASS_INDEX["doubtful_1"], _CLASS_INDEX["doubtful_2"]],
            _CLASS_INDEX["doubtful_3"],
        )
        cls = np.where(in_npa, npa_cls, cls)
        cls = np.where(self.loss_on <= day, _CLASS_INDEX["loss"], cls)
        cls = np.where(active, cls, -1)
        return BookState(
            day=day,
            disbursed=disbursed,
            active=active,
            closed=closed,
            paid=paid,
            dpd=np.where(active, dpd, 0),
            outstanding=np.where(active, outstanding, 0),
            arrears=np.where(active, arrears, 0).astype(np.int64),
            npa_since=np.where(active, npa_since, NEVER),
            asset_class=cls.astype(np.int64),
            charges=charges,
            charges_paid=paid - to_instalments,
        )

    def defaulted_by(self, day: int) -> np.ndarray:
        """Return a mask of loans that had crossed 90 DPD (become NPA) on or before ``day``."""
        return self.first_over[90] <= day
