"""The simulated gateway's operations: each runs under its account's lock and returns its answer and events.

No I/O here: the router waits, fails, answers and delivers webhooks around these.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from creditdesk.payments.simulator.state import Account, Event, Json, bad_request, not_found

METHODS = ("upi", "card", "netbanking")
PAYOUT_MODES = ("IMPS", "NEFT", "RTGS", "UPI")
MAX_PAISE = 10**13


@dataclass
class Outcome:
    """An operation's answer (status and body) and the events it produced."""

    body: Json
    status: int = 200
    events: list[Event] = field(default_factory=list)
    #: what happens later, after a delay in seconds (a mandate confirmed, a debit settled): run under the lock
    later: list[tuple[float, Callable[[Account], Outcome]]] = field(default_factory=list)


def _amount(body: Json, name: str = "amount", *, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= MAX_PAISE:
        raise bad_request(f"{name} must be an integer number of paise, at least 100", name)
    return value


def _text(body: Json, name: str, *, required: bool = False, max_length: int = 255) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name} is required", name)
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise bad_request(f"{name} must be a non-empty string of at most {max_length} characters", name)
    return value


def _notes(body: Json) -> dict[str, str]:
    notes = body.get("notes") or {}
    if not isinstance(notes, dict) or len(notes) > 15 or not all(isinstance(v, str) for v in notes.values()):
        raise bad_request("notes must be an object of at most 15 strings", "notes")
    return {str(k): v for k, v in notes.items()}


def _currency(body: Json) -> str:
    if body.get("currency", "INR") != "INR":
        raise bad_request("only INR is supported", "currency")
    return "INR"


def _snapshot(value: Json) -> Json:
    return copy.deepcopy(value)


# -- orders ------------------------------------------------------------------------------------------


def create_order(account: Account, body: Json) -> Outcome:
    """``POST /v1/orders``."""
    amount = _amount(body)
    order: Json = {
        "id": account.new_id("order"),
        "entity": "order",
        "amount": amount,
        "amount_paid": 0,
        "amount_due": amount,
        "currency": _currency(body),
        "receipt": _text(body, "receipt", max_length=40),
        "status": "created",
        "attempts": 0,
        "notes": _notes(body),
        "created_at": account.now(),
    }
    account.orders[order["id"]] = order
    return Outcome(_snapshot(order))


def fetch(account: Account, kind: str, object_id: str) -> Outcome:
    """``GET /v1/{kind}/{id}`` for orders, payment_links, payments, payouts and refunds."""
    store: dict[str, Json] = {
        "order": account.orders,
        "payment_link": account.links,
        "payment": account.payments,
        "payout": account.payouts,
        "refund": account.refunds,
        "customer": account.customers,
        "token": account.tokens,
    }[kind]
    found = store.get(object_id)
    if found is None:
        raise not_found(kind, object_id)
    if kind == "payment_link":
        account.refresh_link(found)
    return Outcome(_snapshot(found))


# -- payment links -----------------------------------------------------------------------------------


def create_link(account: Account, body: Json, base_url: str) -> Outcome:
    """``POST /v1/payment_links``."""
    amount = _amount(body)
    expire_by = body.get("expire_by")
    if expire_by is not None and (not isinstance(expire_by, int) or expire_by <= account.now()):
        raise bad_request("expire_by must be a future Unix time", "expire_by")
    customer = body.get("customer") or {}
    if not isinstance(customer, dict):
        raise bad_request("customer must be an object", "customer")
    link_id = account.new_id("plink")
    link: Json = {
        "id": link_id,
        "entity": "payment_link",
        "amount": amount,
        "amount_paid": 0,
        "currency": _currency(body),
        "accept_partial": bool(body.get("accept_partial", False)),
        "description": _text(body, "description", max_length=2048),
        "reference_id": _text(body, "reference_id", max_length=40),
        "customer": {k: customer.get(k) for k in ("name", "contact", "email")},
        "expire_by": expire_by,
        "status": "created",
        "short_url": f"{base_url}/pay/{link_id}",
        "payments": [],
        "notes": _notes(body),
        "created_at": account.now(),
        "cancelled_at": None,
    }
    account.links[link_id] = link
    return Outcome(_snapshot(link))


def cancel_link(account: Account, link_id: str) -> Outcome:
    """``POST /v1/payment_links/{id}/cancel`` (cancelling a cancelled link answers it again)."""
    link = account.links.get(link_id)
    if link is None:
        raise not_found("payment_link", link_id)
    account.refresh_link(link)
    if link["status"] not in {"created", "partially_paid", "cancelled"}:
        raise bad_request(f"a payment link in status {link['status']} cannot be cancelled")
    if link["status"] != "cancelled":
        link["status"] = "cancelled"
        link["cancelled_at"] = account.now()
    return Outcome(_snapshot(link))


