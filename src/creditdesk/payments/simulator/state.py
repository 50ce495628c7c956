"""The simulated gateway's in-memory state: one account per key id, its objects, faults and webhooks.

Every change happens under the account's lock and returns the events it produced; the events are
delivered after the lock is released (never a lock across I/O). Ids are drawn from a random
generator seeded with ``<seed>:<key id>``, so the same calls in the same order give the same ids.
"""

from __future__ import annotations

import copy
import json
import random
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from creditdesk.payments.wire import EventName

SANDBOX_KEY_ID = "key_test_CreditDeskSim01"
SANDBOX_KEY_SECRET = "sim-sandbox-key-secret-0001"
SANDBOX_WEBHOOK_SECRET = "sim-sandbox-webhook-secret-0001"
_ALPHABET = string.ascii_letters + string.digits

Json = dict[str, Any]


class AccountSetup(BaseModel):
    """An account's settings (``PUT /simulators/payments/accounts/{key_id}``)."""

    model_config = ConfigDict(extra="forbid")

    key_secret: str = Field(min_length=8, max_length=200)
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, min_length=8, max_length=200)
    payout_outcome: Literal["processed", "reversed"] = "processed"


class GatewayFaults(BaseModel):
    """Faults injected into one account's API calls and webhooks (each may be overridden per request)."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=500, le=504)
    fail_next: int = Field(default=0, ge=0, le=1000, description="the next n calls answer error_status unapplied")
    lose_answer_next: int = Field(
        default=0, ge=0, le=1000, description="the next n calls are applied, then answer 504 after hang_ms"
    )
    hang_ms: int = Field(default=0, ge=0, le=60_000)
    webhook_duplicates: int = Field(default=1, ge=1, le=20, description="each event delivered n times")
    webhook_order: Literal["in_order", "reverse", "shuffle"] = "in_order"
    webhook_concurrency: int = Field(default=1, ge=1, le=20, description="deliveries sent at once")
    webhook_retries: int = Field(
        default=5, ge=0, le=10, description="a delivery answered non-2xx (or not at all) is sent again up to n times"
    )
    webhook_retry_ms: int = Field(
        default=500, ge=10, le=60_000, description="the first retry's delay; each next one waits twice as long"
    )
    # e-mandates (docs/payments.md, "E-mandates"): the sponsor bank's and NPCI's answers
    mandate_confirm_delay_ms: int = Field(
        default=0, ge=0, le=600_000, description="how long a new mandate stays pending before it is confirmed"
    )
    mandate_rejection_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of mandates rejected")
    debit_bounce_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of recurring debits returned")
    debit_settle_delay_ms: int = Field(
        default=0, ge=0, le=600_000, description="how long a recurring debit stays created before its result"
    )


class SimError(Exception):
    """A refusal in the gateway's error shape."""

    def __init__(self, status: int, code: str, description: str, field_name: str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.body: Json = {"error": {"code": code, "description": description, "field": field_name}}


def bad_request(description: str, field_name: str | None = None) -> SimError:
    """A 400 BAD_REQUEST_ERROR."""
    return SimError(400, "BAD_REQUEST_ERROR", description, field_name)


def not_found(kind: str, object_id: str) -> SimError:
    """A 404 for an unknown id."""
    return SimError(404, "NOT_FOUND", f"The {kind} {object_id} does not exist")


@dataclass(frozen=True)
class Event:
    """One webhook event, ready to send."""

    id: str
    name: EventName
    body: bytes


@dataclass(frozen=True)
class Delivery:
    """Where and how to deliver a batch of events (captured under the lock, sent after it)."""

    url: str
    secret: str
    events: list[Event]
    concurrency: int = 1
    retries: int = 0
    retry_ms: int = 500


@dataclass(frozen=True)
class FaultPlan:
    """What one call suffers: waits, an error before it is applied, an answer lost after."""

    latency_s: float = 0.0
    fail_status: int | None = None
    lose_answer: bool = False
    hang_s: float = 0.0


@dataclass
class Account:
    """One merchant account of the simulated gateway (keyed by its key id)."""

    key_id: str
    setup: AccountSetup
    rng: random.Random
    now: Callable[[], int]
    faults: GatewayFaults = field(default_factory=GatewayFaults)
    orders: dict[str, Json] = field(default_factory=dict)
    links: dict[str, Json] = field(default_factory=dict)
    payments: dict[str, Json] = field(default_factory=dict)
    payouts: dict[str, Json] = field(default_factory=dict)
    refunds: dict[str, Json] = field(default_factory=dict)
    customers: dict[str, Json] = field(default_factory=dict)
    tokens: dict[str, Json] = field(default_factory=dict)
    recurring_receipts: dict[tuple[str, str], str] = field(default_factory=dict)  # (token, receipt) → payment
    seed: int = 0
    payout_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    deliveries: list[Json] = field(default_factory=list)
    request_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def account_id(self) -> str:
        """The account's id as events carry it."""
        return "acc_" + self.key_id.removeprefix("key_")[-14:]

    def new_id(self, prefix: str) -> str:
        """A fresh id such as ``order_Ab12…`` (call under the lock: the generator is shared)."""
        return f"{prefix}_" + "".join(self.rng.choice(_ALPHABET) for _ in range(14))

    # -- faults -----------------------------------------------------------------------------------

    def plan_faults(self, override: GatewayFaults | None, header_fault: str | None) -> FaultPlan:
        """Count the call and decide its faults (consumes ``fail_next`` / ``lose_answer_next``)."""
        with self.lock:
            self.request_count += 1
            faults = override or self.faults
            fail: int | None = None
            lose = False
            if self.faults.fail_next:
                self.faults.fail_next -= 1
                fail = faults.error_status
            elif self.faults.lose_answer_next:
                self.faults.lose_answer_next -= 1
                lose = True
            elif self.rng.random() < faults.error_rate:
                fail = faults.error_status
        hang_s = faults.hang_ms / 1000
        if header_fault in {"500", "502", "503", "504"}:
            fail = int(header_fault)
        elif header_fault == "lose-answer":
            lose = True
        elif header_fault == "timeout":
            hang_s = hang_s or 5.0
        return FaultPlan(latency_s=faults.latency_ms / 1000, fail_status=fail, lose_answer=lose, hang_s=hang_s)

    # -- webhooks ---------------------------------------------------------------------------------

    def event(self, name: EventName, **entities: Json) -> Event:
        """Build one event carrying snapshots of ``entities`` (call under the lock)."""
        event_id = self.new_id("evt")
        body = {
            "entity": "event",
            "id": event_id,
            "account_id": self.account_id,
            "event": name,
            "contains": list(entities),
            "payload": {kind: {"entity": copy.deepcopy(value)} for kind, value in entities.items()},
            "created_at": self.now(),
        }
        return Event(event_id, name, json.dumps(body, separators=(",", ":")).encode())

    def delivery(self, events: list[Event], faults: GatewayFaults | None) -> Delivery | None:
        """The batch to send for ``events``: duplicated and reordered as the faults say (under the lock)."""
        if not events or not self.setup.webhook_url or not self.setup.webhook_secret:
            return None
        faults = faults or self.faults
        batch = [e for e in events for _ in range(faults.webhook_duplicates)]
        if faults.webhook_order == "reverse":
            batch.reverse()
        elif faults.webhook_order == "shuffle":
            self.rng.shuffle(batch)
        return Delivery(
            self.setup.webhook_url,
            self.setup.webhook_secret,
            batch,
            faults.webhook_concurrency,
            faults.webhook_retries,
            faults.webhook_retry_ms,
        )

    def record_delivery(self, event: Event, status_code: int | None, error: str | None) -> None:
        """Keep the outcome of one delivery attempt (``GET …/accounts/{key_id}/webhook_deliveries``)."""
        with self.lock:
            self.deliveries.append(
                {"event_id": event.id, "event": event.name, "status_code": status_code, "error": error}
            )

    # -- expiry -----------------------------------------------------------------------------------

    def refresh_link(self, link: Json) -> Json:
        """Expire a payable link past its ``expire_by`` (under the lock)."""
        expire_by = link.get("expire_by")
        if link["status"] in {"created", "partially_paid"} and expire_by and self.now() >= expire_by:
            link["status"] = "expired"
        return link


@dataclass
class GatewaySimulator:
    """The simulated gateway: its accounts by key id (the sandbox account exists from the start)."""

    seed: int = 0
    now: Callable[[], int] = field(default=lambda: int(time.time()))
    accounts: dict[str, Account] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.configure(
            SANDBOX_KEY_ID, AccountSetup(key_secret=SANDBOX_KEY_SECRET, webhook_secret=SANDBOX_WEBHOOK_SECRET)
        )

    def configure(self, key_id: str, setup: AccountSetup) -> Account:
        """Create the account of ``key_id`` or replace its settings (its objects are kept)."""
        with self.lock:
            account = self.accounts.get(key_id)
            if account is None:
                rng = random.Random(f"{self.seed}:{key_id}")  # noqa: S311 - ids, not secrets
                account = Account(key_id=key_id, setup=setup, rng=rng, now=self.now, seed=self.seed)
                self.accounts[key_id] = account
            else:
                with account.lock:
                    account.setup = setup
            return account

    def account(self, key_id: str) -> Account | None:
        """The account of ``key_id``, if any."""
        with self.lock:
            return self.accounts.get(key_id)

    def owner_of(self, object_id: str, kind: Literal["links", "payments", "tokens"]) -> Account | None:
        """The account holding a link or payment (for the borrower's routes, which carry no key)."""
        with self.lock:
            accounts = list(self.accounts.values())
        for account in accounts:
            with account.lock:
                if object_id in getattr(account, kind):
                    return account
        return None
