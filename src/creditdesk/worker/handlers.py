"""Import every domain's job handlers so the worker knows each job kind."""

from __future__ import annotations

from creditdesk.worker import builtin_tasks  # noqa: F401
