"""The job kinds this process runs, and what its outbox relay does with committed events.

Plumbing only: the list itself lives at the composition root (:mod:`creditdesk.tasks`), which
hands it to :func:`creditdesk.worker.broker.start_worker`. ``worker/`` never imports a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from creditdesk.worker.context import Handler
from creditdesk.worker.models import OutboxEvent
from creditdesk.worker.scheduler import Schedule

#: What the outbox relay does with a batch of committed events, in the relay's transaction, before it
#: marks them published (``creditdesk.events.publisher.EventBus``: the broker's topic exchange and the
#: consumers). Raising rolls the batch back; the relay tries it again at its next poll.
Publisher = Callable[[Session, Sequence[OutboxEvent]], None]


@dataclass(frozen=True)
class TaskRegistry:
    """Job handlers by kind, the publisher of domain events (None: this process relays no events), periodic jobs."""

    jobs: Mapping[str, Handler]
    publisher: Publisher | None = None
    schedules: Sequence[Schedule] = ()

    def handler_for(self, kind: str) -> Handler | None:
        """The handler of a job kind, or None when this process does not know it."""
        return self.jobs.get(kind)


_installed = TaskRegistry(jobs={})


def install(registry: TaskRegistry) -> None:
    """Make ``registry`` the one this process's worker and outbox relay use."""
    global _installed
    _installed = registry


def installed() -> TaskRegistry:
    """The registry installed in this process (empty until the worker starts)."""
    return _installed
