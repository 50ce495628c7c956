"""The job kinds and outbox consumers this process runs.

Plumbing only: the list itself lives at the composition root (:mod:`creditdesk.tasks`), which
hands it to :func:`creditdesk.worker.broker.start_worker`. ``worker/`` never imports a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from creditdesk.worker.context import Handler
from creditdesk.worker.models import OutboxEvent

#: An outbox consumer: receives the relay's session (what it writes commits with the event's publication).
Consumer = Callable[[Session, OutboxEvent], None]


@dataclass(frozen=True)
class TaskRegistry:
    """Job handlers by kind, and outbox consumers by event-kind prefix (``""``: every event)."""

    jobs: Mapping[str, Handler]
    consumers: tuple[tuple[str, Consumer], ...] = ()

    def handler_for(self, kind: str) -> Handler | None:
        """The handler of a job kind, or None when this process does not know it."""
        return self.jobs.get(kind)

    def consumers_of(self, event_kind: str) -> list[Consumer]:
        """The consumers of an event, in registration order."""
        return [fn for prefix, fn in self.consumers if event_kind.startswith(prefix)]


_installed = TaskRegistry(jobs={})


def install(registry: TaskRegistry) -> None:
    """Make ``registry`` the one this process's worker and outbox relay use."""
    global _installed
    _installed = registry


def installed() -> TaskRegistry:
    """The registry installed in this process (empty until the worker starts)."""
    return _installed
