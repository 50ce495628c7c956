"""Fixtures for the events tests: installing consumers beside (or instead of) the app's, and waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from creditdesk.events.publisher import Consumer, EventBus
from creditdesk.tasks import TASK_REGISTRY
from creditdesk.worker import registry


@pytest.fixture
def add_consumers() -> Iterator[Callable[..., None]]:
    """Add consumers to the running app's bus (start the app first: the ``client`` fixture)."""
    before = registry.installed()

    def add(*consumers: Consumer) -> None:
        running = registry.installed()
        assert isinstance(running.publisher, EventBus), "start the app first"
        registry.install(replace(running, publisher=running.publisher.with_consumers(*consumers)))

    yield add
    registry.install(before)


@pytest.fixture
def only_consumers(db) -> Iterator[Callable[..., None]]:  # type: ignore[no-untyped-def]
    """Relay to these consumers alone, with no app running (the test calls ``relay_once`` itself)."""
    before = registry.installed()

    def install(*consumers: Consumer) -> None:
        registry.install(replace(TASK_REGISTRY, publisher=EventBus(*consumers)))

    yield install
    registry.install(before)


def wait_until(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll ``predicate`` until it is true (fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not true after {timeout}s")
