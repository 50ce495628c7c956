"""What the three channel simulators share: accounts, faults, idempotency, the per-number rules, callbacks.

Every change happens under the account's lock and returns the callbacks it produced; callbacks are
sent after the lock is released (never a lock across I/O), in the background, after the answer.
Ids are drawn from a generator seeded with ``<seed>:<channel>:<account>``: the same calls in the
same order give the same ids.

Per-number rules (by the last digit of the recipient's number; the same for every simulator, so a
test or a demo borrower behaves the same on every channel):

==========  ==========================  ===============================  =================================
last digit  SMS                         WhatsApp                         voice
==========  ==========================  ===============================  =================================
0 – 6       submitted, then delivered   sent, delivered, read            answered (DTMF: see voice.py)
7           submitted, then failed      failed 131026 (undeliverable)    failed
            (invalid number)
8           submitted, then expired     sent, delivered (never read)     busy
            (absent subscriber)
9           no receipt at all           sent only                        no answer
==========  ==========================  ===============================  =================================
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Json = dict[str, Any]
_ALPHANUMERIC = string.ascii_letters + string.digits


class ChannelFaults(BaseModel):
    """Faults injected into one account's API calls and callbacks (each may be overridden per request)."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000, description="wait before answering")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of calls answered error_status")
    error_status: int = Field(default=503, ge=500, le=504)
    fail_next: int = Field(default=0, ge=0, le=1000, description="the next n calls answer error_status, unapplied")
    lose_answer_next: int = Field(
        default=0, ge=0, le=1000, description="the next n calls are applied, then answer 504 after hang_ms"
    )
    timeout_next: int = Field(
        default=0, ge=0, le=1000, description="the next n calls are applied, then answer only after hang_ms"
    )
    hang_ms: int = Field(default=0, ge=0, le=60_000, description="how long an applied call hangs before answering")
    receipt_duplicates: int = Field(default=1, ge=1, le=20, description="each callback delivered n times")
    receipt_order: Literal["in_order", "reverse", "shuffle"] = "in_order"
    receipt_delay_ms: int = Field(default=0, ge=0, le=60_000, description="wait before each callback")


