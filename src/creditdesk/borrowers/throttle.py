"""Rate limits of borrower sign-in: codes asked for per phone and per client address, code checks per address.

Security invariants (docs/borrowers.md):
- A phone number's limit counts every request for it, whichever lender is named and whether or not the
  number is known: nobody can flood one phone with codes, and a refusal (429) says nothing about the number.
- The phone is counted by its keyed hash (``borrower/phone`` scope), never in clear — in Redis too.
- Refusals come before any database work: 429 ``RateLimited`` with ``Retry-After``.

Counters live in Redis when ``CREDITDESK_REDIS_URL`` is set (shared by every process), in process memory
otherwise (each process counts on its own), like the staff sign-in limits (``auth/throttle.py``).
"""

from __future__ import annotations

import math

from prometheus_client import Counter

from creditdesk.config import Settings, per_settings
from creditdesk.errors import RateLimited
from creditdesk.kit.ratelimit import RateLimiter

BORROWER_THROTTLED = Counter(
    "creditdesk_borrower_signin_throttled_total",
    "Borrower sign-in requests refused by a rate limit, by what was limited",
    ["limit"],
)


class SignInThrottle:
    """The per-phone and per-address limits of ``/borrower-auth``."""

    def __init__(self, *, settings: Settings, limiter: RateLimiter) -> None:
        self.settings = settings
        self.limiter = limiter

    def _admit(self, key: str, limit: str, label: str, refusal: str) -> None:
        if self.limiter.hit(key, limit=limit):
            return
        BORROWER_THROTTLED.labels(label).inc()
        wait = str(max(1, math.ceil(self.limiter.retry_after(key, limit=limit))))
        raise RateLimited(f"{refusal}; try again in {wait} s", headers={"Retry-After": wait})

    def admit_code_request(self, *, ip: str, phone_key: str) -> None:
        """Count a code request from ``ip`` for the phone whose keyed hash is ``phone_key``; 429 beyond a limit."""
        settings = self.settings
        self._admit(f"otp:ip:{ip}", settings.borrower_otp_rate_limit_per_ip, "code_per_address", _FROM_ADDRESS)
        self._admit(f"otp:phone:{phone_key}", settings.borrower_otp_rate_limit_per_phone, "code_per_phone", _FOR_PHONE)

    def admit_code_check(self, *, ip: str) -> None:
        """Count a code check from ``ip``; 429 beyond the address's limit."""
        limit = self.settings.borrower_verify_rate_limit_per_ip
        self._admit(f"verify:ip:{ip}", limit, "check_per_address", "Too many sign-in attempts from your address")


_FROM_ADDRESS = "Too many codes asked for from your address"
_FOR_PHONE = "Too many codes asked for this phone number"


def _build_signin_throttle(settings: Settings) -> SignInThrottle:
    limiter = RateLimiter(
        default_limit=settings.borrower_otp_rate_limit_per_ip,
        storage_url=settings.redis_url,
        namespace="creditdesk-borrower-signin",
    )
    return SignInThrottle(settings=settings, limiter=limiter)


#: the process-wide throttle, rebuilt when the settings object changes (tests swap settings)
signin_throttle = per_settings(_build_signin_throttle)
