"""When a ledger write starts the background rebuild of the tenant's reports: after the outermost commit, once."""

from __future__ import annotations

import time

import pytest

from creditdesk.db import Database
from creditdesk.portfolio import reports


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tenants whose refresh thread started (the rebuild itself is replaced by a note of it)."""
    calls: list[str] = []

    def note(_db: Database, tenant_id: str) -> None:
        calls.append(tenant_id)
        with reports._refresh_lock:
            reports._refreshing.pop(tenant_id, None)

    monkeypatch.setattr(reports, "_refresh", note)
    return calls


def _wait_for(calls: list[str], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_many_writes_in_savepoints_start_one_refresh_per_tenant_after_the_commit(db: Database, started: list[str]):
    with db.session() as session:
        session.begin()
        for n in range(200):
            with session.begin_nested():  # a payment is stored in a savepoint; releasing it is not a commit
                reports.refresh_after_commit(session, tenant_id="tenant-a" if n % 2 else "tenant-b")
        time.sleep(0.05)
        assert started == []
        # one listener, not one per write (they used to pile up and slow every savepoint down)
        assert len(session.dispatch.after_commit) == 1
        session.commit()
    _wait_for(started, 2)
    time.sleep(0.05)
    assert sorted(started) == ["tenant-a", "tenant-b"]


def test_a_rolled_back_savepoint_keeps_the_refresh_and_a_rolled_back_transaction_drops_it(
    db: Database, started: list[str]
):
    with db.session() as session:
        session.begin()
        reports.refresh_after_commit(session, tenant_id="tenant-c")
        nested = session.begin_nested()
        reports.refresh_after_commit(session, tenant_id="tenant-c")
        nested.rollback()
        session.commit()
    _wait_for(started, 1)
    assert started == ["tenant-c"]

    with db.session() as session:
        session.begin()
        reports.refresh_after_commit(session, tenant_id="tenant-d")
        session.rollback()
        session.begin()
        session.commit()
    time.sleep(0.1)
    assert started == ["tenant-c"]
