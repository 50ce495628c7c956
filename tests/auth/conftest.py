"""Sign-in fixtures: a controllable throttle clock and a client at a second address."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from creditdesk.auth.throttle import login_throttle

#: The address of the ``client`` fixture's requests (Starlette's test client default).
FIRST_ADDRESS = "testclient"
OTHER_ADDRESS = "198.51.100.20"


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock(app, monkeypatch: pytest.MonkeyPatch) -> FakeClock:  # type: ignore[no-untyped-def]
    """Drive the sign-in throttle's back-off and lock windows without waiting."""
    fake = FakeClock()
    monkeypatch.setattr(login_throttle(), "clock", fake)
    return fake


@pytest.fixture
def other_client(client, app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The same app (already started by ``client``), reached from another client address."""
    other = TestClient(app, raise_server_exceptions=False, client=(OTHER_ADDRESS, 40000))
    yield other
    other.close()
