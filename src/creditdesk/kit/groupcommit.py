"""Group commit: one writer thread per process turns many concurrent small writes into few short transactions.

Requests hand their rows to :meth:`GroupCommitWriter.submit` and await the returned future; the writer
drains whatever has queued while its previous transaction ran, writes it all in ONE transaction (the
``write`` function does bulk statements) and resolves each future after the commit. Nothing waits on
purpose: under light load a batch is one item (latency = one transaction), under heavy load batches
grow by themselves and the cost per write falls.

Why: a lock that serialises writers (the audit chain's advisory lock, SQLite's database lock) is then
held only inside the writer's own short transaction — never across a request's thread hops or awaits —
and PostgreSQL or SQLite see tens of commits a second instead of thousands.

Failures: a database that is unreachable fails every item of the batch with 503 (the next batch tries
again, the pool reconnects); any other error re-runs the items one by one so a single bad item fails
alone.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from creditdesk.errors import ServiceUnavailable

log = structlog.get_logger("creditdesk.groupcommit")

COMMIT_SECONDS = Histogram(
    "creditdesk_decision_commit_seconds",
    "Group-commit transaction time (one transaction writes every queued item)",
    ["writer"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
BATCH_ITEMS = Histogram(
    "creditdesk_group_commit_items",
    "Items written per group-commit transaction",
    ["writer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)

MAX_ITEMS = 512
_STOP = object()


@dataclass
class _Item:
    records: Sequence[Any]
    future: Future[list[Any]]


WriteFn = Callable[[Session, list[Any]], list[Any]]


def is_unavailable(exc: BaseException) -> bool:
    """True when a database error means "cannot reach the database" rather than "this write is bad"."""
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or type(exc.orig).__name__ in ("OperationalError", "InterfaceError")
    )


class GroupCommitWriter:
    """A writer thread that commits queued records in batches; ``write(session, records) -> outcomes``."""

    def __init__(self, db: Any, write: WriteFn, *, name: str):
        self._db = db
        self._write = write
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"group-commit-{name}", daemon=True)
        self._thread.start()

    def submit(self, records: Sequence[Any]) -> Future[list[Any]]:
        """Queue records for the next transaction; the future yields one outcome per record after commit."""
        if not self._thread.is_alive():
            raise ServiceUnavailable(f"The {self.name} writer has stopped; retry shortly")
        future: Future[list[Any]] = Future()
        self._queue.put(_Item(records, future))
        return future

    async def write(self, records: Sequence[Any]) -> list[Any]:
        """Submit and await the outcomes without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(records))

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            items = [first]
            while len(items) < MAX_ITEMS:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                items.append(nxt)
            live = [i for i in items if i.future.set_running_or_notify_cancel()]
            if live:
                self._commit(live)

    def _commit(self, items: list[_Item]) -> None:
        started = time.perf_counter()
        records = [r for item in items for r in item.records]
        try:
            with self._db.session() as session, session.begin():
                outcomes = self._write(session, records)
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the waiting requests
            if is_unavailable(exc):
                log.warning("database unavailable", writer=self.name, items=len(items), error=type(exc).__name__)
                error = ServiceUnavailable("The database is unavailable; retry shortly", headers={"Retry-After": "1"})
                for item in items:
                    item.future.set_exception(error)
            elif len(items) > 1:
                for item in items:  # isolate the bad item: the others still commit
                    self._commit([item])
            else:
                items[0].future.set_exception(exc)
            return
        COMMIT_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        BATCH_ITEMS.labels(self.name).observe(len(records))
        at = 0
        for item in items:
            n = len(item.records)
            item.future.set_result(outcomes[at : at + n])
            at += n


_writers: dict[tuple[int, str], GroupCommitWriter] = {}
_writers_lock = threading.Lock()


def writer_for(db: Any, write: WriteFn, *, name: str) -> GroupCommitWriter:
    """The process's writer ``name`` for a database (started on first use, stopped with the database)."""
    key = (id(db), name)
    hit = _writers.get(key)
    if hit is not None:
        return hit
    with _writers_lock:
        hit = _writers.get(key)
        if hit is None:
            hit = GroupCommitWriter(db, write, name=name)
            _writers[key] = hit
            db.on_dispose.append(lambda: stop_writer(key))
    return hit


def stop_writer(key: tuple[int, str]) -> None:
    """Flush and stop one writer."""
    with _writers_lock:
        w = _writers.pop(key, None)
    if w is not None:
        w.stop()


def stop_all() -> None:
    """Flush and stop every writer of this process (at shutdown)."""
    for key in list(_writers):
        stop_writer(key)