class SimError(Exception):
    """A refusal in the simulated provider's own error shape."""

    def __init__(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        super().__init__(json.dumps(body)[:200])
        self.status = status
        self.body = body
        self.headers = headers


@dataclass(frozen=True)
class Callback:
    """One signed callback, ready to POST: ``label`` names it in the delivery log."""

    url: str
    body: bytes
    headers: dict[str, str]
    label: str


@dataclass(frozen=True)
class FaultPlan:
    """What one call suffers: a wait, an error before it is applied, a hang or a lost answer after."""

    latency_s: float = 0.0
    fail_status: int | None = None
    hang_s: float = 0.0
    lose_answer: bool = False


@dataclass
class Outcome:
    """An operation's answer (status, body) and the callbacks it produced."""

    body: Json
    status: int = 200
    callbacks: list[Callback] = field(default_factory=list)


@dataclass
class SimAccount:
    """What every simulated account has: a key, a generator, faults, references seen, a delivery log."""

    key: str
    rng: random.Random
    now: Callable[[], float]
    seed: int = 0
    faults: ChannelFaults = field(default_factory=ChannelFaults)
    #: our client reference → (the provider's id for it, the fingerprint of the request that made it)
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    deliveries: list[Json] = field(default_factory=list)
    request_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def token(self, length: int, alphabet: str = _ALPHANUMERIC) -> str:
        """Random characters from the account's generator (call under the lock)."""
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def hex_id(self) -> str:
        """A 32-hex-digit id like Exotel's Sids (call under the lock)."""
        return self.token(32, "0123456789abcdef")

    # -- idempotency ----------------------------------------------------------------------------

    def seen(self, reference: str | None, request: Json) -> str | None:
        """The id already made for ``reference`` with this request; a different request raises ``conflict``.

        Returns None for a new (or absent) reference. Call under the lock, with the fields that define
        the message (not the whole body: a retry may differ in what does not matter).
        """
        if not reference:
            return None
        found = self.references.get(reference)
        if found is None:
            return None
        made, fingerprint = found
        if fingerprint != _fingerprint(request):
            raise ReferenceConflict(made)
        return made

    def remember(self, reference: str | None, request: Json, made: str) -> None:
        """Record that ``reference`` made ``made`` (under the lock)."""
        if reference:
            self.references[reference] = (made, _fingerprint(request))

    # -- faults -----------------------------------------------------------------------------------

    def plan_faults(self, override: ChannelFaults | None, header_fault: str | None) -> FaultPlan:
        """Count the call and decide its faults (consumes ``fail_next``, ``lose_answer_next``, ``timeout_next``)."""
        with self.lock:
            self.request_count += 1
            faults = override or self.faults
            fail: int | None = None
            lose = hang = False
            if self.faults.fail_next:
                self.faults.fail_next -= 1
                fail = faults.error_status
            elif self.faults.lose_answer_next:
                self.faults.lose_answer_next -= 1
                lose = True
            elif self.faults.timeout_next:
                self.faults.timeout_next -= 1
                hang = True
            elif faults.error_rate and self.rng.random() < faults.error_rate:
                fail = faults.error_status
        hang_s = faults.hang_ms / 1000
        if header_fault in {"500", "502", "503", "504"}:
            fail = int(header_fault)
        elif header_fault == "lose-answer":
            lose = True
        elif header_fault == "timeout":
            hang = True
        if hang and not hang_s:
            hang_s = 5.0
        return FaultPlan(
            latency_s=faults.latency_ms / 1000,
            fail_status=fail,
            hang_s=hang_s if (hang or lose) else 0.0,
            lose_answer=lose,
        )

    def batch(self, callbacks: list[Callback], faults: ChannelFaults | None) -> list[Callback]:
        """The callbacks to send: duplicated and reordered as the faults say (under the lock)."""
        faults = faults or self.faults
        out = [c for c in callbacks for _ in range(faults.receipt_duplicates)]
        if faults.receipt_order == "reverse":
            out.reverse()
        elif faults.receipt_order == "shuffle":
            self.rng.shuffle(out)
        return out

    def record_delivery(self, callback: Callback, status_code: int | None, error: str | None) -> None:
        """Keep the outcome of one callback attempt (the control route ``…/deliveries`` lists them)."""
        with self.lock:
            self.deliveries.append(
                {"url": callback.url, "label": callback.label, "status_code": status_code, "error": error}
            )


S = TypeVar("S", bound=BaseModel)


@dataclass(kw_only=True)
class ConfiguredAccount(SimAccount, Generic[S]):
    """A simulated account with its settings (as ``PUT …/accounts/{key}`` gave them)."""

    setup: S


A = TypeVar("A", bound=ConfiguredAccount[Any])


@dataclass
class AccountRegistry(Generic[A, S]):
    """One simulator's accounts by key; each account's generator is seeded ``<seed>:<channel>:<key>``."""

    channel: ClassVar[str]
    seed: int = 0
    now: Callable[[], float] = time.time
    accounts: dict[str, A] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def new_account(self, key: str, rng: random.Random, setup: S) -> A:
        """A new account of this simulator's kind."""
        raise NotImplementedError

    def configure(self, key: str, setup: S) -> A:
        """Create the account ``key`` or replace its settings (what it has made is kept)."""
        with self.lock:
            account = self.accounts.get(key)
            if account is None:
                rng = random.Random(f"{self.seed}:{self.channel}:{key}")  # noqa: S311 - ids, not secrets
                account = self.new_account(key, rng, setup)
                self.accounts[key] = account
            else:
                with account.lock:
                    account.setup = setup
            return account

    def account(self, key: str) -> A | None:
        """The account ``key``, if any."""
        with self.lock:
            return self.accounts.get(key)


class ReferenceConflict(Exception):
    """The client reference already made another message, from a different request."""

    def __init__(self, made: str) -> None:
        super().__init__(made)
        self.made = made


def _fingerprint(request: Json) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def last_digit(number: str) -> int:
    """The last digit of a phone number: what the per-number rules go by."""
    digits = [ch for ch in number if ch.isdigit()]
    return int(digits[-1]) if digits else 0


NumberRule = Literal["ok", "failed", "other", "silent"]


def number_rule(number: str) -> NumberRule:
    """The per-number rule: ``ok`` (0-6), ``failed`` (7), ``other`` (8: expired / unread / busy), ``silent`` (9)."""
    digit = last_digit(number)
    if digit <= 6:
        return "ok"
    if digit == 7:
        return "failed"
    return "other" if digit == 8 else "silent"