def _payment(account: Account, *, amount: int, method: str, status: str, **extra: Any) -> Json:
    payment: Json = {
        "id": account.new_id("pay"),
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": status,
        "method": method,
        "order_id": None,
        "payment_link_id": None,
        "captured": status == "captured",
        "amount_refunded": 0,
        "refund_status": None,
        "vpa": None,
        "bank": None,
        "card_last4": None,
        "error_code": None,
        "error_description": None,
        "created_at": account.now(),
    }
    payment.update(extra)
    _fail_fields(payment)
    account.payments[payment["id"]] = payment
    return payment


def _fail_fields(payment: Json) -> None:
    if payment["status"] == "failed":
        payment["error_code"] = "BAD_REQUEST_ERROR"
        payment["error_description"] = "The payment was declined by the customer or the bank"


def _method_details(method: str, body: Json) -> Json:
    if method == "upi":
        return {"vpa": _text(body, "vpa", max_length=100) or "borrower@upi"}
    if method == "netbanking":
        return {"bank": _text(body, "bank", max_length=20) or "HDFC"}
    return {"card_last4": "1111"}


def pay_link(account: Account, link_id: str, body: Json) -> Outcome:
    """``POST /v1/payment_links/{id}/pay``: the borrower pays (``outcome`` success, the default, or failure)."""
    link = account.links.get(link_id)
    if link is None:
        raise not_found("payment_link", link_id)
    account.refresh_link(link)
    if link["status"] not in {"created", "partially_paid"}:
        raise bad_request(f"a payment link in status {link['status']} cannot be paid")
    method = body.get("method", "upi")
    if method not in METHODS:
        raise bad_request("method must be upi, card or netbanking", "method")
    due = link["amount"] - link["amount_paid"]
    amount = _amount(body, required=False) or due
    if amount > due or (amount < due and not link["accept_partial"]):
        raise bad_request("amount must be the amount due (or less, when the link accepts partial payments)", "amount")
    success = body.get("outcome", "success") != "failure"
    payment = _payment(
        account,
        amount=amount,
        method=method,
        status="captured" if success else "failed",
        payment_link_id=link_id,
        **_method_details(method, body),
    )
    if not success:
        return Outcome(_snapshot(payment), events=[account.event("payment.failed", payment=payment)])
    link["amount_paid"] += amount
    link["status"] = "paid" if link["amount_paid"] == link["amount"] else "partially_paid"
    link["payments"].append({"payment_id": payment["id"], "amount": amount, "method": method, "status": "captured"})
    events = [
        account.event("payment.captured", payment=payment),
        account.event(f"payment_link.{link['status']}", payment_link=link, payment=payment),  # type: ignore[arg-type]
    ]
    return Outcome(_snapshot(payment), events=events)


# -- UPI collect -------------------------------------------------------------------------------------


def upi_collect(account: Account, body: Json) -> Outcome:
    """``POST /v1/payments/upi/collect``: a collect request to the borrower's VPA, pending their answer."""
    vpa = _text(body, "vpa", required=True, max_length=100)
    if vpa is None or "@" not in vpa:
        raise bad_request("vpa must be a UPI address such as name@bank", "vpa")
    order_id = _text(body, "order_id", max_length=40)
    order = account.orders.get(order_id) if order_id else None
    if order_id and order is None:
        raise not_found("order", order_id)
    if order is not None and order["status"] == "paid":
        raise bad_request("the order is already paid", "order_id")
    amount = _amount(body, required=order is None) or (order["amount_due"] if order else 0)
    payment = _payment(account, amount=amount, method="upi", status="created", vpa=vpa, order_id=order_id)
    return Outcome(_snapshot(payment))


def upi_respond(account: Account, payment_id: str, body: Json) -> Outcome:
    """``POST /v1/payments/{id}/upi/respond``: the borrower approves (default) or declines a collect request."""
    payment = account.payments.get(payment_id)
    if payment is None:
        raise not_found("payment", payment_id)
    if payment["status"] != "created" or payment["method"] != "upi":
        raise bad_request(f"the payment is {payment['status']}, not a pending UPI collect request")
    approve = body.get("approve", True) is not False
    payment["status"] = "captured" if approve else "failed"
    payment["captured"] = approve
    _fail_fields(payment)
    order = account.orders.get(payment["order_id"] or "")
    if not approve:
        if order is not None:
            order["attempts"] += 1
            order["status"] = "attempted"
        return Outcome(_snapshot(payment), events=[account.event("payment.failed", payment=payment)])
    events = [account.event("payment.captured", payment=payment)]
    if order is not None:
        order["attempts"] += 1
        order["amount_paid"] += payment["amount"]
        order["amount_due"] = max(0, order["amount"] - order["amount_paid"])
        order["status"] = "paid" if order["amount_due"] == 0 else "attempted"
        if order["status"] == "paid":
            events.append(account.event("order.paid", order=order, payment=payment))
    return Outcome(_snapshot(payment), events=events)


# -- refunds -----------------------------------------------------------------------------------------


