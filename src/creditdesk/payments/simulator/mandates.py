"""The simulated gateway's e-mandates: customers, mandate tokens (eNACH / UPI AutoPay), recurring debits.

A mandate is a *token* on a customer: created ``pending`` with its UMRN, then confirmed or rejected
by the sponsor bank / NPCI after ``mandate_confirm_delay_ms`` (webhook ``token.confirmed`` or
``token.rejected``). A recurring debit on a confirmed token answers ``created`` and settles after
``debit_settle_delay_ms`` as ``payment.captured`` or ``payment.failed`` with a return reason code.

Outcomes are deterministic: a draw from ``sha256(<seed>:<what>:<identifier>)`` against the account's
rates, so the same seed and the same references give the same rejections and bounces. Tests may force
an outcome per request (``X-Sim-Mandate-Outcome``, ``X-Sim-Debit-Outcome``). Like ``ops``, no I/O here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from creditdesk.payments.simulator.ops import Outcome, _amount, _notes, _payment, _snapshot, _text
from creditdesk.payments.simulator.state import Account, Json, bad_request, not_found

#: NPCI's return reasons for a NACH debit (code → reason), the ones the simulator draws from
NACH_RETURNS = {
    "04": "Balance Insufficient",
    "01": "Account Closed",
    "05": "Not Arranged For / Exceeds Arrangement",
    "06": "Payment Stopped by Drawer",
    "21": "Invalid UMRN or Inactive Mandate",
}
#: NPCI's UPI response codes for a failed AutoPay debit
UPI_RETURNS = {
    "Z9": "Insufficient funds in customer (remitter) account",
    "Z8": "Per transaction limit exceeded as set by remitting member",
}
#: how often each reason is drawn for a bounce (insufficient balance is by far the commonest)
_WEIGHTS = {"04": 70, "01": 8, "05": 8, "06": 8, "21": 6, "Z9": 85, "Z8": 15}
MANDATE_OUTCOME_HEADER = "x-sim-mandate-outcome"  # confirmed | rejected
DEBIT_OUTCOME_HEADER = "x-sim-debit-outcome"  # captured | a return reason code (04, 01, Z9, …)
REJECTIONS = {"emandate": ("AP20", "Mandate rejected by the destination bank"), "upi": ("UM4", "Mandate declined")}
MAX_TOKEN_PAISE = 10**11  # ₹10 crore, the eNACH ceiling


def draw(account: Account, what: str, identifier: str) -> float:
    """A number in [0, 1) fixed by the simulator's seed, what is drawn and for which object."""
    digest = hashlib.sha256(f"{account.seed}:{what}:{identifier}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _umrn(account: Account) -> str:
    """A 20-character UMRN like NPCI's (sponsor bank code, then a running number)."""
    return "SIMB7" + "".join(account.rng.choice("0123456789") for _ in range(15))


def create_customer(account: Account, body: Json) -> Outcome:
    """``POST /v1/customers``."""
    customer: Json = {
        "id": account.new_id("cust"),
        "entity": "customer",
        "name": _text(body, "name", required=True, max_length=100),
        "contact": _text(body, "contact", max_length=20),
        "email": _text(body, "email", max_length=254),
        "notes": _notes(body),
        "created_at": account.now(),
    }
    account.customers[customer["id"]] = customer
    return Outcome(_snapshot(customer))


def create_token(account: Account, body: Json, forced: str | None) -> Outcome:
    """``POST /v1/tokens``: register a mandate, ``pending`` until the sponsor bank answers (later, by webhook)."""
    customer_id = _text(body, "customer_id", required=True, max_length=40) or ""
    if customer_id not in account.customers:
        raise not_found("customer", customer_id)
    method = body.get("method")
    if method not in ("emandate", "upi"):
        raise bad_request("method must be emandate (eNACH) or upi (UPI AutoPay)", "method")
    max_amount = _amount(body, "max_amount")
    assert max_amount is not None
    if max_amount > MAX_TOKEN_PAISE:
        raise bad_request("max_amount is above the mandate ceiling", "max_amount")
    reference = _text(body, "reference_id", required=True, max_length=80) or ""
    token: Json = {
        "id": account.new_id("token"),
        "entity": "token",
        "customer_id": customer_id,
        "method": method,
        "max_amount": max_amount,
        "frequency": _text(body, "frequency", max_length=20) or "as_presented",
        "reference_id": reference,
        "umrn": _umrn(account),
        "status": "pending",
        "error_code": None,
        "error_description": None,
        "notes": _notes(body),
        "created_at": account.now(),
        "confirmed_at": None,
    }
    account.tokens[token["id"]] = token
    rejected = forced == "rejected" or (
        forced != "confirmed" and draw(account, "mandate", reference) < account.faults.mandate_rejection_rate
    )
    delay = account.faults.mandate_confirm_delay_ms / 1000
    settle = _settle_token(token["id"], rejected)
    return Outcome(_snapshot(token), later=[(delay, settle)])


def _settle_token(token_id: str, rejected: bool) -> Callable[[Account], Outcome]:
    def settle(account: Account) -> Outcome:
        token = account.tokens[token_id]
        if token["status"] != "pending":
            return Outcome(_snapshot(token))
        if rejected:
            code, reason = REJECTIONS[token["method"]]
            token.update(status="rejected", error_code=code, error_description=reason)
            return Outcome(_snapshot(token), events=[account.event("token.rejected", token=token)])
        token.update(status="confirmed", confirmed_at=account.now())
        return Outcome(_snapshot(token), events=[account.event("token.confirmed", token=token)])

    return settle


def find_tokens(account: Account, reference_id: str | None) -> Outcome:
    """``GET /v1/tokens?reference_id=…``: the mandates registered with our reference, oldest first."""
    items = [_snapshot(t) for t in account.tokens.values() if reference_id is None or t["reference_id"] == reference_id]
    return Outcome({"entity": "collection", "count": len(items), "items": items})


def cancel_token(account: Account, token_id: str) -> Outcome:
    """``POST /v1/tokens/{id}/cancel`` (a cancelled token is answered again)."""
    token = account.tokens.get(token_id)
    if token is None:
        raise not_found("token", token_id)
    if token["status"] in ("cancelled", "rejected"):  # nothing to cancel: answered as it is
        return Outcome(_snapshot(token))
    token["status"] = "cancelled"
    return Outcome(_snapshot(token), events=[account.event("token.cancelled", token=token)])


def create_recurring(account: Account, body: Json, forced: str | None) -> Outcome:
    """``POST /v1/payments/create/recurring``: debit a confirmed mandate; the result comes later by webhook.

    One debit per (token, ``receipt``): the same receipt answers the debit already made, so a retried
    presentation cannot debit the borrower twice.
    """
    token_id = _text(body, "token_id", required=True, max_length=40) or ""
    token = account.tokens.get(token_id)
    if token is None:
        raise not_found("token", token_id)
    receipt = _text(body, "receipt", required=True, max_length=80) or ""
    earlier = account.recurring_receipts.get((token_id, receipt))
    if earlier is not None:
        return Outcome(_snapshot(account.payments[earlier]))
    if token["status"] != "confirmed":
        raise bad_request(f"the token is {token['status']}, not confirmed", "token_id")
    amount = _amount(body)
    assert amount is not None
    if amount > token["max_amount"]:
        raise bad_request("amount is above the mandate's max_amount", "amount")
    payment = _payment(
        account,
        amount=amount,
        method=token["method"],
        status="created",
        recurring=True,
        token_id=token_id,
        customer_id=token["customer_id"],
        receipt=receipt,
        notes=_notes(body),
        description=_text(body, "description", max_length=255),
    )
    account.recurring_receipts[(token_id, receipt)] = payment["id"]
    reason = _bounce_reason(account, token["method"], receipt, forced)
    delay = account.faults.debit_settle_delay_ms / 1000
    return Outcome(_snapshot(payment), later=[(delay, _settle_debit(payment["id"], reason))])


def _bounce_reason(account: Account, method: str, receipt: str, forced: str | None) -> str | None:
    """The return reason code of a debit that bounces, or None when it is paid."""
    reasons = UPI_RETURNS if method == "upi" else NACH_RETURNS
    if forced is not None:
        if forced == "captured":
            return None
        if forced not in reasons:
            raise bad_request(f"unknown return reason {forced} for a {method} debit")
        return forced
    if draw(account, "debit", receipt) >= account.faults.debit_bounce_rate:
        return None
    pick = draw(account, "reason", receipt) * sum(_WEIGHTS[c] for c in reasons)
    for code in reasons:
        pick -= _WEIGHTS[code]
        if pick < 0:
            return code
    return next(iter(reasons))  # pragma: no cover - the weights cover [0, 1)


def _settle_debit(payment_id: str, reason: str | None) -> Callable[[Account], Outcome]:
    def settle(account: Account) -> Outcome:
        payment = account.payments[payment_id]
        if payment["status"] != "created":
            return Outcome(_snapshot(payment))
        if reason is None:
            payment.update(status="captured", captured=True)
            return Outcome(_snapshot(payment), events=[account.event("payment.captured", payment=payment)])
        reasons = UPI_RETURNS if payment["method"] == "upi" else NACH_RETURNS
        payment.update(
            status="failed", error_code="BAD_REQUEST_ERROR", error_reason=reason, error_description=reasons[reason]
        )
        return Outcome(_snapshot(payment), events=[account.event("payment.failed", payment=payment)])

    return settle
