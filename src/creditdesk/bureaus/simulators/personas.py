"""Deterministic simulated credit files: the same PAN always gives the same person.

A PAN's persona is ``PERSONAS[sha256("persona|" + PAN) mod 7]``; everything else about the file
(accounts, balances, DPD, enquiries, score) is drawn from a random generator seeded by the PAN, so
every bureau sees the same person. Each bureau's score differs from the base score by a small
per-bureau offset (seeded by PAN and bureau), as real bureaus' scores do.

Personas (what a test can rely on):

=====================  ============================================================================
``no_hit``             no record at all (new to credit): hit = False, no score.
``thin_file``          one account opened 7–11 months ago, never late; score 650–720.
``prime``              3–5 accounts, 5–12 years of history, never late, low utilisation; score 760–860.
``near_prime``         2–4 accounts, moderate utilisation, at most one 1–29 DPD slip; score 690–750.
``subprime``           high utilisation, a 30–60 DPD episode 13–23 months ago (none in the last 12),
                       many recent enquiries; score 560–680.
``recent_delinquency`` a loan 30–90 DPD within the last 5 months, with an overdue amount; score 580–670.
``written_off``        an account written off (and sometimes one settled); score 430–560.
=====================  ============================================================================

Use :func:`pan_for_persona` to get a PAN for a persona in tests and demos.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

PERSONAS: tuple[str, ...] = (
    "no_hit",
    "thin_file",
    "prime",
    "near_prime",
    "subprime",
    "recent_delinquency",
    "written_off",
)
SCORE_RANGES: dict[str, tuple[int, int]] = {
    "thin_file": (650, 720),
    "prime": (760, 860),
    "near_prime": (690, 750),
    "subprime": (560, 680),
    "recent_delinquency": (580, 670),
    "written_off": (430, 560),
}
BUREAU_SCORE_SPREAD = 12
"""Each bureau's score is the base score ± at most this many points."""


@dataclass(frozen=True)
class SimAccount:
    """One simulated facility, bureau-neutral; months are counted back from the report month."""

    kind: str
    status: str
    sanctioned: Decimal
    balance: Decimal
    overdue: Decimal
    opened_months_ago: int
    opened_day: int
    closed_months_ago: int | None
    dpd: tuple[int | None, ...]


@dataclass(frozen=True)
class SimEnquiry:
    """One simulated enquiry."""

    days_ago: int
    purpose: str
    amount: Decimal


@dataclass(frozen=True)
class SimProfile:
    """A simulated person's credit file."""

    pan: str
    persona: str
    hit: bool
    base_score: int | None
    accounts: tuple[SimAccount, ...]
    enquiries: tuple[SimEnquiry, ...]


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


#: Documented test identities, as a bureau's UAT kit publishes them: the DESIGN §5 example applicant
#: (``data/sample_application.json``) has a clean, prime bureau file.
KNOWN_TEST_PANS = {"ABCPV1234K": "prime"}


def persona_for_pan(pan: str) -> str:
    """Return the persona the simulators use for ``pan`` (a known test PAN, else by hash)."""
    pan = pan.upper()
    return KNOWN_TEST_PANS.get(pan) or PERSONAS[_seed("persona", pan) % len(PERSONAS)]


@lru_cache(maxsize=64)
def pan_for_persona(name: str, index: int = 0) -> str:
    """Return the ``index``-th PAN (in a fixed sequence) whose persona is ``name``."""
    if name not in PERSONAS:
        raise ValueError(f"unknown persona {name!r}; choose from {', '.join(PERSONAS)}")
    found = 0
    for n in range(10_000):
        pan = f"SIMPK{n:04d}{chr(ord('A') + n % 26)}"
        if persona_for_pan(pan) == name:
            if found == index:
                return pan
            found += 1
    raise LookupError(f"no PAN found for persona {name!r} at index {index}")  # pragma: no cover


def _round_thousand(value: float) -> Decimal:
    return Decimal(max(0, round(value / 1000))) * 1000


def _history(months_open: int, closed_months_ago: int | None) -> list[int | None]:
    """Zero DPD for every month the account was open within the last 36, None after closure."""
    length = min(36, months_open + 1)
    history: list[int | None] = [0] * length
    for i in range(min(length, closed_months_ago or 0)):
        history[i] = None
    return history


def _account(
    rng: random.Random,
    kind: str,
    months_open: int,
    *,
    utilisation: tuple[float, float] = (0.1, 0.3),
    closed: bool = False,
) -> SimAccount:
    if kind == "credit_card":
        sanctioned = _round_thousand(rng.uniform(50_000, 400_000))
        balance = _round_thousand(float(sanctioned) * rng.uniform(*utilisation))
    else:
        amounts = {
            "home_loan": (1_500_000, 6_000_000),
            "auto_loan": (400_000, 1_200_000),
            "personal_loan": (100_000, 800_000),
            "two_wheeler_loan": (60_000, 150_000),
            "consumer_durable_loan": (20_000, 90_000),
            "gold_loan": (50_000, 300_000),
        }[kind]
        sanctioned = _round_thousand(rng.uniform(*amounts))
        balance = _round_thousand(float(sanctioned) * rng.uniform(0.2, 0.85))
    closed_months_ago = rng.randint(1, max(1, months_open - 1)) if closed else None
    if closed:
        balance = Decimal(0)
    return SimAccount(
        kind=kind,
        status="closed" if closed else "active",
        sanctioned=sanctioned,
        balance=balance,
        overdue=Decimal(0),
        opened_months_ago=months_open,
        opened_day=rng.randint(1, 28),
        closed_months_ago=closed_months_ago,
        dpd=tuple(_history(months_open, closed_months_ago)),
    )


