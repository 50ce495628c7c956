"""Sign-in throttling by client address and by (account, address) together.

Security invariants (issue 12: a lock keyed by the e-mail alone let anyone lock anyone out):
- Every attempt on ``POST /auth/token`` (and ``/auth/refresh``) counts against the client address's
  limit; beyond it the address gets 429 + Retry-After before any password work.
- Failed sign-ins are counted per (account, address), for known and unknown e-mails alike. From the
  second failure on, the next attempt from that address must wait ``login_backoff_seconds × 2^(n−2)``
  (429 + Retry-After, no password work); ``login_max_failures`` failures lock the account for
  ``lockout_minutes`` — **from that address only**. The owner signing in from another address is not
  affected, so a wrong password is never a free denial of service.
- Failures for ``login_spraying_accounts`` distinct accounts from one address within the lock window are
  password spraying: the caller records ``auth.spraying_detected`` (once per address and window).

State lives in the cache (Redis when ``CREDITDESK_REDIS_URL`` is set — shared by every process —, in
process memory otherwise, where each process counts on its own). Counters are read-modify-write without
a lock: two concurrent failures of one pair may count once, which gains an attacker at most one attempt
per request in flight, still bounded by the address's limit. Timestamps are wall-clock seconds (shared
across hosts); cache TTLs only collect garbage, every decision compares the stored times.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from creditdesk.config import Settings, per_settings
from creditdesk.errors import AccountLocked, RateLimited
from creditdesk.kit.cache import Cache, make_cache
from creditdesk.kit.crypto import sha256_hex
from creditdesk.kit.ratelimit import RateLimiter

LOGIN_THROTTLED = Counter(
    "creditdesk_login_throttled_total", "Sign-in attempts refused before any password check, by reason", ["reason"]
)
SPRAYING_DETECTED = Counter(
    "creditdesk_auth_spraying_detected_total", "Client addresses that failed sign-ins for many distinct accounts"
)


@dataclass(frozen=True)
class FailureOutcome:
    """What one more failed sign-in changed."""

    locked: bool
    #: distinct accounts failed from this address, set only when spraying is first detected in the window
    spraying_accounts: int | None = None


def _wait(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class LoginThrottle:
    """Per-address limits, per-(account, address) back-off and lock, spraying detection."""

    def __init__(
        self,
        *,
        settings: Settings,
        cache: Cache,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.limiter = limiter
        self.clock = clock

    @property
    def window_s(self) -> float:
        """How long failures are remembered and a lock lasts (seconds)."""
        return self.settings.lockout_minutes * 60.0

    def admit_address(self, ip: str, *, action: str = "login") -> None:
        """Count one attempt from ``ip``; raise RateLimited (429 + Retry-After) when its limit is spent."""
        settings = self.settings
        limit = settings.refresh_rate_limit_per_ip if action == "refresh" else settings.login_rate_limit_per_ip
        key = f"{action}:{ip}"
        if self.limiter.hit(key, limit=limit):
            return
        LOGIN_THROTTLED.labels("address").inc()
        wait = _wait(self.limiter.retry_after(key, limit=limit))
        raise RateLimited(
            f"Too many sign-in attempts from your address; try again in {wait} s", headers={"Retry-After": wait}
        )

    def _pair_key(self, email: str, ip: str) -> str:
        return "login:pair:" + sha256_hex(email + "\n" + ip)

    def check(self, email: str, ip: str) -> None:
        """Refuse an attempt from ``ip`` for ``email`` that is locked (AccountLocked) or backing off (429)."""
        state = self.cache.get(self._pair_key(email, ip)) or {}
        now = self.clock()
        locked_until = state.get("locked_until") or 0.0
        if locked_until > now:
            raise self.locked(locked_until - now)
        retry_at = state.get("retry_at") or 0.0
        if retry_at > now:
            LOGIN_THROTTLED.labels("backoff").inc()
            wait = _wait(retry_at - now)
            raise RateLimited(
                f"Too many failed sign-ins for this account from your address; try again in {wait} s",
                headers={"Retry-After": wait},
            )

    def locked(self, remaining_s: float | None = None) -> AccountLocked:
        """The refusal for a locked (account, address) pair, ``remaining_s`` seconds before the lock ends."""
        remaining = self.window_s if remaining_s is None else remaining_s
        minutes = max(1, math.ceil(remaining / 60))
        return AccountLocked(
            f"Account locked after {self.settings.login_max_failures} failed sign-ins from your address; "
            f"try again in {minutes} minutes",
            headers={"WWW-Authenticate": "Bearer", "Retry-After": _wait(remaining)},
        )

    def failed(self, email: str, ip: str) -> FailureOutcome:
        """Count a failed sign-in for (``email``, ``ip``); lock the pair at the limit; watch for spraying."""
        settings = self.settings
        key = self._pair_key(email, ip)
        state = self.cache.get(key) or {}
        now = self.clock()
        if (state.get("locked_until") or 0.0) and state["locked_until"] <= now:
            state = {}  # a lock that ran out starts the count afresh
        failures = int(state.get("failures", 0)) + 1
        locked = failures >= settings.login_max_failures
        if locked:
            state = {"failures": 0, "locked_until": now + self.window_s}
        else:
            delay = 0.0 if failures < 2 else settings.login_backoff_seconds * 2 ** (failures - 2)
            state = {"failures": failures, "retry_at": now + min(delay, settings.login_backoff_max_seconds)}
        self.cache.set(key, state, self.window_s + settings.login_backoff_max_seconds)
        return FailureOutcome(locked=locked, spraying_accounts=self._note_spraying(email, ip, now))

    def _note_spraying(self, email: str, ip: str, now: float) -> int | None:
        key = f"login:spray:{sha256_hex(ip)}"
        state: dict[str, Any] = self.cache.get(key) or {}
        if (state.get("since") or 0.0) + self.window_s <= now:
            state = {"since": now, "accounts": [], "alerted": False}
        account = sha256_hex(email)[:16]
        threshold = self.settings.login_spraying_accounts
        if account not in state["accounts"] and len(state["accounts"]) < threshold:
            state["accounts"].append(account)
        detected = len(state["accounts"]) >= threshold and not state["alerted"]
        state["alerted"] = state["alerted"] or detected
        self.cache.set(key, state, self.window_s)
        if detected:
            SPRAYING_DETECTED.inc()
            return len(state["accounts"])
        return None

    def succeeded(self, email: str, ip: str) -> None:
        """Forget the pair's failures after a correct password."""
        self.cache.delete(self._pair_key(email, ip))


def _build_login_throttle(settings: Settings) -> LoginThrottle:
    return LoginThrottle(
        settings=settings,
        cache=make_cache(settings.redis_url),
        limiter=RateLimiter(
            default_limit=settings.login_rate_limit_per_ip,
            storage_url=settings.redis_url,
            namespace="creditdesk-login",
        ),
    )


#: the process-wide throttle, rebuilt when the settings object changes (tests swap settings)
login_throttle = per_settings(_build_login_throttle)
