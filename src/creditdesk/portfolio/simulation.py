"""A synthetic loan-book history whose defaults follow each borrower's known true PD (DESIGN §7).

Applicants come from the synthetic book (``creditdesk.ml.synthetic``); those the default policy
approves (true PD < 0.30) are disbursed over ``months`` months, more each month as the lender grows.
Each loan's repayment behaviour is drawn from its true PD, which is also stored as the PD at
origination, so realised 12-month defaults match the predictions up to sampling noise:

* with probability PD the borrower **defaults**: pays the first instalments, stops at instalment
  1–8 (so 90+ DPD is reached within 12 months of disbursal), then either **cures** (25 %: clears
  every arrear in one payment 3–9 months after becoming NPA and pays on time again), pays
  **partially** (30 %: part-EMIs now and then, never clearing the arrears), or goes **silent**;
* otherwise the borrower pays — mostly on time, sometimes 1–25 days late, rarely 26–45 days late,
  and 6 % have one **stress episode** (two instalments skipped, caught up before 90 DPD).

Silent NPAs older than 13 months are marked **Loss** half of the time. Vehicle, home-improvement
and agriculture loans carry collateral. Nothing after ``as_of`` is generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from creditdesk.db import new_id
from creditdesk.ml.synthetic import generate_book
from creditdesk.portfolio.book import NEVER, Book, InstalmentFacts, LoanFacts, PaymentFacts, to_day
from creditdesk.portfolio.schedule import ScheduledInstalment, add_months, amortisation_schedule, money

APPROVE_BELOW_PD = 0.30
CHANNELS = ("nach", "nach", "nach", "upi", "upi", "neft", "cash")
_COLLATERAL = {
    "vehicle": ("vehicle", 1.15, 1.45),
    "home_improvement": ("property", 2.5, 4.0),
    "agriculture": ("gold", 1.3, 1.6),
}


@dataclass
class SimulatedPortfolio:
    """Rows ready to insert (ids assigned), plus the behaviour each loan was given."""

    as_of: date
    customers: list[dict[str, Any]] = field(default_factory=list)
    loans: list[dict[str, Any]] = field(default_factory=list)
    instalments: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    collateral: list[dict[str, Any]] = field(default_factory=list)
    behaviour: dict[str, str] = field(default_factory=dict)

    def book(self) -> Book:
        """Return the simulated loans as a Book (without touching a database)."""
        secured = {c["loan_id"] for c in self.collateral}
        return Book.build(
            [
                LoanFacts(
                    x["id"],
                    x["disbursed_on"],
                    x["principal"],
                    x["pd_at_origination"],
                    x["loss_marked_on"],
                    x["id"] in secured,
                )
                for x in self.loans
            ],
            [
                InstalmentFacts(r["loan_id"], r["seq"], r["due_on"], r["principal"], r["interest"], r["amount"])
                for r in self.instalments
            ],
            [PaymentFacts(p["loan_id"], p["paid_on"], p["amount"]) for p in self.payments],
        )


def _origination_days(rng: np.random.Generator, count: int, months: int, as_of: date) -> list[date]:
    """Spread disbursals over the last ``months`` months, growing linearly (the last month twice the first)."""
    starts = [date(add_months(as_of, -k).year, add_months(as_of, -k).month, 1) for k in range(months - 1, -1, -1)]
    weights = np.linspace(1.0, 2.0, months)
    month_of = rng.choice(months, size=count, p=weights / weights.sum())
    days = []
    for m in month_of:
        start = starts[m]
        end = min(add_months(start, 1) - timedelta(days=1), as_of - timedelta(days=1))
        span = max((end - start).days, 0)
        days.append(start + timedelta(days=int(rng.integers(0, span + 1))))
    return sorted(days)


def simulate_portfolio(*, loans: int = 4000, months: int = 24, as_of: date, seed: int = 7) -> SimulatedPortfolio:
    """Generate ``loans`` loans disbursed over ``months`` months up to ``as_of``, with repayments to date."""
    rng = np.random.default_rng(seed)
    applicants = generate_book(n=int(loans / 0.8) + 200, seed=seed, as_of=add_months(as_of, -months))
    approved = np.flatnonzero(applicants.true_pd < APPROVE_BELOW_PD)
    rng.shuffle(approved)
    chosen = approved[:loans]
    flat = applicants.flat.iloc[chosen].to_dict("records")
    days = _origination_days(rng, len(chosen), months, as_of)
    sim = SimulatedPortfolio(as_of=as_of)
    seen_pans: set[str] = set()
    for n, (rec, pd_, disbursed_on) in enumerate(zip(flat, applicants.true_pd[chosen], days, strict=True)):
        pan = rec["pan"] if rec["pan"] not in seen_pans else None  # a PAN borrows once; a repeat stays unnamed
        seen_pans.add(rec["pan"])
        _simulate_loan(sim, rng, rec, float(pd_), disbursed_on, pan=pan, ref=f"{seed}-{n:06d}")
    _mark_losses(sim, rng)
    return sim


def _simulate_loan(
    sim: SimulatedPortfolio,
    rng: np.random.Generator,
    rec: dict[str, Any],
    pd_: float,
    disbursed_on: date,
    *,
    pan: str | None,
    ref: str,
) -> None:
    """Add one applicant's customer, loan, schedule, collateral and payments up to ``sim.as_of``."""
    customer_id, loan_id = new_id(), new_id()
    sim.customers.append(_customer(customer_id, rec, pan))
    principal = money(rec["loan_amount"])
    rate = Decimal(str(rec["interest_rate"]))
    first_due = add_months(disbursed_on, 1)
    schedule = amortisation_schedule(principal, rate, int(rec["tenure_months"]), first_due)
    loan = {
        "id": loan_id,
        "customer_id": customer_id,
        "external_ref": f"LN-{ref}",
        "purpose": rec["purpose"],
        "principal": principal,
        "annual_rate_pct": rate,
        "tenure_months": int(rec["tenure_months"]),
        "emi": schedule[0].amount,
        "disbursed_on": disbursed_on,
        "first_due_on": first_due,
        "maturity_on": schedule[-1].due_on,
        "pd_at_origination": round(pd_, 6),
        "status": "active",
        "closed_on": None,
        "loss_marked_on": None,
    }
    sim.loans.append(loan)
    sim.instalments.extend(_instalments(loan_id, schedule))
    if rec["purpose"] in _COLLATERAL:
        sim.collateral.append(_collateral(rng, loan_id, rec["purpose"], principal, disbursed_on))
    behaviour, pays = _repayments(rng, schedule, pd_, sim.as_of)
    sim.behaviour[loan_id] = behaviour
    _add_payments(sim, rng, loan, pays, total=sum((r.amount for r in schedule), Decimal(0)), ref=ref)