def _with_dpd(account: SimAccount, changes: dict[int, int], **fields: object) -> SimAccount:
    history = list(account.dpd)
    for month, dpd in changes.items():
        if month < len(history):
            history[month] = dpd
    return replace(account, dpd=tuple(history), **fields)  # type: ignore[arg-type]


def _enquiries(rng: random.Random, count: int, max_days: int = 175) -> tuple[SimEnquiry, ...]:
    kinds = ("personal_loan", "credit_card", "consumer_durable_loan", "two_wheeler_loan")
    return tuple(
        SimEnquiry(
            days_ago=rng.randint(3, max_days),
            purpose=rng.choice(kinds),
            amount=_round_thousand(rng.uniform(20_000, 500_000)),
        )
        for _ in range(count)
    )


def _mixed_accounts(
    rng: random.Random, count: int, oldest: tuple[int, int], utilisation: tuple[float, float]
) -> list[SimAccount]:
    kinds = [
        "credit_card",
        "personal_loan",
        "auto_loan",
        "home_loan",
        "consumer_durable_loan",
        "two_wheeler_loan",
    ]
    oldest_months = rng.randint(*oldest)
    accounts = [_account(rng, "credit_card", oldest_months, utilisation=utilisation)]
    for _ in range(count - 1):
        kind = rng.choice(kinds)
        months = rng.randint(6, oldest_months)
        accounts.append(_account(rng, kind, months, utilisation=utilisation, closed=rng.random() < 0.25))
    return accounts


@lru_cache(maxsize=4096)
def profile_for_pan(pan: str) -> SimProfile:
    """Return the simulated credit file of ``pan`` (deterministic)."""
    pan = pan.upper()
    persona = persona_for_pan(pan)
    rng = random.Random(_seed("profile", pan))  # noqa: S311 - simulation, not security
    if persona == "no_hit":
        return SimProfile(pan=pan, persona=persona, hit=False, base_score=None, accounts=(), enquiries=())

    if persona == "thin_file":
        kind = rng.choice(["consumer_durable_loan", "credit_card"])
        accounts = [_account(rng, kind, rng.randint(7, 11), utilisation=(0.2, 0.5))]
        enquiries = _enquiries(rng, rng.randint(1, 2))
    elif persona == "prime":
        accounts = _mixed_accounts(rng, rng.randint(3, 5), (60, 150), (0.05, 0.3))
        enquiries = _enquiries(rng, rng.randint(0, 2))
    elif persona == "near_prime":
        accounts = _mixed_accounts(rng, rng.randint(2, 4), (24, 84), (0.35, 0.65))
        if rng.random() < 0.7:
            accounts[0] = _with_dpd(accounts[0], {rng.randint(3, 20): rng.randint(5, 29)})
        enquiries = _enquiries(rng, rng.randint(1, 4))
    elif persona == "subprime":
        accounts = _mixed_accounts(rng, rng.randint(3, 5), (26, 96), (0.75, 0.98))
        start = rng.randint(13, 21)
        accounts[0] = _with_dpd(accounts[0], {start + 1: 30, start: rng.choice([30, 60])})
        enquiries = _enquiries(rng, rng.randint(4, 8))
    elif persona == "recent_delinquency":
        accounts = _mixed_accounts(rng, rng.randint(2, 4), (18, 72), (0.5, 0.8))
        loan = _account(rng, "personal_loan", rng.randint(10, 17))
        recent = rng.randint(0, 3)
        overdue = _round_thousand(float(loan.sanctioned) * 0.06)
        loan = _with_dpd(loan, {recent + 1: 30, recent: rng.choice([60, 90])}, overdue=overdue)
        accounts.append(loan)
        enquiries = _enquiries(rng, rng.randint(2, 5))
    else:  # written_off
        accounts = _mixed_accounts(rng, rng.randint(1, 3), (36, 120), (0.6, 0.95))
        months_open = rng.randint(24, 34)
        bad = _account(rng, rng.choice(["personal_loan", "credit_card"]), months_open, utilisation=(0.9, 1.0))
        default_start = rng.randint(8, 14)  # months ago the borrower stopped paying
        changes = {default_start - k: min(30 * (k + 1), 900) for k in range(default_start + 1)}
        bad = _with_dpd(bad, changes, status="written_off", overdue=bad.balance)
        accounts.append(bad)
        if rng.random() < 0.5:
            # A card that went 60-90 DPD, then was settled for less than owed and closed 8 months ago.
            card = _account(rng, "credit_card", rng.randint(20, 40))
            history = _history(card.opened_months_ago, 8)
            history[9], history[10] = 90, 60
            settled = replace(card, status="settled", balance=Decimal(0), closed_months_ago=8, dpd=tuple(history))
            accounts.append(settled)
        enquiries = _enquiries(rng, rng.randint(0, 3))

    low, high = SCORE_RANGES[persona]
    return SimProfile(
        pan=pan,
        persona=persona,
        hit=True,
        base_score=rng.randint(low + BUREAU_SCORE_SPREAD, high - BUREAU_SCORE_SPREAD),
        accounts=tuple(accounts),
        enquiries=enquiries,
    )


def score_for(profile: SimProfile, bureau: str) -> int | None:
    """Return ``bureau``'s score for the profile: the base score plus a small per-bureau offset."""
    if profile.base_score is None:
        return None
    offset = _seed("score", bureau, profile.pan) % (2 * BUREAU_SCORE_SPREAD + 1) - BUREAU_SCORE_SPREAD
    return max(300, min(900, profile.base_score + offset))
