"""Every background job kind and event consumer, in one list: the worker's composition root.

``worker/`` is plumbing and knows no domain; each domain's ``tasks.py`` holds its handlers; this
module names them, beside :mod:`creditdesk.api` (the routers) and :mod:`creditdesk.models_registry`
(the tables). ``create_app`` (embedded mode) and ``creditdesk worker`` hand :data:`TASK_REGISTRY` to
:func:`creditdesk.worker.broker.start_worker`. A new job kind: a handler in its domain's ``tasks.py``,
a line here, and ``jobs.enqueue(session, kind=...)`` where it starts (a test checks that every kind
enqueued anywhere is listed here).

A new consumer of domain events (docs/events.md): a handler ``(session, event)`` in its domain's
``tasks.py`` and a :class:`~creditdesk.events.publisher.Consumer` line in :data:`EVENT_BUS` with a
stable name and its routing-key patterns (``loan.*``, ``ptp.#``, ``#``).
"""

from __future__ import annotations

from creditdesk.channels import tasks as channel_tasks
from creditdesk.events import tasks as event_tasks
from creditdesk.events.publisher import CONSUME_JOB, Consumer, EventBus
from creditdesk.lending import tasks as lending_tasks
from creditdesk.ml import tasks as ml_tasks
from creditdesk.monitoring import tasks as monitoring_tasks
from creditdesk.payments import mandates
from creditdesk.payments import tasks as payment_tasks
from creditdesk.portfolio import tasks as portfolio_tasks
from creditdesk.scoring import tasks as scoring_tasks
from creditdesk.webhooks import tasks as webhook_tasks
from creditdesk.worker import builtin_tasks
from creditdesk.worker.registry import TaskRegistry
from creditdesk.worker.scheduler import Schedule

#: The consumers of domain events, by domain. Each runs once per event (by event id), in the event's tenant.
EVENT_BUS = EventBus(
    # webhooks: every event; each endpoint picks the types it subscribed to
    Consumer("webhooks.fan_out", ("#",), webhook_tasks.fan_out),
)

TASK_REGISTRY = TaskRegistry(
    jobs={
        "batch.score": scoring_tasks.score_batch,
        "model.train": ml_tasks.train_model,
        "monitoring.evaluate_alerts": monitoring_tasks.evaluate_alerts,
        "webhook.deliver": webhook_tasks.deliver,
        "lending.saga.advance": lending_tasks.advance,
        "lending.saga.sweep_timeouts": lending_tasks.sweep,
        "payments.mandate.present_due": payment_tasks.present_due,
        "portfolio.day_end": portfolio_tasks.day_end,
        "channels.message.send": channel_tasks.send_message,
        CONSUME_JOB: event_tasks.consume,
        "ops.selftest": builtin_tasks.selftest,
    },
    publisher=EVENT_BUS,
    # periodic jobs, once per tenant and period on the tenant's clock (worker/scheduler.py)
    schedules=(
        Schedule("payments.mandate.present_due", period="hour"),
        Schedule("portfolio.day_end", period="day"),
        Schedule("lending.saga.sweep_timeouts", period="hour"),
    ),
)

# a mandate confirmed or rejected by webhook runs its saga forward
mandates.on_settled(lending_tasks.mandate_settled)
