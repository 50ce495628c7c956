"""Import every domain's job handlers so the worker knows each job kind."""

from __future__ import annotations

from creditdesk.ml import tasks as _ml_tasks  # noqa: F401
from creditdesk.monitoring import tasks as _monitoring_tasks  # noqa: F401
from creditdesk.scoring import tasks as _scoring_tasks  # noqa: F401
from creditdesk.webhooks import tasks as _webhook_tasks  # noqa: F401
from creditdesk.worker import builtin_tasks  # noqa: F401
