"""Fixtures for bureau tests: simulator apps, in-process and real-socket transports, configs."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
import uvicorn

from creditdesk.bureaus.connectors import BureauConfig
from creditdesk.bureaus.connectors.experian import PROCESS_TOKENS
from creditdesk.bureaus.simulators import SANDBOX_DEFAULTS, InProcessTransport, Simulators, build_simulator_app
from creditdesk.kit.resilience import RetryPolicy

SIM_BASE = "http://bureau-sim.test/simulators"
FAST_RETRY = RetryPolicy(attempts=3, wait_initial_s=0.001, wait_max_s=0.005, jitter_s=0.001)


def bureau_config(bureau: str, base: str = SIM_BASE, **overrides: object) -> BureauConfig:
    """Return a config that the simulator at ``base`` accepts, with overrides."""
    sandbox = SANDBOX_DEFAULTS[bureau]
    data: dict[str, object] = {
        "bureau": bureau,
        "endpoint_url": f"{base}/{bureau}",
        "member_id": sandbox["member_id"],
        "credentials": dict(sandbox["credentials"]),  # type: ignore[call-overload]
        "timeout_ms": 2000,
    }
    data.update(overrides)
    return BureauConfig.model_validate(data)


@pytest.fixture
def make_config():  # type: ignore[no-untyped-def]
    """Factory: a simulator-accepted config for a bureau, with overrides."""
    return bureau_config


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return FAST_RETRY


@pytest.fixture(autouse=True)
def _fresh_experian_tokens() -> Iterator[None]:
    PROCESS_TOKENS.clear()
    yield
    PROCESS_TOKENS.clear()


@pytest.fixture
def sim_app():  # type: ignore[no-untyped-def]
    return build_simulator_app()


@pytest.fixture
def sims(sim_app) -> Simulators:  # type: ignore[no-untyped-def]
    return sim_app.state.simulators


@pytest.fixture
def transport(sim_app) -> InProcessTransport:  # type: ignore[no-untyped-def]
    return InProcessTransport(sim_app)


@pytest.fixture
def sim_client(sim_app) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(transport=InProcessTransport(sim_app), base_url=SIM_BASE) as client:
        yield client


@pytest.fixture
def configs() -> dict[str, BureauConfig]:
    return {b: bureau_config(b) for b in ("cibil", "experian", "crif")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_simulators() -> Iterator[tuple[str, Simulators]]:
    """The simulators on a real uvicorn server on 127.0.0.1; yields (base URL, state)."""
    app = build_simulator_app()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/simulators", app.state.simulators
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis URL; skip without one unless CREDITDESK_REQUIRE_SERVICES=1."""
    url = os.environ.get("CREDITDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        if os.environ.get("CREDITDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis not reachable at {url}: {exc} (CREDITDESK_REQUIRE_SERVICES=1)")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


@pytest.fixture
def mock_connector():  # type: ignore[no-untyped-def]
    """Factory: a connector whose HTTP calls go to ``handler`` (an httpx.MockTransport handler)."""
    from creditdesk.bureaus.connectors import make_connector
    from creditdesk.kit.resilience import ResilientCaller

    made = []

    def make(bureau: str, handler, **overrides: object):  # type: ignore[no-untyped-def]
        connector = make_connector(
            bureau_config(bureau, **overrides),
            transport=httpx.MockTransport(handler),
            caller=ResilientCaller(retry=FAST_RETRY),
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def sim_connector(transport):  # type: ignore[no-untyped-def]
    """Factory: a connector talking to the in-process simulators (fast retries, no breaker)."""
    from creditdesk.bureaus.connectors import make_connector
    from creditdesk.kit.resilience import ResilientCaller

    made = []

    def make(bureau: str, **overrides: object):  # type: ignore[no-untyped-def]
        connector = make_connector(
            bureau_config(bureau, **overrides), transport=transport, caller=ResilientCaller(retry=FAST_RETRY)
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()