def refund(account: Account, payment_id: str, body: Json) -> Outcome:
    """``POST /v1/payments/{id}/refund`` (full by default; partial refunds up to what is left)."""
    payment = account.payments.get(payment_id)
    if payment is None:
        raise not_found("payment", payment_id)
    if payment["status"] != "captured":
        raise bad_request("only a captured payment can be refunded")
    left = payment["amount"] - payment["amount_refunded"]
    amount = _amount(body, required=False) or left
    if amount > left or left == 0:
        raise bad_request(f"the refund exceeds what is left to refund ({left} paise)", "amount")
    item: Json = {
        "id": account.new_id("rfnd"),
        "entity": "refund",
        "amount": amount,
        "currency": "INR",
        "payment_id": payment_id,
        "receipt": _text(body, "receipt", max_length=40),
        "status": "processed",
        "speed_processed": "normal",
        "notes": _notes(body),
        "created_at": account.now(),
    }
    account.refunds[item["id"]] = item
    payment["amount_refunded"] += amount
    payment["refund_status"] = "full" if payment["amount_refunded"] == payment["amount"] else "partial"
    return Outcome(_snapshot(item), events=[account.event("refund.processed", refund=item, payment=payment)])


# -- payouts -----------------------------------------------------------------------------------------


def _fund_account(body: Json) -> Json:
    fund = body.get("fund_account")
    if not isinstance(fund, dict) or fund.get("account_type") not in {"bank_account", "vpa"}:
        raise bad_request("fund_account with account_type bank_account or vpa is required", "fund_account")
    if fund["account_type"] == "vpa":
        vpa = fund.get("vpa") or {}
        if not isinstance(vpa, dict) or "@" not in str(vpa.get("address", "")):
            raise bad_request("fund_account.vpa.address must be a UPI address", "fund_account")
        return {"account_type": "vpa", "vpa": {"address": str(vpa["address"])}}
    bank = fund.get("bank_account") or {}
    if not isinstance(bank, dict) or not all(isinstance(bank.get(k), str) for k in ("ifsc", "account_number", "name")):
        raise bad_request("fund_account.bank_account needs ifsc, account_number and name", "fund_account")
    return {"account_type": "bank_account", "bank_account": {k: bank[k] for k in ("ifsc", "account_number", "name")}}


def create_payout(account: Account, body: Json, idempotency_key: str | None) -> Outcome:
    """``POST /v1/payouts``: at most one payout per ``X-Payout-Idempotency`` key.

    The same key with the same body answers the payout made first; with another body, 400. The payout
    settles at once to the account's ``payout_outcome``; the create answer shows it ``processing``,
    as a gateway's first answer does; fetches and the webhook show the outcome.
    """
    if not idempotency_key or len(idempotency_key) > 100:
        raise bad_request("the X-Payout-Idempotency header is required (at most 100 characters)")
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    seen = account.payout_keys.get(idempotency_key)
    if seen is not None:
        payout_id, first_fingerprint = seen
        if first_fingerprint != fingerprint:
            raise bad_request("a different request body was sent with the same idempotency key")
        return Outcome(_snapshot(account.payouts[payout_id]))
    amount = _amount(body)
    mode = body.get("mode", "IMPS")
    if mode not in PAYOUT_MODES:
        raise bad_request("mode must be IMPS, NEFT, RTGS or UPI", "mode")
    payout: Json = {
        "id": account.new_id("pout"),
        "entity": "payout",
        "account_number": _text(body, "account_number", required=True, max_length=40),
        "fund_account": _fund_account(body),
        "amount": amount,
        "currency": _currency(body),
        "fees": 0,
        "tax": 0,
        "status": "processing",
        "utr": None,
        "mode": mode,
        "purpose": _text(body, "purpose", max_length=40) or "payout",
        "reference_id": _text(body, "reference_id", max_length=40),
        "narration": _text(body, "narration", max_length=30),
        "notes": _notes(body),
        "failure_reason": None,
        "created_at": account.now(),
    }
    answer = _snapshot(payout)
    outcome = account.setup.payout_outcome
    payout["status"] = outcome
    if outcome == "processed":
        payout["utr"] = "UTR" + "".join(account.rng.choice("0123456789") for _ in range(12))
    else:
        payout["failure_reason"] = "Beneficiary bank rejected the credit"
    account.payouts[payout["id"]] = payout
    account.payout_keys[idempotency_key] = (payout["id"], fingerprint)
    event = account.event("payout.processed" if outcome == "processed" else "payout.reversed", payout=payout)
    return Outcome(answer, events=[event])


def payouts_by_reference(account: Account, reference_id: str | None) -> Outcome:
    """``GET /v1/payouts?reference_id=…``: a collection, oldest first."""
    payouts = account.payouts.values()
    items = [_snapshot(p) for p in payouts if reference_id is None or p["reference_id"] == reference_id]
    return Outcome({"entity": "collection", "count": len(items), "items": items})
