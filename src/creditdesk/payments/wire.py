"""What the gateway connector and the simulated gateway share: paise on the wire, ids, event names, signatures.

Amounts travel as integer paise; our code holds :class:`~decimal.Decimal` rupees. A webhook's signature
is the hex HMAC-SHA256 of its raw body under the webhook secret, sent in ``X-Gateway-Signature``.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Literal

from creditdesk.kit.crypto import constant_time_equals

SIGNATURE_HEADER = "X-Gateway-Signature"
EVENT_ID_HEADER = "X-Gateway-Event-Id"
IDEMPOTENCY_HEADER = "X-Payout-Idempotency"

OrderStatus = Literal["created", "attempted", "paid"]
PaymentLinkStatus = Literal["created", "partially_paid", "paid", "expired", "cancelled"]
PaymentStatus = Literal["created", "captured", "failed"]
PayoutStatus = Literal["processing", "processed", "reversed"]
RefundStatus = Literal["processed"]
PaymentMethod = Literal["upi", "card", "netbanking", "emandate"]
#: an e-mandate (token) at the gateway: eNACH (``emandate``) or UPI AutoPay (``upi``)
TokenMethod = Literal["emandate", "upi"]
TokenStatus = Literal["pending", "confirmed", "rejected", "cancelled"]
PayoutMode = Literal["IMPS", "NEFT", "RTGS", "UPI"]
EventName = Literal[
    "payment.captured",
    "payment.failed",
    "payment_link.paid",
    "payment_link.partially_paid",
    "order.paid",
    "payout.processed",
    "payout.reversed",
    "refund.processed",
    "token.confirmed",
    "token.rejected",
    "token.cancelled",
]

_PAISE = Decimal("0.01")


def to_paise(amount: Decimal) -> int:
    """Rupees → integer paise; refuses a fraction of a paisa (no silent rounding of money)."""
    paise = amount * 100
    if paise != paise.to_integral_value():
        raise ValueError(f"{amount} has a fraction of a paisa")
    return int(paise)


def from_paise(paise: int) -> Decimal:
    """Integer paise → rupees to the paisa."""
    return (Decimal(paise) / 100).quantize(_PAISE)


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of a webhook's raw body under the webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Tell whether ``signature`` is the signature of ``body`` under ``secret`` (constant-time compare)."""
    if not signature or not secret:
        return False
    return constant_time_equals(sign(body, secret), signature.strip())
