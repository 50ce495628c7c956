"""Channels' jobs: send a queued message (``channels.message.send``)."""

from __future__ import annotations

from typing import Any

from creditdesk.channels import messaging
from creditdesk.worker.context import JobContext


def send_message(ctx: JobContext) -> dict[str, Any]:
    """``channels.message.send``: deliver one queued message once (see :func:`messaging.send`)."""
    return messaging.send(ctx)
