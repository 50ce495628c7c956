"""What the e-sign simulator and its client share: statuses, header names, the callback's signature.

A callback's signature is the hex HMAC-SHA256 of ``"{timestamp}.{raw body}"`` under the webhook secret,
sent in ``X-Esign-Signature`` with the timestamp in ``X-Esign-Timestamp`` (the timestamp signed too, so
an old callback cannot be replayed as new).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from creditdesk.kit.crypto import constant_time_equals

API_KEY_HEADER = "X-Api-Key"
SIGNATURE_HEADER = "X-Esign-Signature"
TIMESTAMP_HEADER = "X-Esign-Timestamp"

SignStatus = Literal["pending", "otp_sent", "signed", "failed", "abandoned", "expired"]
TERMINAL: frozenset[str] = frozenset({"signed", "failed", "abandoned", "expired"})


def sign_callback(body: bytes, timestamp: int, secret: str) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}." + body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_callback(body: bytes, timestamp: str | None, signature: str | None, secret: str) -> bool:
    """Tell whether ``signature`` signs ``body`` at ``timestamp`` under ``secret`` (constant-time compare)."""
    if not signature or not timestamp or not secret or not timestamp.isdigit():
        return False
    return constant_time_equals(sign_callback(body, int(timestamp), secret), signature.strip())
