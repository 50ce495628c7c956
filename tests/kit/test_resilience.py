"""The resilient caller: retries only transient failures, breakers open, fail fast and recover."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from creditdesk.kit.resilience import (
    BreakerRegistry,
    CircuitOpenError,
    ResilientCaller,
    ResponseTooLarge,
    RetryPolicy,
    TransientError,
    UpstreamServerError,
    is_transient,
)

FAST = RetryPolicy(attempts=3, wait_initial_s=0.001, wait_max_s=0.005, jitter_s=0.001)


class Flaky:
    """A callable that fails with ``error`` the first ``failures`` times, then returns "done"."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def counting_transport(status: int | None = None, exc: Exception | None = None, body: bytes = b"{}"):
    """A mock transport answering ``status`` (or raising ``exc``), with a call counter."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if exc is not None:
            raise exc
        return httpx.Response(status or 200, content=body)

    return httpx.MockTransport(handler), calls


def test_transient_classification() -> None:
    request = httpx.Request("GET", "http://x")
    assert is_transient(httpx.ReadTimeout("t", request=request))
    assert is_transient(httpx.ConnectError("refused", request=request))
    assert is_transient(UpstreamServerError(503))
    assert not is_transient(httpx.UnsupportedProtocol("ftp", request=request))
    assert not is_transient(ValueError("bad"))


def test_a_transient_failure_is_retried_until_success() -> None:
    flaky = Flaky(2, TransientError("blip"))
    assert ResilientCaller(retry=FAST).call(flaky) == "done"
    assert flaky.calls == 3


def test_a_permanent_failure_is_not_retried() -> None:
    flaky = Flaky(5, ValueError("bad request"))
    with pytest.raises(ValueError):
        ResilientCaller(retry=FAST).call(flaky)
    assert flaky.calls == 1


def test_retries_stop_after_the_configured_attempts() -> None:
    flaky = Flaky(10, TransientError("down"))
    with pytest.raises(TransientError):
        ResilientCaller(retry=FAST).call(flaky)
    assert flaky.calls == 3


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, wait_initial_s=0.1, wait_max_s=10, jitter_s=0.05)
    with pytest.raises(TransientError):
        ResilientCaller(retry=policy, sleep=waits.append).call(Flaky(10, TransientError("down")))
    assert len(waits) == 3
    for wait, base in zip(waits, (0.1, 0.2, 0.4), strict=True):
        assert base <= wait <= base + 0.05


def test_send_retries_5xx_and_raises_after_the_last_attempt() -> None:
    transport, calls = counting_transport(503)
    with httpx.Client(transport=transport) as client, pytest.raises(UpstreamServerError) as err:
        ResilientCaller(retry=FAST).send(client, client.build_request("GET", "http://bureau/x"))
    assert err.value.status_code == 503
    assert calls["n"] == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429])
def test_send_never_retries_4xx_and_returns_the_response(status: int) -> None:
    transport, calls = counting_transport(status, body=b'{"error":"no"}')
    with httpx.Client(transport=transport) as client:
        response = ResilientCaller(retry=FAST).send(client, client.build_request("GET", "http://bureau/x"))
    assert response.status_code == status
    assert response.json() == {"error": "no"}
    assert calls["n"] == 1


def test_send_retries_timeouts_and_connection_errors() -> None:
    for exc in (httpx.ReadTimeout("slow"), httpx.ConnectError("refused")):
        transport, calls = counting_transport(exc=exc)
        with httpx.Client(transport=transport) as client, pytest.raises(type(exc)):
            ResilientCaller(retry=FAST).send(client, client.build_request("GET", "http://bureau/x"))
        assert calls["n"] == 3


def test_send_refuses_an_oversized_response_without_retrying() -> None:
    transport, calls = counting_transport(200, body=b"x" * 2048)
    with httpx.Client(transport=transport) as client, pytest.raises(ResponseTooLarge):
        ResilientCaller(retry=FAST, max_response_bytes=1024).send(client, client.build_request("GET", "http://b/x"))
    assert calls["n"] == 1


def test_breaker_opens_after_repeated_failures_then_fails_fast() -> None:
    breakers = BreakerRegistry(fail_max=3, reset_timeout_s=60)
    caller = ResilientCaller(breakers=breakers, retry=FAST)
    down = Flaky(100, TransientError("down"))
    for _ in range(3):
        with pytest.raises(TransientError):
            caller.call(down, key=("t1", "cibil"))
    assert down.calls == 9  # three logical calls, three attempts each
    assert breakers.state_of("t1", "cibil")["state"] == "open"

    started = time.perf_counter()
    with pytest.raises(CircuitOpenError) as err:
        caller.call(down, key=("t1", "cibil"))
    assert time.perf_counter() - started < 0.05
    assert down.calls == 9  # nothing was attempted
    assert err.value.key == ("t1", "cibil")
    assert 0 < err.value.retry_in_s <= 60
    # Another tenant's breaker for the same bureau is untouched.
    assert caller.call(Flaky(0, TransientError("x")), key=("t2", "cibil")) == "done"


def test_breaker_half_opens_after_the_reset_timeout_and_recovers() -> None:
    breakers = BreakerRegistry(fail_max=2, reset_timeout_s=0.1)
    caller = ResilientCaller(breakers=breakers, retry=RetryPolicy(attempts=1))
    for _ in range(2):
        with pytest.raises(TransientError):
            caller.call(Flaky(1, TransientError("down")), key=("t1", "crif"))
    assert breakers.state_of("t1", "crif")["state"] == "open"
    time.sleep(0.12)
    assert breakers.state_of("t1", "crif")["state"] == "half-open"
    assert caller.call(Flaky(0, TransientError("x")), key=("t1", "crif")) == "done"
    state = breakers.state_of("t1", "crif")
    assert state["state"] == "closed"
    assert state["fail_counter"] == 0
    assert state["opened_at"] is None


def test_a_failed_trial_call_reopens_the_breaker() -> None:
    breakers = BreakerRegistry(fail_max=1, reset_timeout_s=0.05)
    caller = ResilientCaller(breakers=breakers, retry=RetryPolicy(attempts=1))
    with pytest.raises(TransientError):
        caller.call(Flaky(1, TransientError("down")), key=("t", "experian"))
    time.sleep(0.06)
    with pytest.raises(TransientError):
        caller.call(Flaky(1, TransientError("still down")), key=("t", "experian"))
    assert breakers.state_of("t", "experian")["state"] == "open"
    with pytest.raises(CircuitOpenError):
        caller.call(Flaky(0, TransientError("x")), key=("t", "experian"))


def test_permanent_failures_do_not_trip_the_breaker() -> None:
    breakers = BreakerRegistry(fail_max=2, reset_timeout_s=60)
    caller = ResilientCaller(breakers=breakers, retry=FAST)
    for _ in range(5):
        with pytest.raises(ValueError):
            caller.call(Flaky(1, ValueError("401-ish")), key=("t", "cibil"))
    assert breakers.state_of("t", "cibil")["state"] == "closed"


def test_list_states_reports_every_breaker_used() -> None:
    breakers = BreakerRegistry(fail_max=1, reset_timeout_s=60)
    caller = ResilientCaller(breakers=breakers, retry=RetryPolicy(attempts=1))
    caller.call(Flaky(0, TransientError("x")), key=("acme", "cibil"))
    with pytest.raises(TransientError):
        caller.call(Flaky(1, TransientError("down")), key=("acme", "crif"))
    states = breakers.list_states()
    assert [(s["tenant"], s["bureau"], s["state"]) for s in states] == [
        ("acme", "cibil", "closed"),
        ("acme", "crif", "open"),
    ]
    assert states[1]["fail_counter"] == 1
    assert states[1]["opened_at"] is not None
    assert set(states[0]) == {"tenant", "name", "bureau", "state", "fail_counter", "opened_at"}
    # Asking about keys that were never used lists them as closed.
    listed = breakers.list_states([("beta", "experian")])
    assert ("beta", "experian", "closed") in [(s["tenant"], s["bureau"], s["state"]) for s in listed]


def test_the_breaker_does_not_serialise_concurrent_calls() -> None:
    caller = ResilientCaller(breakers=BreakerRegistry(), retry=FAST)

    def slow() -> str:
        time.sleep(0.2)
        return "ok"

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: caller.call(slow, key=("t", "cibil")), range(3)))
    assert results == ["ok"] * 3
    assert time.perf_counter() - started < 0.45


@pytest.mark.redis
def test_breaker_state_lives_in_redis_when_configured() -> None:
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    namespace = f"creditdesk-test:{uuid.uuid4().hex}"
    one = BreakerRegistry(fail_max=1, reset_timeout_s=60, redis_url=url, namespace=namespace)
    other = BreakerRegistry(fail_max=1, reset_timeout_s=60, redis_url=url, namespace=namespace)
    with pytest.raises(TransientError):
        ResilientCaller(breakers=one, retry=RetryPolicy(attempts=1)).call(
            Flaky(1, TransientError("down")), key=("t", "cibil")
        )
    # A second process (registry) sees the open breaker and fails fast.
    flaky = Flaky(0, TransientError("x"))
    with pytest.raises(CircuitOpenError):
        ResilientCaller(breakers=other, retry=RetryPolicy(attempts=1)).call(flaky, key=("t", "cibil"))
    assert flaky.calls == 0
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"pybreaker:{namespace}*"):
        client.delete(key)


def test_registry_is_thread_safe_for_first_use() -> None:
    breakers = BreakerRegistry()
    seen = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(breakers.get("t", "cibil"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in seen}) == 1


def test_breakers_work_in_process_while_redis_is_unreachable():
    breakers = BreakerRegistry(fail_max=2, reset_timeout_s=30, redis_url="redis://127.0.0.1:1/0")
    breaker = breakers.get("t1", "cibil")  # creating it must not raise with Redis down
    assert breakers.is_open("t1", "cibil") is False
    for _ in range(2):
        with contextlib.suppress(httpx.ConnectError):
            breaker.call(lambda: (_ for _ in ()).throw(httpx.ConnectError("down")))
    assert breakers.is_open("t1", "cibil") is True  # the state is kept in this process meanwhile
