"""What a job handler receives: :class:`JobContext`, and the :data:`Handler` signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from creditdesk.db import Database
from creditdesk.worker import service


@dataclass
class JobContext:
    """A handler's job, its tenant-scoped session, and the two ways to make progress visible.

    The worker owns the transaction: it commits the session when the handler returns and rolls it
    back when the handler raises (unless the error says ``keep_state``, see
    :class:`creditdesk.worker.errors.JobError`). Handlers never call ``session.commit()``; a long job
    calls :meth:`checkpoint` instead.
    """

    job_id: str
    kind: str
    tenant_id: str | None
    payload: dict[str, Any]
    attempt: int
    session: Session
    db: Database
    lease_seconds: int
    extra: dict[str, Any] = field(default_factory=dict)

    def progress(self, fraction: float) -> None:
        """Report progress (0–1) in its own transaction, so pollers see it while the job runs.

        SQLite has one writer at a time: while this job's own session holds a transaction, a second
        connection would wait for it forever, so the update rides on the job's transaction instead
        (visible at its next :meth:`checkpoint`).
        """
        if not self.db.is_postgres and self.session.in_transaction():
            service.report_progress_in(self.session, self.job_id, fraction, lease_seconds=self.lease_seconds)
        else:
            service.report_progress(self.db, self.job_id, fraction, lease_seconds=self.lease_seconds)

    def checkpoint(self, progress: float | None = None) -> None:
        """Commit the work done so far (and report ``progress``): a retry or a restart resumes from here.

        Call it between the chunks of a long job, and before a long computation that needs no
        transaction (on SQLite an open write transaction blocks every other writer).
        """
        if progress is not None:
            self.progress(progress)
        self.session.commit()


Handler = Callable[[JobContext], dict[str, Any] | None]