def _customer(customer_id: str, rec: dict[str, Any], pan: str | None) -> dict[str, Any]:
    return {
        "id": customer_id,
        "name": rec["name"],
        "pan": pan,
        "date_of_birth": date.fromisoformat(rec["date_of_birth"]),
        "employment_type": rec["employment_type"],
        "monthly_income": money(rec["monthly_income"]),
        "existing_emi": money(rec["existing_emi"]),
        "state": rec["state"],
    }


def _instalments(loan_id: str, schedule: list[ScheduledInstalment]) -> list[dict[str, Any]]:
    return [{"id": new_id(), "loan_id": loan_id, **row.columns()} for row in schedule]


def _collateral(
    rng: np.random.Generator, loan_id: str, purpose: str, principal: Decimal, valued_on: date
) -> dict[str, Any]:
    kind, lo, hi = _COLLATERAL[purpose]
    return {
        "id": new_id(),
        "loan_id": loan_id,
        "kind": kind,
        "description": f"{kind.title()} pledged against {purpose.replace('_', ' ')} loan",
        "value": money(float(principal) * rng.uniform(lo, hi)),
        "valued_on": valued_on,
    }


def _add_payments(
    sim: SimulatedPortfolio,
    rng: np.random.Generator,
    loan: dict[str, Any],
    pays: list[tuple[date, Decimal]],
    *,
    total: Decimal,
    ref: str,
) -> None:
    """Add the loan's payments (each through a drawn channel); a loan paid in full is closed that day."""
    paid = Decimal(0)
    for k, (paid_on, amount) in enumerate(pays):
        paid += amount
        sim.payments.append(
            {
                "id": new_id(),
                "loan_id": loan["id"],
                "reference": f"SIM-{ref}-{k:03d}",
                "amount": amount,
                "paid_on": paid_on,
                "channel": CHANNELS[int(rng.integers(0, len(CHANNELS)))],
            }
        )
        if paid >= total:
            loan.update(status="closed", closed_on=paid_on)


