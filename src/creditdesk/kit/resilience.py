"""One resilient helper for every outbound call: timeout, retry on transient failures, circuit breaker.

How a call is guarded (outermost first):

1. **Circuit breaker** per key — for bureaus the key is ``(tenant, bureau)``. An open breaker fails
   fast with :class:`CircuitOpenError` before anything is sent. After ``reset_timeout_s`` the next
   call is a trial ("half-open"): success closes the breaker, failure re-opens it. Only *transient*
   failures count against a breaker; a 4xx answer proves the upstream is up.
2. **Retries** (tenacity) on transient failures only — timeouts, connection errors and HTTP 5xx —
   with exponential backoff plus jitter, a small number of attempts. Never on 4xx.
3. **Timeout** per attempt: the caller builds the ``httpx.Request`` with its timeout; httpx enforces it.

The breaker wraps the retries, so one logical call counts at most one failure. Everything here is
synchronous: pybreaker is synchronous, and connectors are ``httpx.Client`` based; parallelism (e.g.
pulling three bureaus at once) is the caller's job with a thread pool. The breaker is entered with
pybreaker's ``calling()`` context manager, which holds the breaker's lock only for the state check —
``CircuitBreaker.call`` would hold it for the whole call and serialise every call through one key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pybreaker
import redis
import structlog
import tenacity

from creditdesk.kit.cache import redis_client_options

T = TypeVar("T")
log = structlog.get_logger("creditdesk.resilience")
#: How long a breaker made while Redis was unreachable keeps its state in process before Redis is tried again.
LOCAL_BREAKER_S = 30.0

BreakerKey = tuple[str, str]
"""(tenant, name) — for bureau calls ``(tenant_id, bureau)``."""

DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class TransientError(Exception):
    """A failure worth retrying: the upstream may answer if asked again."""


class UpstreamServerError(TransientError):
    """The upstream answered with HTTP 5xx."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"upstream answered HTTP {status_code}")
        self.status_code = status_code


class ResponseTooLarge(Exception):
    """The upstream response exceeded the size we are willing to read (permanent)."""


class CircuitOpenError(Exception):
    """The circuit breaker for this key is open; the call was not attempted."""

    def __init__(self, key: BreakerKey, retry_in_s: float) -> None:
        super().__init__(f"circuit breaker open for {key[1]!r}; retry in {retry_in_s:.1f} s")
        self.key = key
        self.retry_in_s = retry_in_s


def is_transient(exc: BaseException) -> bool:
    """Tell whether a failure is transient (timeout, connection error, 5xx) and so worth retrying."""
    if isinstance(exc, TransientError):
        return True
    # NetworkError = connect/read/write/close errors; RemoteProtocolError = the peer broke the
    # connection mid-answer. UnsupportedProtocol, InvalidURL, LocalProtocolError are our own bugs.
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them (exponential backoff + jitter)."""

    attempts: int = 3
    wait_initial_s: float = 0.2
    wait_max_s: float = 2.0
    jitter_s: float = 0.2

    def retrying(self, sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
        """Build the tenacity retrier for this policy."""
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=tenacity.wait_exponential_jitter(
                initial=self.wait_initial_s, max=self.wait_max_s, jitter=self.jitter_s
            ),
            retry=tenacity.retry_if_exception(is_transient),
            reraise=True,
            sleep=sleep,
        )


NO_RETRY = RetryPolicy(attempts=1)


class BreakerRegistry:
    """Circuit breakers by key, created on first use, with the same settings.

    With ``redis_url`` the breaker state lives in Redis (pybreaker's ``CircuitRedisStorage``) so every
    API process and worker sees the same open/closed state; otherwise it is per process.
    """

    def __init__(
        self,
        *,
        fail_max: int = 5,
        reset_timeout_s: float = 30.0,
        redis_url: str | None = None,
        namespace: str = "creditdesk:breaker",
    ) -> None:
        self.fail_max = fail_max
        self.reset_timeout_s = reset_timeout_s
        self._namespace = namespace
        self._redis = None
        if redis_url:
            # pybreaker's Redis storage expects bytes replies.
            self._redis = redis.Redis.from_url(redis_url, decode_responses=False, **redis_client_options())
        self._breakers: dict[BreakerKey, pybreaker.CircuitBreaker] = {}
        self._local_until: dict[BreakerKey, float] = {}  # breakers kept in process while Redis was down
        self._lock = threading.Lock()

    def get(self, tenant: str, name: str) -> pybreaker.CircuitBreaker:
        """Return the breaker for (tenant, name), creating it closed on first use."""
        key = (tenant, name)
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is not None and key in self._local_until and time.monotonic() > self._local_until[key]:
                breaker = None  # Redis was down when this breaker was made: try to share its state again
            if breaker is None:
                storage = None
                self._local_until.pop(key, None)
                if self._redis is not None:
                    try:
                        storage = pybreaker.CircuitRedisStorage(
                            pybreaker.STATE_CLOSED, self._redis, namespace=f"{self._namespace}:{tenant}:{name}"
                        )
                    except (redis.RedisError, OSError) as exc:
                        # Redis down: this process keeps the breaker's state itself for a while
                        log.warning(
                            "breaker state kept in process", breaker=f"{tenant}:{name}", error=type(exc).__name__
                        )
                        self._local_until[key] = time.monotonic() + LOCAL_BREAKER_S
                breaker = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max,
                    reset_timeout=self.reset_timeout_s,
                    exclude=[lambda exc: not is_transient(exc)],
                    state_storage=storage,
                    name=f"{tenant}:{name}",
                    throw_new_error_on_trip=False,
                )
                self._breakers[key] = breaker
            return breaker

    def retry_in_s(self, tenant: str, name: str) -> float:
        """Return seconds until an open breaker lets a trial call through (0 when calls may go)."""
        breaker = self.get(tenant, name)
        try:
            if breaker.current_state != pybreaker.STATE_OPEN:
                return 0.0
            opened_at = breaker._state_storage.opened_at  # pybreaker exposes no public getter
        except (redis.RedisError, OSError):
            return 0.0  # shared state unreadable (Redis down): let the call try; its own failures count
        if opened_at is None:
            return 0.0
        remaining = opened_at + timedelta(seconds=breaker.reset_timeout) - datetime.now(UTC)
        return max(0.0, remaining.total_seconds())

    def is_open(self, tenant: str, name: str) -> bool:
        """Tell whether a call for (tenant, name) would fail fast right now."""
        return self.retry_in_s(tenant, name) > 0

    def reset(self, tenant: str, name: str) -> None:
        """Close the breaker for (tenant, name) (e.g. after its configuration changed)."""
        self.get(tenant, name).close()

    def state_of(self, tenant: str, name: str) -> dict[str, Any]:
        """Describe one breaker: tenant, name/bureau, state, fail_counter, opened_at."""
        breaker = self.get(tenant, name)
        state = breaker.current_state
        # pybreaker moves open → half-open lazily on the next call; report what that call will see.
        if state == pybreaker.STATE_OPEN and self.retry_in_s(tenant, name) == 0:
            state = pybreaker.STATE_HALF_OPEN
        opened_at = breaker._state_storage.opened_at if state != pybreaker.STATE_CLOSED else None
        return {
            "tenant": tenant,
            "name": name,
            "bureau": name,
            "state": state,
            "fail_counter": breaker.fail_counter,
            "opened_at": opened_at.isoformat() if opened_at else None,
        }

    def list_states(self, keys: Iterable[BreakerKey] | None = None) -> list[dict[str, Any]]:
        """Describe the breakers for ``keys`` (default: every breaker this process has used), sorted."""
        with self._lock:
            known = set(self._breakers)
        wanted = sorted(set(keys) | known if keys is not None else known)
        return [self.state_of(tenant, name) for tenant, name in wanted]


class ResilientCaller:
    """Run outbound calls under a retry policy and, when a key is given, that key's circuit breaker."""

    def __init__(
        self,
        *,
        breakers: BreakerRegistry | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.breakers = breakers
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep

    def call(self, fn: Callable[[], T], *, key: BreakerKey | None = None) -> T:
        """Call ``fn`` with retries on transient failures, inside ``key``'s breaker when given.

        Raises :class:`CircuitOpenError` without calling ``fn`` when the breaker is open; otherwise
        re-raises the last failure of ``fn``.
        """
        retrying = self.retry.retrying(self._sleep)
        if key is None or self.breakers is None:
            return retrying(fn)
        breaker = self.breakers.get(*key)
        try:
            with breaker.calling():
                return retrying(fn)
        except pybreaker.CircuitBreakerError as exc:
            raise CircuitOpenError(key, self.breakers.retry_in_s(*key)) from exc

    def send(self, client: httpx.Client, request: httpx.Request, *, key: BreakerKey | None = None) -> httpx.Response:
        """Send ``request`` resiliently and return the fully read response (any status below 500).

        HTTP 5xx, timeouts and connection errors are retried and, if they persist, raised
        (:class:`UpstreamServerError` or the httpx exception). 4xx responses are returned, not raised:
        they are the caller's to interpret and are never retried.
        """
        return self.call(lambda: self._send_once(client, request), key=key)

    def _send_once(self, client: httpx.Client, request: httpx.Request) -> httpx.Response:
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            if response.status_code >= 500:
                raise UpstreamServerError(response.status_code)
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > self.max_response_bytes:
                    raise ResponseTooLarge(f"response larger than {self.max_response_bytes} bytes")
        finally:
            response.close()
        # The body is already decoded, so drop the headers that described the wire encoding.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
        ]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body), request=request)