def _repayments(
    rng: np.random.Generator, schedule: list[Any], pd_: float, as_of: date
) -> tuple[str, list[tuple[date, Decimal]]]:
    """Draw one loan's payments (date, amount) up to ``as_of`` from its true PD."""
    due = [r.due_on for r in schedule]
    amounts = [r.amount for r in schedule]
    count = len(schedule)
    pays: list[tuple[date, Decimal]] = []

    def on_time(k: int) -> date:
        day: date = due[k] - timedelta(days=int(rng.integers(0, 4)))
        return day

    if rng.random() < pd_:
        stop = int(rng.integers(0, min(count, 8)))  # first instalment never paid (0-based)
        for k in range(stop):
            pays.append((on_time(k), amounts[k]))
        fate = rng.choice(["cure", "partial", "silent"], p=[0.25, 0.30, 0.45])
        npa_day = due[stop] + timedelta(days=91)
        if fate == "cure":
            cure_day = npa_day + timedelta(days=int(rng.integers(90, 270)))
            owed = [k for k in range(stop, count) if due[k] <= cure_day]
            pays.append((cure_day, sum((amounts[k] for k in owed), Decimal(0))))
            for k in range(stop + len(owed), count):
                pays.append((on_time(k), amounts[k]))
        elif fate == "partial":
            day = due[stop] + timedelta(days=int(rng.integers(20, 60)))
            while day <= as_of:
                pays.append((day, money(float(amounts[stop]) * rng.uniform(0.3, 0.7))))
                day += timedelta(days=int(rng.integers(30, 75)))
        behaviour = f"default_{fate}"
    else:
        stress = int(rng.integers(0, count - 2)) if count > 3 and rng.random() < 0.06 else -1
        behaviour = "stress_episode" if stress >= 0 else "performing"
        k = 0
        while k < count:
            if k == stress:
                catch_up = due[k + 2] + timedelta(days=int(rng.integers(0, 26)))
                pays.append((catch_up, amounts[k] + amounts[k + 1] + amounts[k + 2]))
                k += 3
                continue
            u = rng.random()
            if u < 0.85:
                day = on_time(k)
            elif u < 0.97:
                day = due[k] + timedelta(days=int(rng.integers(1, 26)))
            else:
                day = due[k] + timedelta(days=int(rng.integers(26, 46)))
            pays.append((day, amounts[k]))
            k += 1
    pays = sorted((p for p in pays if p[0] <= as_of), key=lambda p: p[0])
    return behaviour, pays


def _mark_losses(sim: SimulatedPortfolio, rng: np.random.Generator) -> None:
    """Mark half of the silent NPAs that have been NPA for over 13 months as Loss."""
    book = sim.book()
    limit = to_day(add_months(sim.as_of, -13))
    for loan_index, start, end in zip(book.s_loan.tolist(), book.s_start.tolist(), book.s_end.tolist(), strict=True):
        loan = sim.loans[loan_index]
        if end >= NEVER and start <= limit and sim.behaviour[loan["id"]] == "default_silent" and rng.random() < 0.5:
            loan["loss_marked_on"] = add_months(date.fromordinal(start), 13)
